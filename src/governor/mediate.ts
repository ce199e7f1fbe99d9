/**
 * How a kernel gateway (MCP, LLM, egress; DESIGN §7) governs one thing an agent asks it to do: admit the
 * action through the pipeline, wait through approval or a `stop` while the caller may wait, run it only
 * once it is allowed, and record its outcome before the result is handed back (no record, no action).
 */
import { AgentOsError, isAgentOsError } from '../kernel/errors.js';
import type { JsonValue } from '../kernel/ledger/record.js';
import { isWaiting, type ActionService, type ActionView } from './action-service.js';
import type { Principal } from './auth.js';

/** What running an allowed action gives back: the value for the caller, and what the ledger keeps of it. */
export interface Mediated<T> {
  readonly value: T;
  /** A summary for the `action.completed` record (never secrets, never whole bodies). */
  readonly outcome: JsonValue;
}

/** How long to wait and whom to tell while an action waits. */
export interface MediateOptions {
  /** How long to wait for approval or a `cont` before giving up with the action still waiting (default 0). */
  readonly waitMs?: number;
  /** Told each time the action is seen waiting (progress notifications, logs). */
  readonly onWait?: (view: ActionView) => void;
  /** Wakes up this often to call `onWait` again (default 10 s). */
  readonly pollMs?: number;
}

/** The end of one mediated call: `value` only when the action was allowed and ran. */
export type MediateResult<T> =
  | { readonly ran: true; readonly view: ActionView; readonly value: T }
  | { readonly ran: false; readonly view: ActionView };

/**
 * Admits `input` (an ActionRequest) for `who`, waits up to `waitMs` while it waits, then runs `run` when it is
 * allowed and records the outcome as executed by `gateway:<gateway>`. A denied or still-waiting action does
 * not run (`ran: false`, the view says why). When `run` throws, the failure is recorded and rethrown.
 */
export async function mediate<T>(
  service: ActionService,
  who: Principal,
  input: unknown,
  gateway: string,
  run: (view: ActionView) => Promise<Mediated<T>>,
  options: MediateOptions = {},
): Promise<MediateResult<T>> {
  let view = await service.submit(who, input);
  if (view.executor !== undefined) {
    throw new AgentOsError(
      'AOS_CONFLICT',
      `action \`${view.id}\` is claimed by the executor \`${view.executor}\`; a gateway cannot also run it`,
    );
  }
  const deadline = Date.now() + (options.waitMs ?? 0);
  const poll = options.pollMs ?? 10_000;
  while (isWaiting(view)) {
    options.onWait?.(view);
    const left = deadline - Date.now();
    // a closing daemon answers every wait at once: give up now rather than ask again until the deadline
    if (left <= 0 || service.isClosing) return { ran: false, view };
    view = await service.view(who, view.id, Math.min(left, poll));
  }
  if (view.status !== 'allowed') return { ran: false, view };
  const started = Date.now();
  let result: Mediated<T>;
  try {
    result = await run(view);
  } catch (e) {
    const error = {
      code: isAgentOsError(e) ? e.code : 'AOS_EXECUTOR_FAILED',
      message: e instanceof Error ? e.message : String(e),
    };
    await service.completeMediated(who, view.id, gateway, { error }, Date.now() - started);
    throw e;
  }
  const done = await service.completeMediated(
    who,
    view.id,
    gateway,
    { outcome: result.outcome },
    Date.now() - started,
  );
  return { ran: true, view: done, value: result.value };
}

/** One line saying why a mediated call did not run, for a gateway's error text: the code and the reason. */
export function refusal(view: ActionView): { code: string; message: string } {
  const decision = view.decision as { reason?: unknown; rule?: unknown } | undefined;
  const reason = typeof decision?.reason === 'string' ? decision.reason : undefined;
  switch (view.status) {
    case 'denied':
      return {
        code: 'AOS_DENIED',
        message: `denied by policy${reason ? `: ${reason}` : ''} (action \`${view.id}\`)`,
      };
    case 'pending_approval':
      return {
        code: 'AOS_APPROVAL_PENDING',
        message: `waiting for approval \`${view.approval?.id ?? '?'}\` from ${view.approval?.approvers.join(', ') ?? 'nobody'} (action \`${view.id}\`)`,
      };
    case 'held':
      return { code: 'AOS_HELD', message: `the agent is stopped; action \`${view.id}\` is held` };
    default:
      return { code: 'AOS_DENIED', message: `action \`${view.id}\` is ${view.status}` };
  }
}
