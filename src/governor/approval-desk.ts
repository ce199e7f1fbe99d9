/**
 * Approvals (issue 4 §4, DESIGN §5): an action the policy sends to people waits here. The desk opens the
 * approval the routing named, takes each person's vote bound to the request as it stands, reminds, expires
 * and escalates on time, and denies what a kill cancels. Every step is a ledger record before it takes
 * effect, a refused vote too. When an approval closes, the action service it serves moves the action on.
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
import { AgentOsError } from '../kernel/errors.js';
import type { JsonValue, LedgerRecord, RecordType } from '../kernel/ledger/record.js';
import type { Clock, Hasher, IdSource } from '../kernel/ports.js';
import type { Admission, DurableAppender } from './action-pipeline.js';
import type { Permission, Principal } from './auth.js';
import type { DaemonStore, StoredAction, StoredApproval } from './store.js';

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

/** What the desk needs: the stores and ledger, and the action service it serves. */
export interface ApprovalDeskDeps {
  readonly store: DaemonStore;
  readonly ledger: DurableAppender;
  readonly ids: IdSource;
  readonly clock: Clock;
  readonly hasher: Hasher;
  /** Checks a permission, recording and throwing a refusal. */
  allow(who: Principal, what: Permission): Promise<void>;
  /**
   * The approval of `action` closed (it is stored `allowed` or `denied` now) or escalated (still pending,
   * on other people): those waiting on the action are told; a granted one is run.
   */
  moved(action: StoredAction, approval: Approval): void;
  /** Whether anybody listens to approval changes (the console's inbox, `GET /v1/events`). */
  listened(): boolean;
  /** Tells the listeners of an approval's new state. */
  tell(view: ApprovalView): void;
}

const iso = (ms: number) => new Date(ms).toISOString();
const WAITING_TIMEOUT_MS = 86_400_000;

/** The daemon's approvals. */
export class ApprovalDesk {
  /** When `sweep` last looked for approvals to remind of (they are looked for every 15 s). */
  private lastReminderScan = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: ApprovalDeskDeps) {}

  /** Opens and stores the approval an admitted action waits for; `announce` it once the action is stored. */
  async open(admission: Admission, route: ApprovalRoute, now: number): Promise<Approval> {
    const approval = openApproval({
      id: this.deps.ids.next('apr'),
      action: admission.id,
      requestHash: this.deps.hasher.sha256(JSON.stringify(admission.request)),
      route,
      timeoutMs: admission.decision.approval?.timeoutMs ?? WAITING_TIMEOUT_MS,
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
    await this.deps.store.approvals.put({
      id: approval.id,
      action: approval.action,
      agent: admission.request.agent,
      status: approval.status,
      state: JSON.stringify(approval),
      expiresAt: iso(approval.expiresAt),
      updatedAt: iso(now),
    });
    return approval;
  }

  /** Tells the listeners of a newly opened approval. */
  async announce(approval: Approval): Promise<void> {
    const saved = await this.deps.store.approvals.get(approval.id);
    if (saved) await this.changed(approvalView(saved, approval));
  }

  /** `POST /v1/approvals/:id/approve|deny`: one person's vote, bound to the request as it stands. */
  async vote(
    who: Principal,
    approvalId: string,
    verdict: 'approve' | 'deny',
    comment?: string,
  ): Promise<ApprovalView> {
    await this.deps.allow(who, 'approvals.vote');
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
  async cancel(agents: readonly string[], reason: string): Promise<number> {
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

  /** An approval, for a person who may read approvals. */
  async get(who: Principal, id: string): Promise<ApprovalView> {
    await this.deps.allow(who, 'approvals.read');
    const stored = await this.deps.store.approvals.get(id);
    if (!stored) throw new AgentOsError('AOS_NOT_FOUND', `no approval \`${id}\``);
    return this.withAction(approvalView(stored, JSON.parse(stored.state) as Approval));
  }

  /** Pending approvals; with `mine`, only those the caller is asked to vote on now. */
  async pending(who: Principal, mine = false): Promise<ApprovalView[]> {
    await this.deps.allow(who, 'approvals.read');
    const out: ApprovalView[] = [];
    for (const stored of await this.deps.store.approvals.pending()) {
      const view = approvalView(stored, JSON.parse(stored.state) as Approval);
      if (!mine || view.approvers.includes(who.id)) out.push(await this.withAction(view));
    }
    return out;
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
      const updated = await this.deps.store.actions.update(action.id, action.revision, {
        status: next.status === 'granted' ? 'allowed' : 'denied',
        updatedAt: now,
      });
      if (updated) this.deps.moved(updated, next);
    } else if (next.escalated && !(JSON.parse(stored.state) as Approval).escalated) {
      this.deps.moved(action, next);
    }
    const view = approvalView(saved, next);
    await this.changed(view);
    return view;
  }

  private async changed(view: ApprovalView): Promise<void> {
    if (this.deps.listened()) this.deps.tell(await this.withAction(view));
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

  private record(type: RecordType, body: Record<string, JsonValue>): Promise<LedgerRecord> {
    return this.deps.ledger.append(type, body);
  }
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
