import { describe, expect, it } from 'vitest';
import { isAgentOsError } from '../errors.js';
import { buildOrg } from './build.js';
import type { AgentData, DepartmentData, OrgData, PersonData } from './data.js';

/** An org of `agents` agents in a three-level department tree: 10 divisions × 10 groups × 10 teams. */
function generated(agents: number): OrgData {
  const departments: DepartmentData[] = [];
  const people: PersonData[] = [{ id: 'ceo@gen.test', name: 'Ceo' }];
  for (let d = 0; d < 10; d++) {
    departments.push({ id: `div${d}`, name: `Division ${d}`, approvers: ['ceo@gen.test'] });
    for (let g = 0; g < 10; g++) {
      departments.push({ id: `div${d}.g${g}`, name: `Group ${g}`, parent: `div${d}` });
      for (let t = 0; t < 10; t++) {
        const id = `div${d}.g${g}.t${t}`;
        departments.push({ id, name: `Team ${t}`, parent: `div${d}.g${g}` });
        people.push({ id: `lead-${id}@gen.test`, name: 'Lead', department: id, manager: 'ceo@gen.test' });
      }
    }
  }
  const list: AgentData[] = [];
  for (let i = 0; i < agents; i++) {
    const team = `div${i % 10}.g${Math.floor(i / 10) % 10}.t${Math.floor(i / 100) % 10}`;
    list.push({
      id: `agent-${i}`,
      owner: `lead-${team}@gen.test`,
      department: team,
      autonomy: ((i % 3) + 1) as 1 | 2 | 3,
    });
  }
  return { name: 'gen', departments, people, agents: list };
}

function problemsOf(data: OrgData): string[] {
  try {
    buildOrg(data);
  } catch (e) {
    if (isAgentOsError(e) && e.code === 'AOS_ORG_INVALID') return e.problems.map((p) => p.message);
    throw e;
  }
  throw new Error('expected the org to be rejected');
}

describe('buildOrg', () => {
  it('builds a 10k-agent org with Maps and ancestry', () => {
    const org = buildOrg(generated(10_000));
    expect(org.agents.size).toBe(10_000);
    expect(org.departments.size).toBe(1110);
    expect(org.people.size).toBe(1001);
    const a = org.agents.get('agent-1234');
    expect(a).toMatchObject({
      department: 'div4.g3.t2',
      owner: 'lead-div4.g3.t2@gen.test',
      riskCeiling: 'medium',
    });
    expect(org.ancestry('div4.g3.t2')).toEqual(['div4.g3.t2', 'div4.g3', 'div4']);
    // cached: the same list each time, and shared with its ancestors' lists
    expect(org.ancestry('div4.g3.t2')).toBe(org.ancestry('div4.g3.t2'));
    expect(org.ancestry('div4.g3')).toEqual(['div4.g3', 'div4']);
  });

  it('fills defaults and freezes what it returns', () => {
    const org = buildOrg({
      name: 'o',
      departments: [{ id: 'd', name: 'D' }],
      people: [{ id: 'p', name: 'P' }],
      agents: [{ id: 'a', owner: 'p', department: 'd', autonomy: 2 }],
    });
    const person = org.people.get('p');
    expect(person).toMatchObject({ roles: [], active: true });
    expect(org.departments.get('d')?.approvers).toEqual([]);
    expect(org.agents.get('a')?.riskCeiling).toBe('medium');
    expect(Object.isFrozen(person)).toBe(true);
    expect(Object.isFrozen(org.ancestry('d'))).toBe(true);
    expect(org.ancestry('nope')).toEqual([]);
  });

  it('builds an org that cannot change in place', () => {
    const org = buildOrg({ name: 'o', departments: [{ id: 'd', name: 'D' }] });
    const departments = org.departments as Map<string, unknown>;
    expect(() => departments.set('e', {})).toThrow(expect.objectContaining({ code: 'AOS_INTERNAL' }));
    expect(() => departments.delete('d')).toThrow(/read-only/);
    expect(() => departments.clear()).toThrow(/read-only/);
    expect([...org.departments.keys()]).toEqual(['d']);
    expect(Object.isFrozen(org)).toBe(true);
  });

  it('does not keep a reference to the caller’s arrays', () => {
    const approvers = ['p'];
    const org = buildOrg({
      name: 'o',
      departments: [{ id: 'd', name: 'D', approvers }],
      people: [{ id: 'p', name: 'P' }],
    });
    approvers.push('intruder');
    expect(org.departments.get('d')?.approvers).toEqual(['p']);
  });

  it('rejects meaning problems, naming each entry', () => {
    const data: OrgData = {
      name: 'o',
      departments: [
        { id: 'd', name: 'D', parent: 'e' },
        { id: 'e', name: 'E', parent: 'd' },
      ],
      people: [{ id: 'p', name: 'P', active: false }],
      agents: [
        { id: 'a', owner: 'ghost', department: 'd', autonomy: 2 },
        { id: 'a', owner: 'p', department: 'd', autonomy: 2 },
      ],
    };
    expect(problemsOf(data)).toEqual([
      '`agents[1].id`: agent `a` is defined more than once (see `agents[0].id`)',
      '`agents[0].owner`: agent `a` names owner `ghost`, who is not in people',
      '`departments[0].parent`: department cycle: `d` → `e` → `d`',
    ]);
  });
});
