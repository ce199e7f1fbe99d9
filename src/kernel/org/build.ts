/**
 * Builds the read-only Org from plain data: Maps keyed by id (sealed: an Org is a value, see `sealed-map.ts`),
 * frozen entries, and department ancestry computed once per department on first use. This is the fast path for programs (the API, benchmarks with
 * 100k agents); `load.ts` reaches it from YAML.
 */
import { AgentOsError } from '../errors.js';
import type { Problem } from '../errors.js';
import { formatPath } from '../source/yaml-source.js';
import type { AgentData, DepartmentData, OrgData, PersonData } from './data.js';
import type { Agent, Department, Org, Person } from './model.js';
import { SealedMap } from './sealed-map.js';
import { orgIssues } from './validate.js';
import type { OrgIssue } from './validate.js';

const NONE: readonly string[] = Object.freeze([]);

/**
 * Builds an Org from data whose *shape* is already right (its TypeScript type, or the YAML schema), checking
 * its *meaning* (`orgIssues`: unique ids, references, cycles, active approvers). Throws `AOS_ORG_INVALID` with
 * every problem, each naming the entry (`agents[3].owner`). Linear in the size of the org.
 */
export function buildOrg(data: OrgData): Org {
  const issues = orgIssues(data);
  if (issues.length > 0) throw AgentOsError.fromProblems('AOS_ORG_INVALID', issues.map(issueProblem));
  return assembleOrg(data);
}

/**
 * Builds an Org without checking it. INVARIANT: `orgIssues(data)` is empty (`parseOrg` has just checked it);
 * anything else should call `buildOrg`.
 */
export function assembleOrg(data: OrgData): Org {
  const departments = new SealedMap<string, Department>((put) => {
    for (const d of data.departments ?? []) put(d.id, department(d));
  });
  const people = new SealedMap<string, Person>((put) => {
    for (const p of data.people ?? []) put(p.id, person(p));
  });
  const agents = new SealedMap<string, Agent>((put) => {
    for (const a of data.agents ?? []) put(a.id, agent(a));
  });
  const ancestry = ancestryOf(departments);
  return Object.freeze({
    name: data.name,
    description: data.description,
    labels: data.labels === undefined ? undefined : Object.freeze({ ...data.labels }),
    departments,
    people,
    agents,
    ancestry,
  });
}

// Every entry gets every field (undefined when absent): one object shape per kind keeps property access
// monomorphic on the decision path.
function department(d: DepartmentData): Department {
  return Object.freeze({
    id: d.id,
    name: d.name,
    parent: d.parent,
    approvers: frozenList(d.approvers),
    description: d.description,
    sandbox: frozenCopy(d.sandbox),
    budget: frozenCopy(d.budget),
  });
}

function person(p: PersonData): Person {
  return Object.freeze({
    id: p.id,
    name: p.name,
    department: p.department,
    manager: p.manager,
    roles: frozenList(p.roles),
    active: p.active ?? true,
  });
}

function agent(a: AgentData): Agent {
  return Object.freeze({
    id: a.id,
    owner: a.owner,
    department: a.department,
    role: a.role,
    autonomy: a.autonomy,
    riskCeiling: a.riskCeiling ?? 'medium',
    description: a.description,
    sandbox: frozenCopy(a.sandbox),
    budget: frozenCopy(a.budget),
  });
}

function frozenCopy<T extends object>(o: T | undefined): T | undefined {
  return o === undefined ? undefined : Object.freeze({ ...o });
}

function frozenList(list: readonly string[] | undefined): readonly string[] {
  return list === undefined || list.length === 0 ? NONE : Object.freeze([...list]);
}

/**
 * `ancestry` with a cache: each department's list is built once, on first use, from its parent's cached
 * list. Lazy, so an org with many departments pays only for those its agents sit in.
 */
function ancestryOf(departments: ReadonlyMap<string, Department>): (id: string) => readonly string[] {
  const cache = new Map<string, readonly string[]>();
  return (id) => {
    const hit = cache.get(id);
    if (hit) return hit;
    const chain: string[] = [];
    let tail = NONE;
    let cur: string | undefined = id;
    // INVARIANT: the tree has no cycles (orgIssues); the length bound only keeps a broken org from hanging
    while (cur !== undefined && chain.length <= departments.size) {
      const cached = cache.get(cur);
      if (cached) {
        tail = cached;
        break;
      }
      const d = departments.get(cur);
      if (!d) break;
      chain.push(cur);
      cur = d.parent;
    }
    let list = tail;
    for (let i = chain.length - 1; i >= 0; i--) {
      const member = chain[i] as string;
      list = Object.freeze([member, ...list]);
      cache.set(member, list);
    }
    return list;
  };
}

function issueProblem(issue: OrgIssue): Problem {
  const see = issue.see === undefined ? '' : ` (see \`${formatPath(issue.see)}\`)`;
  return { message: `\`${formatPath(issue.path)}\`: ${issue.message}${see}` };
}
