/**
 * The one error class of Agent OS and its catalogue of stable codes.
 *
 * Codes never change meaning once released; `docs/errors.md` documents each one and a test keeps the two
 * in step. Policy *outcomes* are never errors: the engine returns a Decision. Errors are for bad input,
 * bugs and broken infrastructure.
 */

/** Every error code with a one-line summary (the full text lives in `docs/errors.md`). */
export const ERROR_CODES = {
  AOS_USAGE: 'the command line is not valid',
  AOS_IO: 'a file or directory could not be read or written',
  AOS_YAML_SYNTAX: 'a YAML file is not well-formed',
  AOS_ORG_INVALID: 'an organisation document breaks the schema or its references',
  AOS_POLICY_INVALID: 'a policy document breaks the schema',
  AOS_POLICY_TEST_INVALID: 'a policy test file breaks the schema',
  AOS_REQUEST_INVALID: 'an action request is not valid',
  AOS_LEDGER_UNAVAILABLE: 'the ledger could not be written or read, so nothing was acknowledged',
  AOS_LEDGER_CONFLICT: 'a ledger append does not continue its stream (a duplicate or a gap)',
  AOS_STORE_UNAVAILABLE: 'the store could not be opened, read or written',
  AOS_STORE_CONFLICT: 'a store write collided with data already stored',
  AOS_STORE_SCHEMA: 'the database schema is newer than this version of agent os',
  AOS_STORE_CORRUPT: 'stored data is not in the form agent os writes',
  AOS_NOT_FOUND: 'a named record, action or episode does not exist',
  AOS_EXECUTOR_FAILED: 'an executor failed while running an allowed action',
  AOS_UNAUTHENTICATED: 'the caller did not present a valid token or credential',
  AOS_FORBIDDEN: 'the caller may not do what it asked',
  AOS_CONFLICT: 'the action or approval is not in a state that allows this',
  AOS_LEDGER_BODY_INVALID: 'a ledger record body is not canonical JSON',
  AOS_LEDGER_KEY_UNKNOWN: 'a ledger key id is not in the keyring',
  AOS_LEDGER_CHAIN_INVALID: 'records do not continue a ledger chain',
  AOS_CRYPTO_KEY_INVALID: 'key material is not a valid key',
  AOS_CONFIG_INVALID: 'the agentos.yaml configuration breaks its schema',
  AOS_DENIED: 'a gateway refused a call because policy denied its action',
  AOS_APPROVAL_PENDING: 'a gateway call waits for approval and was not run',
  AOS_HELD: 'a gateway call was held because its agent is stopped',
  AOS_BUDGET_EXCEEDED: "a model call would exceed the agent's or department's token budget",
  AOS_UPSTREAM_FAILED: 'a gateway could not reach its upstream, or the upstream failed',
  AOS_SANDBOX_UNAVAILABLE: 'this machine cannot give the enforcement the agent requires',
  AOS_SANDBOX_FAILED: 'the sandbox could not be set up or supervised',
  AOS_INTERNAL: 'a bug: something that should not happen did',
} as const;

/** A stable error code (`AOS_…`). */
export type ErrorCode = keyof typeof ERROR_CODES;

/** A place in a source file, 1-based. */
export interface SourcePlace {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One problem found in an input, with its place when there is one. */
export interface Problem {
  readonly message: string;
  readonly place?: SourcePlace | undefined;
}

/** Formats a problem as `file:line:col: message` (or just the message when it has no place). */
export function formatProblem(problem: Problem): string {
  const p = problem.place;
  return p ? `${p.file}:${p.line}:${p.col}: ${problem.message}` : problem.message;
}

/**
 * The error class. `problems` carries every problem of an input at once (all of a document's errors,
 * each with its place); `message` is the first line a user sees.
 */
export class AgentOsError extends Error {
  override readonly name = 'AgentOsError';
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; problems?: readonly Problem[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = options.problems ?? [];
  }

  /** Builds an error from a non-empty list of problems; the message is the first, with a count of the rest. */
  static fromProblems(code: ErrorCode, problems: readonly Problem[]): AgentOsError {
    const first = problems[0];
    if (!first) throw new AgentOsError('AOS_INTERNAL', 'fromProblems called with no problems');
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    return new AgentOsError(code, formatProblem(first) + more, { problems });
  }
}

/** True when `e` is an AgentOsError (also across module copies). */
export function isAgentOsError(e: unknown): e is AgentOsError {
  return e instanceof AgentOsError || (e instanceof Error && e.name === 'AgentOsError' && 'code' in e);
}
