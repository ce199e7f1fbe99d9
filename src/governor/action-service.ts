/**
 * The daemon's governed actions (issue 4 §3–§5, DESIGN §3): authenticated callers submit actions, people
 * vote on approvals, signals hold or refuse an agent's actions. Every step is a ledger record before it
 * takes effect; every refusal is recorded too.
 *
 * Executors: an allowed action whose name an HTTP executor claims is run by the kernel (`executed` or
 * `failed`, recorded with `executor: http:<name>`); any other is `allowed` in *report mode*: the agent
 * runs the tool itself and reports the outcome (`report`), recorded as advisory (`executor: report`).
 */
import {
  atTime,
  castVote,
  currentApprovers,
  openApproval,
  reminded,
  reminderDue,
  type Approval,
} from '../kernel/approvals/approval.js';
import type { ApprovalRoute } from '../kernel/approvals/route.js';
import { AgentOsError, isAgentOsError } from '../kernel/errors.js';
import type { JsonValue, LedgerRecord, RecordType } from '../kernel/ledger/record.js';
import type { Clock, Hasher, IdSource } from '../kernel/ports.js';
import { parseActionRequest } from '../kernel/policy/request.js';
import type { ActionRequest, Decision } from '../kernel/types.js';
import { ActionPipeline, type Admission, type DurableAppender } from './action-pipeline.js';
import { routeDecision } from './approval-routing.js';
import { authorize, type Permission, type Principal } from './auth.js';
import type { Governance } from './governance.js';
import type { ActionStatus, DaemonStore, StandingSignal, StoredAction, StoredApproval } from './store.js';
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

/** An approval as the API shows it. */
export interface ApprovalView {
  readonly id: string;
  readonly action: string;
  readonly agent: string;
  readonly status: StoredApproval['status'];
  readonly approvers: readonly string[];
  readonly level: number;
  readonly levels: number;
  /** How many approvals the current level needs (of its `approvers`). */
  readonly quorum?: number;
  readonly expiresAt: string;
  /** The request it approves and the decision that asked for approval (when the action is stored). */
  readonly request?: JsonValue;
  readonly decision?: JsonValue;
  /** The votes cast, with 1-based levels and ISO times. */
  readonly votes: readonly {
    readonly person: string;
    readonly verdict: 'approve' | 'deny';
    readonly level: number;
    readonly time: string;
    readonly comment?: string | undefined;
  }[];
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
  /** When `sweep` last looked for approvals to remind of (they are looked for every 15 s). */
  private lastReminderScan = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: ActionServiceDeps) {
    this.pipeline = new ActionPipeline({
      ledger: deps.ledger,
      ids: deps.ids,
      clock: deps.clock,
      hasher: deps.hasher,
      governance: deps.governance,
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

  private async approvalChanged(view: ApprovalView): Promise<void> {
    if (this.listeners.size === 0) return;
    const full = await this.withAction(view);
    for (const l of this.listeners) l({ type: 'approval', agent: view.agent, approval: full });
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
      approval = openApproval({
        id: this.deps.ids.next('apr'),
        action: admission.id,
        requestHash: this.deps.hasher.sha256(request),
        route,
        timeoutMs: admission.decision.approval?.timeoutMs ?? 86_400_000,
        now,
      });
      await this.record('approval.requested', {
        approval: approval.id,
        action: admission.id,
        agent: admission.request.agent,
        ...(admission.request.episode ? { episode: admission.request.episode } : {}),
        levels: approval.levels.map((l) => ({ approvers: [...l.approvers], quorum: l.quorum })),
        expiresAt: iso(approval.expiresAt),
        requestHash: approval.requestHash,
      });
      await this.deps.store.approvals.put(storedApproval(approval, admission.request.agent, now));
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
    if (approval) {
      const saved = await this.deps.store.approvals.get(approval.id);
      if (saved) await this.approvalChanged(approvalView(saved, approval));
    }
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

  /** `POST /v1/approvals/:id/approve|deny`: one person's vote, bound to the request as it stands. */
  async vote(
    who: Principal,
    approvalId: string,
    verdict: 'approve' | 'deny',
    comment?: string,
  ): Promise<ApprovalView> {
    await this.allow(who, 'approvals.vote');
    const stored = await this.deps.store.approvals.get(approvalId);
    if (!stored) throw new AgentOsError('AOS_NOT_FOUND', `no approval \`${approvalId}\``);
    const action = await this.deps.store.actions.get(stored.action);
    if (!action)
      throw new AgentOsError('AOS_STORE_CORRUPT', `approval \`${approvalId}\` names a missing action`);
    const now = this.deps.clock.now();
    const approval = atTime(JSON.parse(stored.state) as Approval, now);
    const result = castVote(
      approval,
      { person: who.id, verdict, time: now, ...(comment ? { comment } : {}) },
      this.deps.hasher.sha256(action.request),
    );
    if (!result.ok) {
      await this.record('access.denied', {
        who: { kind: who.kind, id: who.id },
        what: `approvals.${verdict}`,
        approval: approvalId,
        action: action.id,
        agent: action.agent,
        code: result.refusal === 'closed' ? 'AOS_CONFLICT' : 'AOS_FORBIDDEN',
        reason: result.reason,
      });
      throw new AgentOsError(result.refusal === 'closed' ? 'AOS_CONFLICT' : 'AOS_FORBIDDEN', result.reason);
    }
    const next = result.approval;
    const ref = { approval: approvalId, action: action.id, agent: action.agent };
    await this.record('approval.voted', {
      ...ref,
      person: who.id,
      verdict,
      level: approval.level + 1,
      ...(comment ? { comment } : {}),
    });
    if (next.status === 'granted') await this.record('approval.granted', { ...ref, votes: votesJson(next) });
    if (next.status === 'denied')
      await this.record('approval.denied', { ...ref, by: who.id, votes: votesJson(next) });
    return this.settle(stored, next, action);
  }

  /**
   * Reminds the people asked of approvals with a quarter of their wait left, once per wait: recorded as
   * `approval.reminded` and told to live listeners (the console's inbox, webhooks). Resolves with how many.
   */
  async remind(): Promise<number> {
    const now = this.deps.clock.now();
    let sent = 0;
    for (const stored of await this.deps.store.approvals.pending()) {
      const state = JSON.parse(stored.state) as Approval;
      if (!reminderDue(state, now)) continue;
      const action = await this.deps.store.actions.get(stored.action);
      if (!action) continue;
      await this.record('approval.reminded', {
        approval: stored.id,
        action: action.id,
        agent: action.agent,
        approvers: [...currentApprovers(state)],
        expiresAt: iso(state.expiresAt),
      });
      await this.settle(stored, reminded(state), action);
      sent++;
    }
    return sent;
  }

  /** Expires or escalates approvals whose time is up, and sends reminders; resolves with how many changed. */
  async sweep(): Promise<number> {
    const now = this.deps.clock.now();
    if (now - this.lastReminderScan >= 15_000) {
      this.lastReminderScan = now;
      await this.remind();
    }
    let changed = 0;
    for (const stored of await this.deps.store.approvals.pending({ dueBefore: iso(now + 1) })) {
      const before = JSON.parse(stored.state) as Approval;
      const after = atTime(before, now);
      if (after === before) continue;
      const action = await this.deps.store.actions.get(stored.action);
      if (!action) continue;
      const ref = { approval: stored.id, action: action.id, agent: action.agent };
      await this.record('approval.expired', {
        ...ref,
        escalated: after.status === 'pending',
        ...(after.status === 'pending'
          ? { approvers: [...currentApprovers(after)], expiresAt: iso(after.expiresAt) }
          : {}),
      });
      await this.settle(stored, after, action);
      changed++;
    }
    return changed;
  }

  /** Denies the pending approvals of these agents (they were killed); resolves with how many. */
  async cancelApprovals(agents: readonly string[], reason: string): Promise<number> {
    const set = new Set(agents);
    let cancelled = 0;
    for (const stored of await this.deps.store.approvals.pending()) {
      if (!set.has(stored.agent)) continue;
      const action = await this.deps.store.actions.get(stored.action);
      if (!action) continue;
      const state = JSON.parse(stored.state) as Approval;
      const closed: Approval = { ...state, status: 'denied' };
      await this.record('approval.denied', {
        approval: stored.id,
        action: action.id,
        agent: action.agent,
        by: 'signal.kill',
        reason,
        votes: votesJson(state),
      });
      await this.settle(stored, closed, action);
      cancelled++;
    }
    return cancelled;
  }

  /** Stores an approval's new state and moves its action on when it closed. */
  private async settle(stored: StoredApproval, next: Approval, action: StoredAction): Promise<ApprovalView> {
    const now = iso(this.deps.clock.now());
    const saved = await this.deps.store.approvals.update(stored.id, stored.revision, {
      status: next.status,
      state: JSON.stringify(next),
      expiresAt: iso(next.expiresAt),
      updatedAt: now,
    });
    if (!saved)
      throw new AgentOsError('AOS_CONFLICT', `approval \`${stored.id}\` changed meanwhile; try again`);
    if (next.status !== 'pending') {
      const status: ActionStatus = next.status === 'granted' ? 'allowed' : 'denied';
      const updated = await this.deps.store.actions.update(action.id, action.revision, {
        status,
        updatedAt: now,
      });
      if (updated) {
        this.changed(this.show(updated, next), action.agent);
        if (status === 'allowed') this.background(updated);
      }
    } else if (next.escalated && !(JSON.parse(stored.state) as Approval).escalated) {
      // Escalated: still waiting, but on other people; those waiting on the action see who now.
      this.changed(this.show(action, next), action.agent);
    }
    const view = approvalView(saved, next);
    await this.approvalChanged(view);
    return view;
  }

  /** An approval, for a person who may read approvals. */
  async approval(who: Principal, id: string): Promise<ApprovalView> {
    await this.allow(who, 'approvals.read');
    const stored = await this.deps.store.approvals.get(id);
    if (!stored) throw new AgentOsError('AOS_NOT_FOUND', `no approval \`${id}\``);
    return this.withAction(approvalView(stored, JSON.parse(stored.state) as Approval));
  }

  /** An approval view with the request it is about and the decision that asked for it. */
  private async withAction(view: ApprovalView): Promise<ApprovalView> {
    const action = await this.deps.store.actions.get(view.action);
    if (!action) return view;
    return {
      ...view,
      request: JSON.parse(action.request) as JsonValue,
      ...(action.decision ? { decision: JSON.parse(action.decision) as JsonValue } : {}),
    };
  }

  /** Pending approvals; with `mine`, only those the caller is asked to vote on now. */
  async pendingApprovals(who: Principal, mine = false): Promise<ApprovalView[]> {
    await this.allow(who, 'approvals.read');
    const out: ApprovalView[] = [];
    for (const stored of await this.deps.store.approvals.pending()) {
      const view = approvalView(stored, JSON.parse(stored.state) as Approval);
      if (!mine || view.approvers.includes(who.id)) out.push(await this.withAction(view));
    }
    return out;
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

function storedApproval(a: Approval, agent: string, now: number): Omit<StoredApproval, 'revision'> {
  return {
    id: a.id,
    action: a.action,
    agent,
    status: a.status,
    state: JSON.stringify(a),
    expiresAt: iso(a.expiresAt),
    updatedAt: iso(now),
  };
}

function votesJson(a: Approval): JsonValue {
  return a.votes.map((v) => ({
    person: v.person,
    verdict: v.verdict,
    level: v.level + 1,
    time: iso(v.time),
  }));
}

function approvalView(s: StoredApproval, a: Approval): ApprovalView {
  return {
    id: s.id,
    action: s.action,
    agent: s.agent,
    status: s.status,
    approvers: [...currentApprovers(a)],
    level: Math.min(a.level + 1, a.levels.length),
    levels: a.levels.length,
    ...(a.levels[a.level] ? { quorum: a.levels[a.level]!.quorum } : {}),
    expiresAt: s.expiresAt,
    votes: a.votes.map((v) => ({ ...v, level: v.level + 1, time: iso(v.time) })),
  };
}
