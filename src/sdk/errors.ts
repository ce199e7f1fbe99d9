/**
 * The SDK's errors. Every failure of a call to the kernel is an `AgentOsApiError` with the kernel's stable
 * code (`AOS_…`, catalogued in docs/errors.md); a denial is not a failure of the call, so `execute`
 * returns it as a value and only `tool()` throws it, as `ActionDeniedError`.
 */
import type { ActionView, Decision, DeniedAction } from './types.js';

/**
 * A call to the kernel failed: the daemon answered with an error, could not be reached, or answered with
 * something that is not the API. `status` is the HTTP status, or 0 when no answer came (code `AOS_IO`, the
 * cause wrapped) or the call was refused before it was sent (`AOS_USAGE`).
 *
 * @example
 * ```ts
 * try {
 *   await client.execute({ action: 'payroll.update', resource: 'employee/1042' });
 * } catch (e) {
 *   if (e instanceof AgentOsApiError && e.code === 'AOS_UNAUTHENTICATED') rotateCredential();
 *   else throw e;
 * }
 * ```
 */
export class AgentOsApiError extends Error {
  override readonly name = 'AgentOsApiError';
  /** The stable error code, `AOS_…`. */
  readonly code: string;
  /** The HTTP status; 0 when the daemon did not answer. */
  readonly status: number;

  constructor(code: string, message: string, status: number, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = status;
  }
}

/**
 * A governed tool was not allowed to run: the policy denied it, an approver denied it, its approval
 * expired, or its agent was killed. `decision` says which rules decided and why.
 *
 * @example
 * ```ts
 * try {
 *   await updateSalary({ employee: '1042', salary: 90_000 });
 * } catch (e) {
 *   if (e instanceof ActionDeniedError) console.log(`not allowed: ${e.decision.reason}`);
 *   else throw e;
 * }
 * ```
 */
export class ActionDeniedError extends Error {
  override readonly name = 'ActionDeniedError';
  /** The action as the kernel shows it (status `denied`). */
  readonly action: DeniedAction;

  constructor(action: DeniedAction) {
    super(`action \`${action.id}\` was denied: ${action.decision.reason}`);
    this.action = action;
  }

  /** The kernel's decision (effect, rules, reason, risk). */
  get decision(): Decision {
    return this.action.decision;
  }
}

/**
 * An action was still waiting (for people to approve it, or held by a `stop` signal) when the wait given
 * to `execute` or `tool` ran out. The action stays pending on the kernel; `action.id` finds it again.
 *
 * @example
 * ```ts
 * try {
 *   await client.execute(request, { timeoutMs: 60_000 });
 * } catch (e) {
 *   if (e instanceof ApprovalTimeoutError) queueForLater(e.action.id);
 *   else throw e;
 * }
 * ```
 */
export class ApprovalTimeoutError extends Error {
  override readonly name = 'ApprovalTimeoutError';
  /** The action as last seen (status `pending_approval` or `held`). */
  readonly action: ActionView;

  constructor(action: ActionView, timeoutMs: number) {
    super(`action \`${action.id}\` is still ${action.status.replace('_', ' ')} after ${timeoutMs} ms`);
    this.action = action;
  }
}
