/**
 * One approval as a value (DESIGN §6): its levels, the votes cast, and where it stands. Every change is a
 * new value; refusals are values too, never thrown, so the daemon records them and answers with a code.
 *
 * - An approval is bound to the SHA-256 of the exact request it approves: a vote for any other hash is
 *   refused (`request-changed`), so a changed argument needs a new approval.
 * - A level is granted when `quorum` of its approvers approve; one deny at any level denies the action.
 * - Each level has `timeoutMs` to answer. When it passes, the approval escalates once if the route has an
 *   escalation level: the silent level drops out, the levels above it move down and the escalation level
 *   goes on top, with a fresh timeout. Otherwise it expires: timeout means deny.
 */
import type { ApprovalLevel, ApprovalRoute } from './route.js';

/** Where an approval stands. */
export type ApprovalStatus = 'pending' | 'granted' | 'denied' | 'expired';

/** One vote. */
export interface Vote {
  readonly person: string;
  readonly verdict: 'approve' | 'deny';
  /** The 0-based level it was cast at. */
  readonly level: number;
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly comment?: string | undefined;
}

/** An approval. */
export interface Approval {
  readonly id: string;
  /** The action it approves. */
  readonly action: string;
  /** SHA-256 of the canonical request: the only request this approval can approve. */
  readonly requestHash: string;
  readonly levels: readonly ApprovalLevel[];
  /** The 0-based level being asked now (equal to `levels.length` once granted). */
  readonly level: number;
  readonly votes: readonly Vote[];
  readonly status: ApprovalStatus;
  /** When the current level stops waiting (ms since the epoch). */
  readonly expiresAt: number;
  readonly timeoutMs: number;
  /** The level to escalate to when the last one times out; dropped once used. */
  readonly escalation?: ApprovalLevel | undefined;
  /** True once the approval has escalated. */
  readonly escalated: boolean;
  /** The `expiresAt` of the wait its approvers were last reminded of (one reminder per wait). */
  readonly remindedFor?: number | undefined;
}

/** Reminders go out when this fraction of a wait is left. */
const REMIND_WHEN_LEFT = 0.25;

/**
 * True when the people asked now should be reminded: the approval is pending, a quarter of the current
 * wait or less is left, and they were not reminded of this wait yet (an escalation starts a new wait).
 */
export function reminderDue(a: Approval, now: number): boolean {
  return (
    a.status === 'pending' &&
    a.remindedFor !== a.expiresAt &&
    now < a.expiresAt &&
    a.expiresAt - now <= a.timeoutMs * REMIND_WHEN_LEFT
  );
}

/** The approval once its approvers were reminded of the current wait. */
export function reminded(a: Approval): Approval {
  return { ...a, remindedFor: a.expiresAt };
}

/** Why a vote was refused. */
export type VoteRefusal = 'closed' | 'not-an-approver' | 'already-voted' | 'request-changed';

/** The outcome of a vote: the new approval, or a refusal with a one-line reason. */
export type VoteResult =
  | { readonly ok: true; readonly approval: Approval }
  | { readonly ok: false; readonly refusal: VoteRefusal; readonly reason: string };

/** A new pending approval over a route. */
export function openApproval(input: {
  id: string;
  action: string;
  requestHash: string;
  route: ApprovalRoute;
  timeoutMs: number;
  now: number;
}): Approval {
  return {
    id: input.id,
    action: input.action,
    requestHash: input.requestHash,
    levels: input.route.levels,
    level: 0,
    votes: [],
    status: 'pending',
    expiresAt: input.now + input.timeoutMs,
    timeoutMs: input.timeoutMs,
    escalation: input.route.escalation,
    escalated: false,
  };
}

/** The approvers being asked now (empty once the approval is closed). */
export function currentApprovers(a: Approval): readonly string[] {
  return a.status === 'pending' ? (a.levels[a.level]?.approvers ?? []) : [];
}

/**
 * Casts a vote for the request whose hash is `requestHash`. Refused when the approval is closed or past its
 * time, the person is not asked at the current level, has voted already, or the request changed.
 */
export function castVote(a: Approval, vote: Omit<Vote, 'level'>, requestHash: string): VoteResult {
  if (a.status !== 'pending' || vote.time >= a.expiresAt) {
    const status = a.status === 'pending' ? 'expired' : a.status;
    return { ok: false, refusal: 'closed', reason: `approval \`${a.id}\` is ${status}` };
  }
  if (requestHash !== a.requestHash) {
    return {
      ok: false,
      refusal: 'request-changed',
      reason: `approval \`${a.id}\` is for another version of the request; a changed request needs a new approval`,
    };
  }
  if (a.votes.some((v) => v.person === vote.person)) {
    return {
      ok: false,
      refusal: 'already-voted',
      reason: `\`${vote.person}\` has already voted on \`${a.id}\``,
    };
  }
  if (!currentApprovers(a).includes(vote.person)) {
    return {
      ok: false,
      refusal: 'not-an-approver',
      reason: `\`${vote.person}\` is not asked to approve \`${a.id}\` at level ${a.level + 1}`,
    };
  }
  const votes = [...a.votes, { ...vote, level: a.level }];
  if (vote.verdict === 'deny') return { ok: true, approval: { ...a, votes, status: 'denied' } };
  const asked = a.levels[a.level];
  const quorum = asked?.quorum ?? 1;
  // Only this level's approvers count: after an escalation, a dropped level's votes keep their number.
  const approvals = votes.filter(
    (v) => v.level === a.level && v.verdict === 'approve' && asked?.approvers.includes(v.person),
  ).length;
  if (approvals < quorum) return { ok: true, approval: { ...a, votes } };
  const level = a.level + 1;
  if (level === a.levels.length) return { ok: true, approval: { ...a, votes, level, status: 'granted' } };
  return { ok: true, approval: { ...a, votes, level, expiresAt: vote.time + a.timeoutMs } };
}

/**
 * The approval at time `now`: unchanged while the current level may still answer; escalated (the
 * current level replaced by the escalation level, with a fresh timeout) or expired once it may not.
 */
export function atTime(a: Approval, now: number): Approval {
  if (a.status !== 'pending' || now < a.expiresAt) return a;
  if (a.escalation && !a.escalated) {
    // The silent level drops out and the levels above move down one, with the escalation on top: the
    // request goes up the chain and still needs as many levels as before.
    const levels = [...a.levels.slice(0, a.level), ...a.levels.slice(a.level + 1), a.escalation];
    return { ...a, levels, escalation: undefined, escalated: true, expiresAt: now + a.timeoutMs };
  }
  return { ...a, status: 'expired' };
}
