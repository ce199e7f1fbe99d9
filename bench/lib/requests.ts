/**
 * Pre-generated requests (generation is never measured): a mix aimed at allow rules, deny rules and approval
 * rules, plus random traffic (mostly default deny), from agents across the whole org.
 */
import type { ActionRequest } from '../../src/kernel/types.js';
import type { GeneratedOrg } from './org.js';
import type { Condition, PolicyModel, RuleSpec, ScopeSpec } from './policy-model.js';
import { REGIONS } from './policy-model.js';
import { Rng } from './random.js';

/** Share of each kind of request. */
export const MIX = { allow: 0.55, deny: 0.1, approval: 0.1, random: 0.25 } as const;

/** Generates `count` requests against a policy model and org. */
export function generateRequests(
  count: number,
  model: PolicyModel,
  org: GeneratedOrg,
  seed = 99,
): ActionRequest[] {
  const rng = new Rng(seed + count + model.ruleCount);
  const byEffect = { allow: [], deny: [], require_approval: [] } as Record<
    RuleSpec['effect'],
    [ScopeSpec, RuleSpec][]
  >;
  for (const d of model.docs) for (const r of d.rules) byEffect[r.effect].push([d.scope, r]);
  const out: ActionRequest[] = [];
  const cache = new Map<ScopeSpec, readonly string[]>();
  for (let i = 0; i < count; i++) {
    const k = rng.next();
    const kind =
      k < MIX.allow
        ? 'allow'
        : k < MIX.allow + MIX.deny
          ? 'deny'
          : k < MIX.allow + MIX.deny + MIX.approval
            ? 'require_approval'
            : undefined;
    const pool = kind === undefined ? [] : byEffect[kind];
    if (pool.length === 0) {
      out.push(randomRequest(rng, model, org));
      continue;
    }
    const [scope, rule] = rng.pick(pool);
    out.push(targeted(rng, scope, rule, org, cache) ?? randomRequest(rng, model, org));
  }
  return out;
}

function baseArgs(rng: Rng): Record<string, unknown> {
  return {
    env: rng.pick(['dev', 'staging', 'test']),
    region: rng.pick(REGIONS),
    amount: rng.int(1000),
    records: rng.int(500),
    classification: rng.pick(['public', 'internal']),
  };
}

function resourceFor(rng: Rng, action: string, region: string): string {
  const [svc, obj] = action.split('.');
  return `/${svc}/${region}/${obj}/${rng.int(100_000)}`;
}

function randomRequest(rng: Rng, model: PolicyModel, org: GeneratedOrg): ActionRequest {
  const action = rng.pick(model.actions);
  const args = baseArgs(rng);
  return {
    agent: rng.pick(org.agentIds),
    action,
    resource: resourceFor(rng, action, args.region as string),
    args,
  };
}

function agentsIn(scope: ScopeSpec, org: GeneratedOrg): readonly string[] {
  if ('org' in scope) return org.agentIds;
  const under = scope.department === undefined ? undefined : (org.agentsUnder.get(scope.department) ?? []);
  if (scope.role === undefined) return under ?? org.agentIds;
  const role = org.agentsByRole.get(scope.role) ?? [];
  if (under === undefined) return role;
  const set = new Set(role);
  return under.filter((a) => set.has(a));
}

function targeted(
  rng: Rng,
  scope: ScopeSpec,
  rule: RuleSpec,
  org: GeneratedOrg,
  cache: Map<ScopeSpec, readonly string[]>,
): ActionRequest | undefined {
  let agents = cache.get(scope);
  if (!agents) {
    agents = agentsIn(scope, org);
    cache.set(scope, agents);
  }
  if (agents.length === 0) return undefined;
  const action = rng.pick(rule.actions);
  const args = baseArgs(rng);
  for (const c of rule.when) args[c.field] = satisfy(rng, c);
  const region = rule.resource ? (rule.resource.prefix.split('/')[2] ?? 'eu') : (args.region as string);
  return { agent: rng.pick(agents), action, resource: resourceFor(rng, action, region), args };
}

function satisfy(rng: Rng, c: Condition): unknown {
  switch (c.op) {
    case 'eq':
      return c.value;
    case 'ne':
      return c.value + '-not';
    case 'gt':
      return c.value + 1 + rng.int(c.value);
    case 'lte':
      return rng.int(c.value + 1);
    case 'in':
      return rng.pick(c.value);
  }
}
