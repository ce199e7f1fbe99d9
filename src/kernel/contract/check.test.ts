import { describe, expect, it } from 'vitest';
import { buildOrg } from '../org/build.js';
import type { Agent, Org } from '../org/model.js';
import { CONTRACT_RULES, checkContract } from './check.js';
import type { ContractResult } from './check.js';

const org = buildOrg({
  name: 'acme',
  departments: [{ id: 'it', name: 'IT' }],
  people: [
    { id: 'kim@acme.test', name: 'Kim' },
    { id: 'sam@acme.test', name: 'Sam', active: false },
  ],
  agents: [
    { id: 'identity-bot', owner: 'kim@acme.test', department: 'it', autonomy: 2 },
    { id: 'assist-bot', owner: 'kim@acme.test', department: 'it', autonomy: 1 },
    { id: 'auto-bot', owner: 'kim@acme.test', department: 'it', autonomy: 3 },
    { id: 'planner-bot', owner: 'kim@acme.test', department: 'it', autonomy: 0 },
    { id: 'legacy-bot', owner: 'sam@acme.test', department: 'it', autonomy: 3 },
  ],
});

/** The same org with one agent replaced by hand: states buildOrg refuses, which an org built elsewhere may hold. */
function withAgent(agent: Agent): Org {
  return { ...org, agents: new Map([...org.agents, [agent.id, agent]]) };
}

function denial(result: ContractResult): { rule: string; reason: string } {
  if (result.ok) throw new Error('expected a denial');
  return { rule: result.rule, reason: result.reason };
}

describe('checkContract', () => {
  it('passes an agent with an active owner, a department and autonomy 1–3', () => {
    for (const id of ['identity-bot', 'assist-bot', 'auto-bot']) {
      const result = checkContract(org, id);
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.agent).toBe(org.agents.get(id));
      expect(result.owner).toBe(org.people.get('kim@acme.test'));
    }
  });

  it('returns the same ok result for the same org and agent (no allocation once warm)', () => {
    expect(checkContract(org, 'identity-bot')).toBe(checkContract(org, 'identity-bot'));
  });

  it('re-checks when the owner changes under the same agent', () => {
    const before = checkContract(org, 'identity-bot');
    expect(before.ok).toBe(true);
    const left = {
      ...org,
      people: new Map([
        ...org.people,
        ['kim@acme.test', { ...org.people.get('kim@acme.test')!, active: false }],
      ]),
    };
    expect(denial(checkContract(left, 'identity-bot')).rule).toBe('contract.owner-inactive');
  });

  it('denies a request that names no agent', () => {
    expect(denial(checkContract(org, ''))).toEqual({
      rule: 'contract.identity-invalid',
      reason: 'the request names no agent (agent id ``)',
    });
    expect(denial(checkContract(org, 42 as unknown as string))).toEqual({
      rule: 'contract.identity-invalid',
      reason: 'the request names no agent (agent id `42`)',
    });
  });

  it('denies an unknown agent, keeping the reason on one line', () => {
    expect(denial(checkContract(org, 'ghost-bot'))).toEqual({
      rule: 'contract.unknown-agent',
      reason: 'agent `ghost-bot` is not registered in the organisation',
    });
    const { reason } = denial(checkContract(org, 'evil\nbot`'));
    expect(reason).toBe("agent `evil\\nbot'` is not registered in the organisation");
  });

  it('denies an agent whose owner is not in the org', () => {
    const noOwner = withAgent({ ...org.agents.get('auto-bot')!, owner: 'nobody@acme.test' });
    expect(denial(checkContract(noOwner, 'auto-bot'))).toEqual({
      rule: 'contract.owner-missing',
      reason: 'agent `auto-bot` is suspended: its owner `nobody@acme.test` is not in the organisation',
    });
  });

  it('denies an agent whose owner is inactive', () => {
    expect(denial(checkContract(org, 'legacy-bot'))).toEqual({
      rule: 'contract.owner-inactive',
      reason: 'agent `legacy-bot` is suspended: its owner `sam@acme.test` is inactive',
    });
  });

  it('denies an agent whose department is not in the org', () => {
    const moved = withAgent({ ...org.agents.get('auto-bot')!, department: 'gone' });
    expect(denial(checkContract(moved, 'auto-bot'))).toEqual({
      rule: 'contract.department-missing',
      reason: 'agent `auto-bot` names department `gone`, which is not in the organisation',
    });
  });

  it('denies an agent without a valid autonomy', () => {
    const odd = withAgent({ ...org.agents.get('auto-bot')!, autonomy: 7 as unknown as 3 });
    expect(denial(checkContract(odd, 'auto-bot'))).toEqual({
      rule: 'contract.autonomy-invalid',
      reason: 'agent `auto-bot` has autonomy `7`, which is not 0, 1, 2 or 3',
    });
  });

  it('denies an observe-only agent (autonomy 0)', () => {
    expect(denial(checkContract(org, 'planner-bot'))).toEqual({
      rule: 'contract.autonomy-observe',
      reason: 'agent `planner-bot` has autonomy 0 (observe): it may recommend but never act',
    });
  });

  it('documents exactly the rules it can produce', () => {
    const produced = new Set<string>();
    const cases: [Org, string][] = [
      [org, ''],
      [org, 'ghost-bot'],
      [withAgent({ ...org.agents.get('auto-bot')!, owner: 'x' }), 'auto-bot'],
      [org, 'legacy-bot'],
      [withAgent({ ...org.agents.get('auto-bot')!, department: 'x' }), 'auto-bot'],
      [withAgent({ ...org.agents.get('auto-bot')!, autonomy: -1 as unknown as 0 }), 'auto-bot'],
      [org, 'planner-bot'],
    ];
    for (const [o, id] of cases) produced.add(denial(checkContract(o, id)).rule);
    expect([...produced].sort()).toEqual(Object.keys(CONTRACT_RULES).sort());
    for (const text of Object.values(CONTRACT_RULES)) expect(text).toMatch(/^[a-z][^\n]*[^.]$/);
  });
});
