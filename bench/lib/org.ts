/**
 * A generated organisation: a department tree several levels deep, a head and staff per department, and
 * agents spread across departments and roles (autonomy mostly 2–3). The tree is the same whatever the
 * number of agents, so one policy set fits every org size.
 */
import type { AgentData, DepartmentData, OrgData, PersonData } from '../../src/kernel/org/data.js';
import type { Autonomy } from '../../src/kernel/org/model.js';
import { Rng } from './random.js';

/** Roles agents are given (every agent has one). */
export const ROLES = [
  'analyst',
  'clerk',
  'support',
  'provisioner',
  'purchaser',
  'reviewer',
  'scheduler',
  'writer',
  'auditor',
  'operator',
  'researcher',
  'recruiter',
] as const;

const DIVISIONS = ['eng', 'sales', 'finance', 'hr', 'ops', 'legal', 'marketing', 'support'];

/** The tree and what policy and request generation need to know about it. */
export interface GeneratedOrg {
  readonly data: OrgData;
  /** Non-root departments, in tree order. */
  readonly departments: readonly string[];
  readonly parentOf: ReadonlyMap<string, string | undefined>;
  /** Depth of each department (root 0). */
  readonly depthOf: ReadonlyMap<string, number>;
  /** Agent ids of each department's subtree (the department and everything below it). */
  readonly agentsUnder: ReadonlyMap<string, readonly string[]>;
  readonly agentsByRole: ReadonlyMap<string, readonly string[]>;
  readonly agentIds: readonly string[];
}

/** The tree: root → 8 divisions → 3–5 groups each → 0–3 teams each → sometimes a squad (about 100 departments, 5 levels). */
export function departmentTree(seed: number): DepartmentData[] {
  const rng = new Rng(seed);
  const out: DepartmentData[] = [{ id: 'acme', name: 'Acme' }];
  for (const div of DIVISIONS) {
    out.push({ id: div, name: div.toUpperCase(), parent: 'acme' });
    const groups = rng.between(3, 5);
    for (let g = 1; g <= groups; g++) {
      const group = `${div}-g${g}`;
      out.push({ id: group, name: `${div} group ${g}`, parent: div });
      const teams = rng.between(0, 3);
      for (let t = 1; t <= teams; t++) {
        const team = `${group}-t${t}`;
        out.push({ id: team, name: `${div} group ${g} team ${t}`, parent: group });
        if (rng.chance(0.25)) out.push({ id: `${team}-s1`, name: `${team} squad`, parent: team });
      }
    }
  }
  return out;
}

/** Generates an org of `agentCount` agents over the standard tree. */
export function generateOrg(agentCount: number, seed = 42): GeneratedOrg {
  const departments = departmentTree(seed);
  const rng = new Rng(seed + agentCount);
  const people: PersonData[] = [];
  const staffOf = new Map<string, string[]>();
  for (const d of departments) {
    const head = `head.${d.id}@acme.test`;
    const parentHead = d.parent === undefined ? undefined : `head.${d.parent}@acme.test`;
    people.push({ id: head, name: `Head of ${d.id}`, department: d.id, manager: parentHead });
    const staff = [head];
    for (let i = 1; i <= 2; i++) {
      const id = `staff${i}.${d.id}@acme.test`;
      people.push({ id, name: `Staff ${i} of ${d.id}`, department: d.id, manager: head });
      staff.push(id);
    }
    staffOf.set(d.id, staff);
  }
  const nonRoot = departments.filter((d) => d.parent !== undefined).map((d) => d.id);
  const agents: AgentData[] = [];
  const width = String(agentCount).length;
  for (let i = 0; i < agentCount; i++) {
    const department = rng.pick(nonRoot);
    const r = rng.next();
    const autonomy: Autonomy = r < 0.05 ? 1 : r < 0.6 ? 2 : 3;
    agents.push({
      id: `agent-${String(i).padStart(width, '0')}`,
      owner: rng.pick(staffOf.get(department) ?? []),
      department,
      role: rng.pick(ROLES),
      autonomy,
    });
  }
  const parentOf = new Map(departments.map((d) => [d.id, d.parent]));
  const depthOf = new Map<string, number>();
  for (const d of departments)
    depthOf.set(d.id, d.parent === undefined ? 0 : (depthOf.get(d.parent) ?? 0) + 1);
  const agentsUnder = new Map<string, string[]>(departments.map((d) => [d.id, []]));
  const agentsByRole = new Map<string, string[]>(ROLES.map((r) => [r, []]));
  for (const a of agents) {
    for (let d: string | undefined = a.department; d !== undefined; d = parentOf.get(d))
      agentsUnder.get(d)?.push(a.id);
    agentsByRole.get(a.role ?? '')?.push(a.id);
  }
  return {
    data: { name: 'acme', departments, people, agents },
    departments: nonRoot,
    parentOf,
    depthOf,
    agentsUnder,
    agentsByRole,
    agentIds: agents.map((a) => a.id),
  };
}
