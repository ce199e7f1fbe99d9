import { describe, expect, it } from 'vitest';
import {
  atTime,
  castVote,
  currentApprovers,
  openApproval,
  type Approval,
  type VoteResult,
} from './approval.js';
import type { ApprovalRoute } from './route.js';

const HOUR = 3_600_000;
const route: ApprovalRoute = {
  levels: [
    { approvers: ['a@x', 'b@x', 'c@x'], quorum: 2 },
    { approvers: ['d@x'], quorum: 1 },
  ],
  escalation: { approvers: ['e@x'], quorum: 1 },
};
const fresh = (r: ApprovalRoute = route) =>
  openApproval({ id: 'apr_1', action: 'act_1', requestHash: 'h1', route: r, timeoutMs: HOUR, now: 0 });

function ok(r: VoteResult): Approval {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.approval;
}
const approve = (a: Approval, person: string, time = 1, hash = 'h1') =>
  castVote(a, { person, verdict: 'approve', time }, hash);

describe('castVote', () => {
  it('grants after the quorum of every level, in order', () => {
    let a = fresh();
    a = ok(approve(a, 'a@x'));
    expect([a.status, a.level]).toEqual(['pending', 0]);
    a = ok(approve(a, 'c@x', 10));
    expect([a.status, a.level, currentApprovers(a)]).toEqual(['pending', 1, ['d@x']]);
    expect(a.expiresAt).toBe(10 + HOUR); // the next level gets its own time
    a = ok(approve(a, 'd@x', 20));
    expect([a.status, currentApprovers(a)]).toEqual(['granted', []]);
    expect(a.votes.map((v) => [v.person, v.level])).toEqual([
      ['a@x', 0],
      ['c@x', 0],
      ['d@x', 1],
    ]);
  });

  it('denies on one deny', () => {
    const a = ok(castVote(ok(approve(fresh(), 'a@x')), { person: 'b@x', verdict: 'deny', time: 2 }, 'h1'));
    expect(a.status).toBe('denied');
  });

  it('refuses a changed request, a stranger, a second vote, a later level early, and a closed approval', () => {
    const a = ok(approve(fresh(), 'a@x'));
    const refusal = (r: VoteResult) => (r.ok ? 'accepted' : r.refusal);
    expect(refusal(approve(a, 'b@x', 2, 'h2'))).toBe('request-changed');
    expect(refusal(approve(a, 'z@x'))).toBe('not-an-approver');
    expect(refusal(approve(a, 'd@x'))).toBe('not-an-approver'); // level 2 is not asked yet
    expect(refusal(approve(a, 'a@x'))).toBe('already-voted');
    expect(refusal(castVote(a, { person: 'a@x', verdict: 'deny', time: 3 }, 'h1'))).toBe('already-voted');
    expect(refusal(approve(a, 'b@x', HOUR))).toBe('closed'); // its time is up, even before atTime ran
    const denied = ok(castVote(a, { person: 'b@x', verdict: 'deny', time: 2 }, 'h1'));
    const r = approve(denied, 'c@x');
    expect(r).toEqual({ ok: false, refusal: 'closed', reason: 'approval `apr_1` is denied' });
  });
});

describe('atTime', () => {
  it('escalates a silent level once up the chain, then expires', () => {
    let a = ok(approve(fresh(), 'a@x'));
    expect(atTime(a, HOUR - 1)).toBe(a);
    a = atTime(a, HOUR);
    expect(a.status).toBe('pending');
    expect(a.escalated).toBe(true);
    // the silent level 1 dropped out: d@x moves down to level 1, e@x (up the chain) on top
    expect(a.levels.map((l) => l.approvers)).toEqual([['d@x'], ['e@x']]);
    expect(currentApprovers(a)).toEqual(['d@x']);
    expect(a.expiresAt).toBe(2 * HOUR);
    // a@x's vote from the dropped level does not count toward the new level
    expect(a.votes).toHaveLength(1);
    a = ok(approve(a, 'd@x', HOUR + 5));
    expect(currentApprovers(a)).toEqual(['e@x']);
    const expired = atTime(a, HOUR + 5 + HOUR);
    expect(expired.status).toBe('expired');
    expect(approve(expired, 'e@x', HOUR + 6)).toMatchObject({ ok: false, refusal: 'closed' });
  });

  it('expires at once without an escalation level', () => {
    const a = atTime(fresh({ levels: route.levels }), HOUR);
    expect(a.status).toBe('expired');
  });

  it('leaves a closed approval as it is', () => {
    const a = ok(castVote(fresh(), { person: 'a@x', verdict: 'deny', time: 1 }, 'h1'));
    expect(atTime(a, 10 * HOUR)).toBe(a);
  });
});
