/**
 * The daemon's governed actions (issue 4 §3–§5, DESIGN §3): authenticated callers submit actions, people
 * vote on approvals, signals hold or refuse an agent's actions. Every step is a ledger record before it
 * takes effect; every refusal is recorded too.
 *
 * Approvals are the desk's (`approval-desk.ts`): an action waiting for people is stored
 * `pending_approval` here and moved on when its approval closes.
 *
 * Executors: an allowed action whose name an HTTP executor claims is run by the kernel (`executed` or
 * `failed`, recorded with `executor: http:<name>`); any other is `allowed` in *report mode*: the agent
 * runs the tool itself and reports the outcome (`report`), recorded as advisory (`executor: report`).
 */
import { currentApprovers, type Approval } from '../kernel/approvals/approval.js';
import type { ApprovalRoute } from '../kernel/approvals/route.js';
import { AgentOsError, isAgentOsError } from '../kernel/errors.js';
import type { JsonValue, LedgerRecord, RecordType } from '../kernel/ledger/record.js';
import type { Clock, Hasher, IdSource } from '../kernel/ports.js';
import { parseActionRequest } from '../kernel/policy/request.js';
import type { ActionRequest, Decision } from '../kernel/types.js';
import { ActionPipeline, type Admission, type DurableAppender } from './action-pipeline.js';
import { ApprovalDesk, type ApprovalView } from './approval-desk.js';
import { routeDecision } from './approval-routing.js';
import { authorize, type Permission, type Principal } from './auth.js';
import type { Governance } from './governance.js';
import type { ActionStatus, DaemonStore, StandingSignal, StoredAction } from './store.js';
import type { ActionExecutor, ExecutorTable } from './executors.js';
import { effectiveSignal, type SignalBoard } from './signal-board.js';
import { Waiters } from './waiters.js';

/** What the service needs. */
export interface ActionServiceDeps {
  readonly store: DaemonStore;
  readonly ledger: DurableAppender;
  readonly ids: IdSource;
  readonly clock: Clock;
  readonly hasher: Hasher;
  readonly governance: () => Governance;
  readonly signals: SignalBoard;
  /** The kernel's executors; without them every allowed action is in report mode. */
  readonly executors?: ExecutorTable;
  /** Told of failures in work nobody waits for (recording a background execution's outcome). */
  readonly onError?: (error: unknown) => void;
}

/** An action as the API shows it (issue 4 §3). */
export interface ActionView {
  readonly id: string;
  readonly status: ActionStatus;
  /** The ActionRequest as submitted. */
  readonly request: JsonValue;
  readonly decision?: JsonValue;
  readonly outcome?: JsonValue;
  /** The executor the kernel runs this action with; absent in report mode. */
  readonly executor?: string;
  readonly approval?: {
    readonly id: string;
    /** `pending`, or how it ended: `granted`, `denied` (by a person, or a kill) or `expired`. */
    readonly status: Approval['status'];
    readonly approvers: readonly string[];
    readonly expiresAt: string;
  };
}

/** What the daemon tells live listeners (the console's inbox, `GET /v1/events`). */
export type KernelEvent =
  | { readonly type: 'action'; readonly agent: string; readonly action: ActionView }
  | { readonly type: 'approval'; readonly agent: string; readonly approval: ApprovalView };

const iso = (ms: number) => new Date(ms).toISOString();

/** True while an action waits: for people, for a signal, or for the kernel's executor to finish. */
export const isWaiting = (v: ActionView): boolean =>
  v.status === 'held' ||
  v.status === 'pending_approval' ||
  (v.status === 'allowed' && v.executor !== undefined);

type Result = { outcome: JsonValue } | { error: { code: string; message: string } };

/** The daemon's action use cases. */
export class ActionService {
  private readonly pipeline: ActionPipeline;
  private readonly waiters = new Waiters<ActionView>();
  private readonly listeners = new Set<(event: KernelEvent) => void>();
  /** Executions started by an approval or a release, which the caller does not wait for. */
  private readonly running = new Set<Promise<unknown>>();
  /** Set once the daemon closes: long-polls answer at once. */
  private closing = false;
  /** The approvals actions wait for: votes, reminders, expiry and escalation (`sweep`), kills. */
  readonly approvals: ApprovalDesk;

  constructor(private readonly deps: ActionServiceDeps) {
    this.pipeline = new ActionPipeline({
      ledger: deps.ledger,
      ids: deps.ids,
      clock: deps.clock,
      hasher: deps.hasher,
      governance: deps.governance,
    });
    this.approvals = new ApprovalDesk({
      store: deps.store,
      ledger: deps.ledger,
      ids: deps.ids,
      clock: deps.clock,
      hasher: deps.hasher,
      allow: (who, what) => this.allow(who, what),
      moved: (action, approval) => {
        this.changed(this.show(action, approval), action.agent);
        if (action.status === 'allowed') this.background(action);
      },
      listened: () => this.listeners.size > 0,
      tell: (approval) => {
        for (const l of this.listeners) l({ type: 'approval', agent: approval.agent, approval });
      },
    });
  }

  /** Listens to every action and approval change; returns the function that stops listening. */
  subscribe(listener: (event: KernelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Wakes long-polls of the action and tells live listeners. */
  private changed(view: ActionView, agent: string): void {
    this.waiters.notify(view.id, view);
    for (const l of this.listeners) l({ type: 'action', agent, action: view });
  }

  /** Checks a permission; a refusal is recorded (`access.denied`) and thrown. */
  async allow(who: Principal, what: Permission, target: { agent?: string } = {}): Promise<void> {
    try {
      authorize(who, what, { ...target, org: this.deps.governance().engine.org });
    } catch (e) {
      if (isAgentOsError(e)) {
        await this.record('access.denied', {
          who: { kind: who.kind, id: who.id, ...(who.kind === 'person' ? { role: who.role } : {}) },
          what,
          ...(target.agent ? { agent: target.agent } : {}),
          code: e.code,
          reason: e.message,
        });
      }
      throw e;
    }
  }

  /** `POST /v1/actions`: admits an action for the calling agent. */
  async submit(who: Principal, input: unknown): Promise<ActionView> {
    const request = parseActionRequest(input);
    await this.allow(who, 'actions.submit', { agent: request.agent });
    const org = this.deps.governance().engine.org;
    const signal = effectiveSignal(this.deps.signals, org, request.agent);
    if (signal?.signal === 'stop') return this.hold(request);
    const { admission, route } = await this.admitRouted(request, signal);
    return this.afterAdmission(admission, route);
  }

  /**
   * Admits a request through the pipeline, completing its decision before it is recorded: a standing
   * `kill` denies it, and an approval is routed to the people the org names (or denied when none can).
   */
  private async admitRouted(
    request: ActionRequest,
    signal: StandingSignal | undefined,
    id?: string,
  ): Promise<{ admission: Admission; route: ApprovalRoute | undefined }> {
    let route: ApprovalRoute | undefined;
    const admission = await this.pipeline.admit(request, {
      ...(id === undefined ? {} : { id }),
      finalize: (req, decision, governance) => {
        if (signal?.signal === 'kill') return killed(decision, signal.reason);
        const routed = routeDecision(governance.engine.org, req, decision);
        route = routed.route;
        return routed.decision;
      },
    });
    return { admission, route };
  }

  /** Stores an admitted action (or updates the held one it was), opening its approval when it needs one. */
  private async afterAdmission(
    admission: Admission,
    route: ApprovalRoute | undefined,
    held?: StoredAction,
  ): Promise<ActionView> {
    const now = this.deps.clock.now();
    const request = JSON.stringify(admission.request);
    const decision = JSON.stringify(admission.decision);
    let status: ActionStatus = admission.status === 'allowed' ? 'allowed' : 'denied';
    let approval: Approval | undefined;
    if (admission.status === 'pending_approval' && route) {
      status = 'pending_approval';
      approval = await this.approvals.open(admission, route, now);
    }
    const change = { status, decision, updatedAt: iso(now), ...(approval ? { approval: approval.id } : {}) };
    const stored = held
      ? await this.deps.store.actions.update(held.id, held.revision, change)
      : await this.deps.store.actions.put({
          id: admission.id,
          agent: admission.request.agent,
          request,
          createdAt: iso(now),
          ...change,
        });
    if (!stored) throw new AgentOsError('AOS_CONFLICT', `action \`${admission.id}\` changed meanwhile`);
    const view = this.show(stored, approval);
    this.changed(view, stored.agent);
    if (approval) await this.approvals.announce(approval);
    const executor = status === 'allowed' ? this.executorOf(admission.request) : undefined;
    if (!executor) return view;
    // A released action runs in the background: `cont` does not wait for every held action's executor.
    if (held) {
      this.background(stored);
      return view;
    }
    return this.execute(stored, executor);
  }

  private executorOf(request: ActionRequest): ActionExecutor | undefined {
    return this.deps.executors?.for(request.action);
  }

  /**
   * Runs an allowed action with the kernel's executor and records its outcome. Resolves with the action,
   * `executed` or `failed`; rejects only when the outcome cannot be recorded (the action ran).
   */
  private async execute(stored: StoredAction, executor: ActionExecutor): Promise<ActionView> {
    const request = JSON.parse(stored.request) as ActionRequest;
    const started = this.deps.clock.now();
    let result: Result;
    try {
      const decision = stored.decision ? (JSON.parse(stored.decision) as JsonValue) : null;
      result = { outcome: await executor.run({ id: stored.id, request, decision }) };
    } catch (e) {
      result = {
        error: {
          code: isAgentOsError(e) ? e.code : 'AOS_EXECUTOR_FAILED',
          message: e instanceof Error ? e.message : String(e),
        },
      };
    }
    return this.finish(stored, `http:${executor.name}`, result, this.deps.clock.now() - started);
  }

  /** Starts an execution nobody waits for; `drain` waits for it. A failure to record it is logged by `onError`. */
  private background(stored: StoredAction): void {
    const executor = this.executorOf(JSON.parse(stored.request) as ActionRequest);
    if (!executor) return;
    const run = this.execute(stored, executor)
      .catch((e: unknown) => this.deps.onError?.(e))
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** True once `endWaits` was called: nobody may wait on this service any longer (the daemon is closing). */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Answers every long-poll now, with the action as its caller last saw it (the daemon is closing). */
  endWaits(): void {
    this.closing = true;
    this.waiters.releaseAll();
  }

  /** Waits for the executions in flight (graceful shutdown: none is cut off before its outcome is recorded). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** A stopped agent's action: recorded as requested and held, decided when the agent is continued. */
  private async hold(request: ActionRequest): Promise<ActionView> {
    const id = this.deps.ids.next('act');
    const now = iso(this.deps.clock.now());
    const requestJson = JSON.stringify(request);
    await this.record('action.held', {
      action: id,
      agent: request.agent,
      ...(request.episode ? { episode: request.episode } : {}),
      request: JSON.parse(requestJson) as JsonValue,
      requestHash: this.deps.hasher.sha256(requestJson),
    });
    const stored = await this.deps.store.actions.put({
      id,
      agent: request.agent,
      status: 'held',
      request: requestJson,
      createdAt: now,
      updatedAt: now,
    });
    return this.show(stored);
  }

  /**
   * Decides the held actions of agents no signal stops any longer (after `cont`); a `kill` refuses them.
   * Resolves with how many were released.
   */
  async release(): Promise<number> {
    const org = this.deps.governance().engine.org;
    let released = 0;
    for (const held of await this.deps.store.actions.withStatus('held')) {
      const signal = effectiveSignal(this.deps.signals, org, held.agent);
      if (signal?.signal === 'stop') continue;
      const request = JSON.parse(held.request) as ActionRequest;
      const { admission, route } = await this.admitRouted(request, signal, held.id);
      await this.afterAdmission(admission, route, held);
      released++;
    }
    return released;
  }

  /** `GET /v1/actions/:id[?wait=]`: the action, after waiting up to `waitMs` for it to leave a waiting state. */
  async view(who: Principal, id: string, waitMs = 0): Promise<ActionView> {
    const stored = await this.deps.store.actions.get(id);
    if (!stored) throw new AgentOsError('AOS_NOT_FOUND', `no action \`${id}\``);
    await this.allow(who, 'actions.read', { agent: stored.agent });
    const view = await this.present(stored);
    if (waitMs <= 0 || this.closing || !isWaiting(view)) return view;
    const waited = this.waiters.wait(id, waitMs, view);
    // INVARIANT: read again once the waiter is registered: a change that landed while this call was
    // awaiting is delivered now, and any later one through `notify`.
    const latest = await this.deps.store.actions.get(id);
    if (latest && latest.revision !== stored.revision) this.waiters.notify(id, await this.present(latest));
    return waited;
  }

  /** An action with its approval's current approvers and deadline. */
  private async present(a: StoredAction): Promise<ActionView> {
    const approval = a.approval ? await this.deps.store.approvals.get(a.approval) : undefined;
    return this.show(a, approval ? (JSON.parse(approval.state) as Approval) : undefined);
  }

  /** Report mode: the agent ran an allowed action itself and reports the outcome (advisory). */
  async report(
    who: Principal,
    id: string,
    result: { outcome: JsonValue } | { error: { code: string; message: string } },
    durationMs: number,
  ): Promise<ActionView> {
    const stored = await this.allowedFor(who, id, 'report');
    const executor = this.executorOf(JSON.parse(stored.request) as ActionRequest);
    if (executor) {
      throw new AgentOsError(
        'AOS_CONFLICT',
        `action \`${id}\` is run by the kernel's executor \`${executor.name}\`, which reports its outcome`,
      );
    }
    return this.finish(stored, 'report', result, durationMs);
  }

  /**
   * A kernel gateway (MCP, LLM, egress) ran an allowed action itself on the agent's behalf: its outcome is
   * recorded with `executor: gateway:<name>` — mediated, not advisory, since the agent never held the way out.
   */
  async completeMediated(
    who: Principal,
    id: string,
    gateway: string,
    result: { outcome: JsonValue } | { error: { code: string; message: string } },
    durationMs: number,
  ): Promise<ActionView> {
    const stored = await this.allowedFor(who, id, 'complete');
    return this.finish(stored, `gateway:${gateway}`, result, durationMs);
  }

  /** The stored action `id` of an agent `who` may act for, which must be `allowed` to be reported or completed. */
  private async allowedFor(who: Principal, id: string, what: 'report' | 'complete'): Promise<StoredAction> {
    const stored = await this.deps.store.actions.get(id);
    if (!stored) throw new AgentOsError('AOS_NOT_FOUND', `no action \`${id}\``);
    await this.allow(who, 'actions.submit', { agent: stored.agent });
    if (stored.status !== 'allowed') {
      throw new AgentOsError(
        'AOS_CONFLICT',
        `action \`${id}\` is ${stored.status}, not allowed: nothing to ${what}`,
      );
    }
    return stored;
  }

  /** Records how an allowed action ended and stores it `executed` or `failed`. */
  private async finish(
    stored: StoredAction,
    executor: string,
    result: Result,
    durationMs: number,
  ): Promise<ActionView> {
    const request = JSON.parse(stored.request) as ActionRequest;
    const ref = {
      action: stored.id,
      agent: stored.agent,
      ...(request.episode ? { episode: request.episode } : {}),
    };
    const ok = 'outcome' in result;
    let unrecorded: unknown;
    try {
      if (ok)
        await this.record('action.completed', { ...ref, executor, outcome: result.outcome, durationMs });
      else await this.record('action.failed', { ...ref, executor, error: result.error, durationMs });
    } catch (e) {
      unrecorded = e;
    }
    const updated = await this.deps.store.actions.update(stored.id, stored.revision, {
      status: ok ? 'executed' : 'failed',
      outcome: JSON.stringify(ok ? result.outcome : result.error),
      updatedAt: iso(this.deps.clock.now()),
    });
    if (unrecorded !== undefined) {
      throw new AgentOsError(
        isAgentOsError(unrecorded) ? unrecorded.code : 'AOS_LEDGER_UNAVAILABLE',
        `action \`${stored.id}\` ran, but its outcome could not be recorded: ${unrecorded instanceof Error ? unrecorded.message : String(unrecorded)}`,
        { cause: unrecorded },
      );
    }
    if (!updated)
      throw new AgentOsError(
        'AOS_CONFLICT',
        `action \`${stored.id}\` changed while its outcome was recorded`,
      );
    const view = this.show(updated);
    this.changed(view, updated.agent);
    return view;
  }

  private show(a: StoredAction, approval?: Approval): ActionView {
    const view: { -readonly [K in keyof ActionView]: ActionView[K] } = {
      id: a.id,
      status: a.status,
      request: JSON.parse(a.request) as JsonValue,
    };
    if (a.decision) view.decision = JSON.parse(a.decision) as JsonValue;
    if (a.outcome) view.outcome = JSON.parse(a.outcome) as JsonValue;
    const executor = this.executorOf(view.request as unknown as ActionRequest);
    if (executor) view.executor = executor.name;
    if (a.approval && approval) {
      view.approval = {
        id: a.approval,
        status: approval.status,
        approvers: [...currentApprovers(approval)],
        expiresAt: iso(approval.expiresAt),
      };
    }
    return view;
  }

  private record(type: RecordType, body: Record<string, JsonValue>): Promise<LedgerRecord> {
    return this.deps.ledger.append(type, body);
  }
}

function killed(decision: Decision, reason: string | undefined): Decision {
  return {
    ...decision,
    effect: 'deny',
    rules: ['signal.kill'],
    reason: `the agent was killed${reason ? `: ${reason}` : ''}`,
    approvers: [],
    approval: undefined,
  };
}
