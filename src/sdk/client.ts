/**
 * The client an agent (or an operator's tool) holds: `connect()` once, then `execute` actions, `report`
 * their outcomes, wrap functions as governed `tool`s, and, with a person's token, vote on approvals and
 * send signals. Everything goes through the kernel's HTTP API (docs/api.md).
 */
import { ActionDeniedError, AgentOsApiError, ApprovalTimeoutError } from './errors.js';
import { transport, type FetchLike, type Transport } from './http.js';
import type {
  ActionInput,
  AgentState,
  ActionResult,
  ActionView,
  Approval,
  JsonValue,
  OrgApplied,
  PoliciesApplied,
  ReportedError,
  SignalName,
  SignalReport,
  SignalTarget,
} from './types.js';

/** The longest single long-poll the API accepts is 2 minutes; a longer wait polls again. */
const MAX_POLL_MS = 120_000;

/**
 * How to reach the kernel and as whom.
 *
 * @example
 * ```ts
 * const options: ConnectOptions = {
 *   url: 'http://127.0.0.1:7070',
 *   credential: process.env.AGENTOS_CREDENTIAL!,
 *   agent: 'payroll-bot',
 * };
 * ```
 */
export interface ConnectOptions {
  /** The daemon's base URL, e.g. `http://127.0.0.1:7070`. */
  readonly url: string;
  /** An agent's credential (`aosa_…`) or a person's API token (`aosp_…`). */
  readonly credential: string;
  /**
   * The agent this credential belongs to: the default `agent` of requests, and the one `tool()` acts as.
   * (The credential is opaque to the client, so it cannot tell.)
   */
  readonly agent?: string | undefined;
  /** A `fetch` to use instead of the global one. */
  readonly fetch?: FetchLike | undefined;
}

/**
 * How long to wait for an action that is held or pending approval.
 *
 * @example
 * ```ts
 * const wait: WaitOptions = { timeoutMs: 10 * 60_000, signal: AbortSignal.timeout(15 * 60_000) };
 * ```
 */
export interface WaitOptions {
  /** Give up (`ApprovalTimeoutError`) after this long; without it, wait until the action is decided. */
  readonly timeoutMs?: number | undefined;
  /** Abort the wait (the action stays pending on the kernel); rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * What `tool()` needs to know besides the function.
 *
 * @example
 * ```ts
 * const options: ToolOptions<[{ id: string; salary: number }]> = {
 *   resource: (p) => `employee/${p.id}`,
 *   timeoutMs: 4 * 3_600_000,
 * };
 * ```
 */
export interface ToolOptions<A extends unknown[]> extends WaitOptions {
  /** The resource the call touches: fixed, or derived from the arguments. */
  readonly resource?: string | ((...args: A) => string | undefined) | undefined;
  /**
   * Builds the rest of the request from the arguments (`args`, `resource`, `episode`, `context`). By
   * default `args` is the single object argument, or `{ arguments: [...] }`.
   */
  readonly toRequest?: ((...args: A) => Omit<ActionInput, 'action' | 'agent'>) | undefined;
  /** Turns the function's result into the JSON outcome reported (default: its JSON form, `null` for none). */
  readonly toOutcome?: ((result: unknown) => JsonValue) | undefined;
}

/**
 * The client for one kernel and one identity.
 *
 * @example
 * ```ts
 * const client = connect({ url: 'http://127.0.0.1:7070', credential, agent: 'payroll-bot' });
 * const result = await client.execute({ action: 'payroll.update', resource: 'employee/1042', args: { salary: 90_000 } });
 * ```
 */
export class AgentOsClient {
  private readonly send: Transport;
  private readonly agent: string | undefined;

  /** Use `connect()`. */
  constructor(options: ConnectOptions) {
    this.send = transport(options);
    this.agent = options.agent;
  }

  /**
   * Submits an action and, while it is held or waits for approval, long-polls until it is decided or
   * `timeoutMs` passes (`ApprovalTimeoutError`). Resolves with the decided action: `allowed` (run it now,
   * then `report`) or `denied` — or, when the kernel's executor runs it, `executed` or `failed` with the
   * outcome. A denial is a result, not an exception.
   *
   * @example
   * ```ts
   * const result = await client.execute(
   *   { action: 'payroll.update', resource: 'employee/1042', args: { salary: 250_000 } },
   *   { timeoutMs: 60 * 60_000 },
   * );
   * if (result.status === 'allowed') {
   *   await client.report(result.id, { outcome: await updateSalary() });
   * } else {
   *   console.log(`denied by ${result.decision.rules.join(', ')}: ${result.decision.reason}`);
   * }
   * ```
   */
  async execute(request: ActionInput, options: WaitOptions = {}): Promise<ActionResult> {
    const started = Date.now();
    return this.settle(await this.submit(request, options.signal), started, options);
  }

  /**
   * Submits an action without waiting: resolves with it as the kernel first answers — possibly still
   * `held` or `pending_approval` (then `wait` for it).
   *
   * @example
   * ```ts
   * const view = await client.submit({ action: 'payroll.update', resource: 'employee/1042', args: { salary: 250_000 } });
   * if (view.status === 'pending_approval') console.log(`asked ${view.approval.approvers.join(', ')}`);
   * ```
   */
  submit(request: ActionInput, signal?: AbortSignal): Promise<ActionView> {
    const agent = request.agent ?? this.agent;
    if (agent === undefined) {
      return Promise.reject(
        new AgentOsApiError('AOS_USAGE', 'no `agent` in the request, and none given to `connect`', 0),
      );
    }
    return this.call<ActionView>('POST', '/v1/actions', { ...request, agent }, signal);
  }

  /**
   * Waits for a submitted action to be decided (as `execute` does after submitting).
   *
   * @example
   * ```ts
   * const result = await client.wait('act_01J…', { timeoutMs: 60_000 });
   * ```
   */
  async wait(id: string, options: WaitOptions = {}): Promise<ActionResult> {
    const started = Date.now();
    return this.settle(await this.action(id, options.signal), started, options);
  }

  /**
   * The action as it stands now.
   *
   * @example
   * ```ts
   * const view = await client.action('act_01J…');
   * console.log(view.status);
   * ```
   */
  action(id: string, signal?: AbortSignal): Promise<ActionView> {
    return this.call<ActionView>('GET', `/v1/actions/${encodeURIComponent(id)}`, undefined, signal);
  }

  /**
   * Report mode: tells the kernel what an allowed action did (or the error it failed with), once. Resolves
   * with the action, now `executed` or `failed`; it is recorded as `action.completed` / `action.failed`.
   *
   * @example
   * ```ts
   * await client.report(result.id, { outcome: { updated: true } }, 42);
   * await client.report(other.id, { error: { code: 'TIMEOUT', message: 'payroll did not answer' } });
   * ```
   */
  report(
    id: string,
    result: { readonly outcome: JsonValue } | { readonly error: ReportedError },
    durationMs?: number,
  ): Promise<ActionView> {
    const body =
      'outcome' in result
        ? { outcome: result.outcome }
        : { error: { code: result.error.code, message: result.error.message } };
    return this.call<ActionView>('POST', `/v1/actions/${encodeURIComponent(id)}/outcome`, {
      ...body,
      ...(durationMs === undefined ? {} : { durationMs: Math.max(0, Math.round(durationMs)) }),
    });
  }

  /**
   * Wraps an async function as a governed tool (report mode): each call submits the action `name` as the
   * client's agent, waits through approval, runs `fn` only when allowed, reports its outcome (or its
   * error, which is then rethrown) and returns its result. A denial throws `ActionDeniedError`; a wait
   * that runs out throws `ApprovalTimeoutError`, and `fn` does not run.
   *
   * @example
   * ```ts
   * const updateSalary = client.tool(
   *   'payroll.update',
   *   async (p: { employee: string; salary: number }) => payroll.update(p.employee, p.salary),
   *   { resource: (p) => `employee/${p.employee}` },
   * );
   * await updateSalary({ employee: '1042', salary: 90_000 }); // runs only if the kernel allows it
   * ```
   */
  tool<A extends unknown[], R>(
    name: string,
    fn: (...args: A) => Promise<R> | R,
    options: ToolOptions<A> = {},
  ): (...args: A) => Promise<R> {
    if (this.agent === undefined) {
      throw new AgentOsApiError('AOS_USAGE', `tool \`${name}\` needs the \`agent\` given to \`connect\``, 0);
    }
    return async (...args: A): Promise<R> => {
      const request = requestFor(name, args, options);
      const result = await this.execute(request, options);
      if (result.status === 'denied') throw new ActionDeniedError(result);
      if (result.status !== 'allowed') {
        throw new AgentOsApiError(
          'AOS_CONFLICT',
          `action \`${result.id}\` is ${result.status}, not allowed`,
          0,
        );
      }
      const started = Date.now();
      let value: R;
      try {
        value = await fn(...args);
      } catch (e) {
        await this.report(result.id, { error: reportedError(e) }, Date.now() - started);
        throw e;
      }
      const outcome = options.toOutcome ? options.toOutcome(value) : toJson(value);
      await this.report(result.id, { outcome }, Date.now() - started);
      return value;
    };
  }

  /**
   * Approvals, for a person's token (approver, admin, auditor or viewer).
   *
   * @example
   * ```ts
   * const operator = connect({ url, credential: personToken });
   * for (const a of await operator.approvals.list({ mine: true })) await operator.approvals.approve(a.id, 'ok');
   * ```
   */
  readonly approvals = {
    /** Pending approvals, soonest to expire first; `mine`: those the caller is asked to vote on now. */
    list: async (options: { mine?: boolean } = {}): Promise<Approval[]> =>
      (await this.call<{ approvals: Approval[] }>('GET', `/v1/approvals${options.mine ? '?mine=true' : ''}`))
        .approvals,
    /** One approval. */
    get: (id: string): Promise<Approval> =>
      this.call<Approval>('GET', `/v1/approvals/${encodeURIComponent(id)}`),
    /** Votes to approve; resolves with the approval afterwards. */
    approve: (id: string, comment?: string): Promise<Approval> => this.vote(id, 'approve', comment),
    /** Votes to deny (one deny at any level denies the action). */
    deny: (id: string, comment?: string): Promise<Approval> => this.vote(id, 'deny', comment),
  };

  /**
   * Sends a signal to an agent, a department or everything (an admin, or the agent's owner).
   *
   * @example
   * ```ts
   * await operator.signal('stop', { agent: 'payroll-bot' }, 'payroll audit');
   * await operator.signal('cont', { agent: 'payroll-bot' });
   * ```
   */
  signal(signal: SignalName, target: SignalTarget, reason?: string): Promise<SignalReport> {
    const scoped =
      'agent' in target
        ? { scope: 'agent', target: target.agent }
        : 'department' in target
          ? { scope: 'department', target: target.department }
          : { scope: 'all' };
    return this.call<SignalReport>('POST', '/v1/signals', {
      signal,
      ...scoped,
      ...(reason === undefined ? {} : { reason }),
    });
  }

  /**
   * Puts a new org in force (an admin): validated, diffed, recorded, and governing the next action. With
   * `dryRun` it only validates and returns the diff.
   *
   * @example
   * ```ts
   * const { changes, applied } = await admin.applyOrg(readFileSync('org.yaml', 'utf8'), { file: 'org.yaml' });
   * ```
   */
  applyOrg(text: string, options: { file?: string; dryRun?: boolean } = {}): Promise<OrgApplied> {
    return this.call<OrgApplied>('POST', '/v1/org', {
      text,
      ...(options.file === undefined ? {} : { file: options.file }),
      ...(options.dryRun ? { dryRun: true } : {}),
    });
  }

  /**
   * Puts a new policy set in force (an admin): every file, validated, recorded, governing the next action.
   *
   * @example
   * ```ts
   * await admin.applyPolicies([{ file: 'policies/finance.yaml', text }], { dryRun: true });
   * ```
   */
  applyPolicies(
    files: readonly { file: string; text: string }[],
    options: { dryRun?: boolean; shadow?: boolean } = {},
  ): Promise<PoliciesApplied> {
    return this.call<PoliciesApplied>('POST', '/v1/policies', {
      files,
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.shadow ? { shadow: true } : {}),
    });
  }

  /**
   * Every agent of the org with its state now (people with `agents.read`: every role).
   *
   * @example
   * ```ts
   * const stopped = (await operator.agents()).filter((a) => a.state === 'stopped');
   * ```
   */
  async agents(): Promise<readonly AgentState[]> {
    return (await this.call<{ agents: AgentState[] }>('GET', '/v1/agents')).agents;
  }

  /**
   * Ends shadow mode (an admin): the shadow policy set is no longer tried alongside the enforced one.
   *
   * @example
   * ```ts
   * const { cleared } = await admin.clearShadow();
   * ```
   */
  clearShadow(): Promise<{ cleared: boolean }> {
    return this.call<{ cleared: boolean }>('DELETE', '/v1/policies/shadow');
  }

  private vote(id: string, verdict: 'approve' | 'deny', comment?: string): Promise<Approval> {
    return this.call<Approval>(
      'POST',
      `/v1/approvals/${encodeURIComponent(id)}/${verdict}`,
      comment === undefined ? {} : { comment },
    );
  }

  private async settle(view: ActionView, started: number, options: WaitOptions): Promise<ActionResult> {
    let current = view;
    while (waiting(current)) {
      const left = options.timeoutMs === undefined ? MAX_POLL_MS : options.timeoutMs - (Date.now() - started);
      if (left <= 0) throw new ApprovalTimeoutError(current, options.timeoutMs ?? 0);
      const wait = Math.min(left, MAX_POLL_MS);
      current = await this.call<ActionView>(
        'GET',
        `/v1/actions/${encodeURIComponent(current.id)}?wait=${Math.max(1, Math.ceil(wait))}ms`,
        undefined,
        options.signal,
      );
    }
    return current;
  }

  private async call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    return (await this.send({ method, path, body, signal })).body as T;
  }
}

/**
 * Connects to a kernel: nothing is sent until the first call.
 *
 * @example
 * ```ts
 * import { connect } from 'agentos';
 *
 * const client = connect({
 *   url: process.env.AGENTOS_URL ?? 'http://127.0.0.1:7070',
 *   credential: process.env.AGENTOS_CREDENTIAL!,
 *   agent: 'payroll-bot',
 * });
 * ```
 */
export function connect(options: ConnectOptions): AgentOsClient {
  return new AgentOsClient(options);
}

/** True while the kernel has not finished with an action: held, awaiting approval, or run by its executor. */
function waiting(
  v: ActionView,
): v is Extract<ActionView, { status: 'held' | 'pending_approval' | 'allowed' }> {
  return (
    v.status === 'held' ||
    v.status === 'pending_approval' ||
    (v.status === 'allowed' && v.executor !== undefined)
  );
}

function requestFor<A extends unknown[]>(name: string, args: A, options: ToolOptions<A>): ActionInput {
  const rest = options.toRequest ? options.toRequest(...args) : { args: defaultArgs(args) };
  const resource =
    typeof options.resource === 'function' ? options.resource(...args) : (options.resource ?? rest.resource);
  return { ...rest, action: name, ...(resource === undefined ? {} : { resource }) };
}

function defaultArgs(args: readonly unknown[]): Record<string, unknown> {
  const [first] = args;
  if (args.length === 1 && typeof first === 'object' && first !== null && !Array.isArray(first)) {
    return first as Record<string, unknown>;
  }
  return { arguments: [...args] };
}

function toJson(value: unknown): JsonValue {
  if (value === undefined) return null;
  try {
    return (JSON.parse(JSON.stringify(value)) as JsonValue | undefined) ?? null;
  } catch {
    return String(value);
  }
}

function reportedError(e: unknown): ReportedError {
  const code = (e as { code?: unknown } | undefined)?.code;
  const name = e instanceof Error ? e.name : 'Error';
  const message = e instanceof Error ? e.message : String(e);
  return {
    code: (typeof code === 'string' && code !== '' ? code : name).slice(0, 100),
    message: message.slice(0, 4000),
  };
}
