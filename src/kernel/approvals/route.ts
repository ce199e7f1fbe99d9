/**
 * Approval routing from the org (DESIGN §6): who is asked to approve an action, level by level.
 *
 * - `manager`: level k is the k-th active manager up the chain that starts at the agent's owner's manager;
 *   inactive people are skipped (they approve nothing).
 * - `department`: level k is the k-th department, from the agent's own up the tree, that has active
 *   approvers.
 * - `role:<name>`: every level asks the active people who hold the role.
 *
 * Separation of duties: nobody approves an action of an agent they own, nor their own request; such people
 * are never candidates. Nobody approves at two levels. A level asks `of` (M) candidates when the policy
 * says `N of M`, else all of them, and needs `quorum` (N) approvals. A level that cannot reach its quorum
 * after these exclusions is skipped upward (the next manager, the next department up) for the manager and
 * department routes; when no level can be formed the action is unroutable, and the caller denies it.
 */
import type { Agent, Org } from '../org/model.js';
import type { ApprovalSpec } from '../types.js';

/** One level of an approval: who is asked, and how many must approve. */
export interface ApprovalLevel {
  readonly approvers: readonly string[];
  readonly quorum: number;
}

/** Who approves, level by level, and who is next up for an escalation. */
export interface ApprovalRoute {
  readonly levels: readonly ApprovalLevel[];
  /** The level an unanswered last level escalates to, when the org has one. */
  readonly escalation?: ApprovalLevel;
}

/** The outcome of routing: a route, or why there is none (the action is then denied). */
export type RouteResult =
  { readonly ok: true; readonly route: ApprovalRoute } | { readonly ok: false; readonly reason: string };

/** Who may not approve this action (separation of duties). */
export interface RouteParty {
  readonly agent: Agent;
  /** The person who asked for the action, when a human did (they may not approve it). */
  readonly requester?: string | undefined;
}

/** Routes an approval for an action of `party.agent` under `spec`. Never throws for org data. */
export function routeApproval(org: Org, spec: ApprovalSpec, party: RouteParty): RouteResult {
  const excluded = new Set([party.agent.owner, ...(party.requester ? [party.requester] : [])]);
  const ask = spec.of ?? Number.POSITIVE_INFINITY;
  const used = new Set<string>();
  const levels: ApprovalLevel[] = [];
  const pools = candidatePools(org, spec.route, party.agent);
  if (typeof pools === 'string') return { ok: false, reason: pools };
  let escalation: ApprovalLevel | undefined;
  for (const pool of pools) {
    const eligible = pool.filter((p) => !excluded.has(p) && !used.has(p) && isActive(org, p));
    if (eligible.length < spec.quorum) continue;
    const level = { approvers: eligible.slice(0, Math.max(spec.quorum, ask)), quorum: spec.quorum };
    if (levels.length === spec.levels) {
      escalation = level;
      break;
    }
    levels.push(level);
    for (const p of level.approvers) used.add(p);
  }
  if (levels.length < spec.levels) {
    return {
      ok: false,
      reason:
        `no one can approve: route \`${spec.route}\` for agent \`${party.agent.id}\` needs ${spec.levels} ` +
        `level${spec.levels === 1 ? '' : 's'} of ${spec.quorum} approver${spec.quorum === 1 ? '' : 's'} ` +
        `other than the agent's owner${party.requester ? ' and the requester' : ''}, and the org has ${levels.length}`,
    };
  }
  return { ok: true, route: escalation ? { levels, escalation } : { levels } };
}

function isActive(org: Org, id: string): boolean {
  return org.people.get(id)?.active === true;
}

/**
 * The successive pools of candidates a route offers, nearest first (a role offers the same pool for as
 * many levels as can be formed from it), or why the route is not understood.
 */
function candidatePools(org: Org, route: string, agent: Agent): Iterable<readonly string[]> | string {
  if (route === 'manager') return managerChain(org, agent.owner);
  if (route === 'department') return departmentApprovers(org, agent.department);
  if (route.startsWith('role:')) {
    const role = route.slice('role:'.length);
    const holders = [...org.people.values()].filter((p) => p.roles.includes(role)).map((p) => p.id);
    return rolePools(holders);
  }
  return `approval route \`${route}\` is not one of \`manager\`, \`department\`, \`role:<name>\``;
}

function* managerChain(org: Org, owner: string): Generator<readonly string[]> {
  const seen = new Set<string>([owner]);
  let at = org.people.get(owner)?.manager;
  while (at !== undefined && !seen.has(at)) {
    seen.add(at);
    yield [at];
    at = org.people.get(at)?.manager;
  }
}

function* departmentApprovers(org: Org, department: string): Generator<readonly string[]> {
  for (const id of org.ancestry(department)) {
    const d = org.departments.get(id);
    if (d && d.approvers.length > 0) yield d.approvers;
  }
}

function* rolePools(holders: readonly string[]): Generator<readonly string[]> {
  // Each level takes people not used before, so at most `holders.length` levels can form.
  for (let i = 0; i < holders.length; i++) yield holders;
}
