import { describe, expect, it } from 'vitest';
import { buildOrg } from '../org/build.js';
import type { Agent } from '../org/model.js';
import type { ApprovalSpec } from '../types.js';
import { routeApproval, type RouteResult } from './route.js';

/**
 * ceo ← vp ← dana (left) ← mia ← gina (owner of the bots); finance ⊃ payroll; approvers on both;
 * three auditors by role, one inactive.
 */
const org = buildOrg({
  name: 'acme',
  departments: [
    { id: 'finance', name: 'Finance', approvers: ['cfo@a.test', 'vp@a.test'] },
    {
      id: 'payroll',
      name: 'Payroll',
      parent: 'finance',
      approvers: ['mia@a.test', 'gina@a.test', 'ray@a.test'],
    },
    { id: 'ops', name: 'Ops', parent: 'finance' },
  ],
  people: [
    { id: 'ceo@a.test', name: 'Ceo' },
    { id: 'cfo@a.test', name: 'Cfo', manager: 'ceo@a.test' },
    { id: 'vp@a.test', name: 'Vp', manager: 'ceo@a.test', roles: ['auditor'] },
    { id: 'dana@a.test', name: 'Dana', manager: 'vp@a.test', active: false, roles: ['auditor'] },
    { id: 'mia@a.test', name: 'Mia', manager: 'dana@a.test', roles: ['auditor'] },
    { id: 'gina@a.test', name: 'Gina', manager: 'mia@a.test', roles: ['auditor'] },
    { id: 'ray@a.test', name: 'Ray', manager: 'mia@a.test' },
  ],
  agents: [
    { id: 'payroll-bot', owner: 'gina@a.test', department: 'payroll', autonomy: 2 },
    { id: 'ops-bot', owner: 'ray@a.test', department: 'ops', autonomy: 2 },
  ],
});
const agent = (id: string): Agent => {
  const a = org.agents.get(id);
  if (!a) throw new Error(`no agent ${id}`);
  return a;
};
const spec = (route: string, more: Partial<ApprovalSpec> = {}): ApprovalSpec => ({
  route,
  levels: 1,
  quorum: 1,
  timeoutMs: 3_600_000,
  rule: 'p/r',
  ...more,
});
const levels = (r: RouteResult) => (r.ok ? r.route.levels.map((l) => [l.approvers, l.quorum]) : r.reason);
const escalation = (r: RouteResult) => (r.ok ? r.route.escalation?.approvers : r.reason);

describe('routeApproval: manager', () => {
  it("starts at the owner's manager and skips people who left", () => {
    const r = routeApproval(org, spec('manager', { levels: 2 }), { agent: agent('payroll-bot') });
    // gina's manager is mia; mia's manager dana has left, so vp is next; ceo is the escalation
    expect(levels(r)).toEqual([
      [['mia@a.test'], 1],
      [['vp@a.test'], 1],
    ]);
    expect(escalation(r)).toEqual(['ceo@a.test']);
  });

  it('never asks the requester, and skips up past them', () => {
    const r = routeApproval(org, spec('manager'), { agent: agent('payroll-bot'), requester: 'mia@a.test' });
    expect(levels(r)).toEqual([[['vp@a.test'], 1]]);
  });

  it('is unroutable when the chain is too short, and says why', () => {
    const r = routeApproval(org, spec('manager', { levels: 4 }), { agent: agent('payroll-bot') });
    expect(r).toEqual({
      ok: false,
      reason:
        "no one can approve: route `manager` for agent `payroll-bot` needs 4 levels of 1 approver other than the agent's owner, and the org has 3",
    });
  });
});

describe('routeApproval: department', () => {
  it("asks the nearest department's approvers, never the agent's owner", () => {
    const r = routeApproval(org, spec('department', { quorum: 2 }), { agent: agent('payroll-bot') });
    expect(levels(r)).toEqual([[['mia@a.test', 'ray@a.test'], 2]]);
    expect(escalation(r)).toEqual(['cfo@a.test', 'vp@a.test']);
  });

  it('asks M of them for an `N of M` quorum', () => {
    const r = routeApproval(org, spec('department', { quorum: 1, of: 1, levels: 2 }), {
      agent: agent('payroll-bot'),
    });
    expect(levels(r)).toEqual([
      [['mia@a.test'], 1],
      [['cfo@a.test'], 1],
    ]);
  });

  it('goes up the tree past a department without approvers, or one that cannot reach quorum', () => {
    expect(levels(routeApproval(org, spec('department'), { agent: agent('ops-bot') }))).toEqual([
      [['cfo@a.test', 'vp@a.test'], 1],
    ]);
    // payroll has only mia and ray once gina (the owner) is out: 3 cannot be reached there or above
    const r = routeApproval(org, spec('department', { quorum: 3 }), { agent: agent('payroll-bot') });
    expect(r.ok).toBe(false);
  });
});

describe('routeApproval: role', () => {
  it('asks the active holders of the role, a different set at each level', () => {
    // holders: vp, dana (left), mia, gina (the owner); without `of`, level 1 asks vp and mia both,
    // which leaves no one for level 2
    const r = routeApproval(org, spec('role:auditor', { levels: 2 }), { agent: agent('payroll-bot') });
    expect(r.ok).toBe(false);
    const one = routeApproval(org, spec('role:auditor'), { agent: agent('payroll-bot') });
    expect(levels(one)).toEqual([[['vp@a.test', 'mia@a.test'], 1]]);
    const two = routeApproval(org, spec('role:auditor', { levels: 2, of: 1 }), {
      agent: agent('payroll-bot'),
    });
    expect(levels(two)).toEqual([
      [['vp@a.test'], 1],
      [['mia@a.test'], 1],
    ]);
  });

  it('refuses a route it does not know', () => {
    const r = routeApproval(org, spec('board'), { agent: agent('payroll-bot') });
    expect(r).toEqual({
      ok: false,
      reason: 'approval route `board` is not one of `manager`, `department`, `role:<name>`',
    });
  });
});
