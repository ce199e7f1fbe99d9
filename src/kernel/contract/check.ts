/**
 * The runtime contract (DESIGN §2), as far as the org alone can tell: before an agent may act, it must be a
 * registered agent with an active human owner, sit in a department, and have an autonomy that lets it act.
 * Runs on every decision: once an agent has passed, its verdict is two lookups and no allocation.
 *
 * Not checked here, because the org cannot tell: the credential bound to the identity (the channel
 * authenticates it), lifecycle signals (stopped or killed agents), permissions (policy) and the ledger.
 * `role` is optional: it only brings role-scoped policies into scope.
 */
import type { Agent, Org, Person } from '../org/model.js';

/** Every contract rule and what it means; the `contract.*` rule of a denying decision is one of these. */
export const CONTRACT_RULES = {
  'contract.identity-invalid': 'the request names no agent: its agent id is missing, empty or not a string',
  'contract.unknown-agent': 'the agent is not registered in the organisation',
  'contract.owner-missing': 'the agent is suspended: its owner is not a person in the organisation',
  'contract.owner-inactive': 'the agent is suspended: its owner is inactive (has left the organisation)',
  'contract.department-missing': 'the agent names a department that is not in the organisation',
  'contract.autonomy-invalid': 'the agent has no valid autonomy level (0, 1, 2 or 3)',
  'contract.autonomy-observe': 'the agent has autonomy 0 (observe): it may recommend but never act',
} as const satisfies Record<string, string>;

/** A contract rule name (`contract.owner-inactive`). */
export type ContractRule = keyof typeof CONTRACT_RULES;

/** The contract's verdict: the agent and its owner, or the rule that failed and why. A value, never thrown. */
export type ContractResult =
  | { readonly ok: true; readonly agent: Agent; readonly owner: Person }
  | { readonly ok: false; readonly rule: ContractRule; readonly reason: string };

type Ok = Extract<ContractResult, { ok: true }>;

// The ok verdict per org and agent id, so a warm check is two lookups and allocates nothing.
// INVARIANT: an Org never changes in place (buildOrg seals its maps); a changed org is a new Org, with a new
// cache. Only registered agents are cached, so ids an attacker makes up cannot grow it.
const okResults = new WeakMap<Org, Map<string, Ok>>();

/** Checks an agent's runtime contract against the org. Never throws (an odd org or id yields a deny). */
export function checkContract(org: Org, agentId: string): ContractResult {
  return okResults.get(org)?.get(agentId) ?? check(org, agentId);
}

function check(org: Org, agentId: string): ContractResult {
  if (typeof agentId !== 'string' || agentId === '') {
    return deny('contract.identity-invalid', `the request names no agent (agent id ${quote(agentId)})`);
  }
  const agent = org.agents.get(agentId);
  if (!agent)
    return deny('contract.unknown-agent', `agent ${quote(agentId)} is not registered in the organisation`);
  const id = quote(agent.id);
  const owner = org.people.get(agent.owner);
  if (!owner) {
    return deny(
      'contract.owner-missing',
      `agent ${id} is suspended: its owner ${quote(agent.owner)} is not in the organisation`,
    );
  }
  if (!owner.active) {
    return deny(
      'contract.owner-inactive',
      `agent ${id} is suspended: its owner ${quote(owner.id)} is inactive`,
    );
  }
  if (!org.departments.has(agent.department)) {
    return deny(
      'contract.department-missing',
      `agent ${id} names department ${quote(agent.department)}, which is not in the organisation`,
    );
  }
  const autonomy: unknown = agent.autonomy;
  if (autonomy !== 0 && autonomy !== 1 && autonomy !== 2 && autonomy !== 3) {
    return deny(
      'contract.autonomy-invalid',
      `agent ${id} has autonomy ${quote(autonomy)}, which is not 0, 1, 2 or 3`,
    );
  }
  if (autonomy === 0) {
    return deny(
      'contract.autonomy-observe',
      `agent ${id} has autonomy 0 (observe): it may recommend but never act`,
    );
  }
  let cache = okResults.get(org);
  if (!cache) {
    cache = new Map();
    okResults.set(org, cache);
  }
  const ok: Ok = Object.freeze({ ok: true, agent, owner });
  cache.set(agentId, ok);
  return ok;
}

function deny(rule: ContractRule, reason: string): ContractResult {
  return { ok: false, rule, reason };
}

/** An id in backticks, on one line and short, whatever the caller sent. */
function quote(value: unknown): string {
  let text = typeof value === 'string' ? value : String(JSON.stringify(value) ?? value);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach a one-line reason
  if (/[\u0000-\u001f\u007f`]/.test(text)) text = JSON.stringify(text).slice(1, -1).replace(/`/g, "'");
  return '`' + (text.length > 60 ? text.slice(0, 57) + '...' : text) + '`';
}
