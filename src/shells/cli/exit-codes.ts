/**
 * Exit codes of the CLI, in one table (documented in docs/cli.md).
 */
import type { ErrorCode } from '../../kernel/errors.js';

/** Named exit codes. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** A check failed: lint found problems, a policy test failed. */
  failed: 1,
  /** The command line is wrong. */
  usage: 2,
  /** An input (YAML, policy, org, request, test file) is invalid. */
  invalid: 3,
  /** A file, the database or the ledger could not be read or written, or holds what it must not. */
  io: 4,
  /** The caller is not authenticated, or not allowed to do what it asked. */
  denied: 5,
  /** The machine cannot enforce what the agent's policy requires (`agentos doctor`, `agentos run`). */
  unenforced: 6,
  /** A bug. */
  internal: 70,
} as const;

/** The exit code for an error code. */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'AOS_USAGE':
    case 'AOS_NOT_FOUND':
      return EXIT.usage;
    case 'AOS_UNAUTHENTICATED':
    case 'AOS_FORBIDDEN':
    case 'AOS_DENIED':
    case 'AOS_BUDGET_EXCEEDED':
      return EXIT.denied;
    case 'AOS_APPROVAL_PENDING':
    case 'AOS_HELD':
      return EXIT.failed;
    case 'AOS_SANDBOX_UNAVAILABLE':
      return EXIT.unenforced;
    case 'AOS_CONFLICT':
      return EXIT.failed;
    case 'AOS_IO':
    case 'AOS_LEDGER_UNAVAILABLE':
    case 'AOS_LEDGER_CONFLICT':
    case 'AOS_STORE_UNAVAILABLE':
    case 'AOS_STORE_CONFLICT':
    case 'AOS_STORE_SCHEMA':
    case 'AOS_STORE_CORRUPT':
    case 'AOS_LEDGER_KEY_UNKNOWN':
    case 'AOS_LEDGER_CHAIN_INVALID':
    case 'AOS_EXECUTOR_FAILED':
    case 'AOS_CRYPTO_KEY_INVALID':
    case 'AOS_UPSTREAM_FAILED':
    case 'AOS_SANDBOX_FAILED':
      return EXIT.io;
    case 'AOS_INTERNAL':
    case 'AOS_LEDGER_BODY_INVALID':
      return EXIT.internal;
    case 'AOS_YAML_SYNTAX':
    case 'AOS_ORG_INVALID':
    case 'AOS_POLICY_INVALID':
    case 'AOS_POLICY_TEST_INVALID':
    case 'AOS_REQUEST_INVALID':
    case 'AOS_CONFIG_INVALID':
      return EXIT.invalid;
  }
}
