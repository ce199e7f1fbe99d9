/**
 * Cedar (`@cedar-policy/cedar-wasm`) on the same policies: the policy set is pre-parsed once
 * (`preparsePolicySet`) and each decision is one `statefulIsAuthorized` call, the fastest API the package
 * offers. Entities still cross into WebAssembly on every call, so two ways are measured:
 * - slice: the principal and its department chain (what a service would load per request), cached per agent;
 * - full store: every agent and department of the org, on every call.
 */
import { getCedarVersion, preparsePolicySet, statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import type { AuthorizationAnswer, EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { ActionRequest, Effect } from '../../src/kernel/types.js';
import type { GeneratedOrg } from './org.js';
import type { PolicyModel } from './policy-model.js';
import { CEDAR_PREFIX, toCedar } from './policy-text.js';

/** The installed Cedar version. */
export const cedarVersion = getCedarVersion();

/** An effect, or `error` when Cedar failed the call itself. */
export type CedarEffect = Effect | 'error';

/** A Cedar authoriser over one org and policy set. */
export class CedarBench {
  private readonly id: string;
  private readonly agents: Map<string, { autonomy: number; slice: EntityJson[] }>;
  private readonly all: EntityJson[];
  /** Policy evaluation errors seen (Agent OS would deny; our policies guard with `has`, so expect 0). */
  errors = 0;

  constructor(model: PolicyModel, org: GeneratedOrg, id: string) {
    this.id = id;
    const parsed = preparsePolicySet(id, { staticPolicies: toCedar(model) });
    if (parsed.type !== 'success') {
      throw new Error(
        `cedar could not parse the policies: ${parsed.errors.map((e) => e.message).join('; ')}`,
      );
    }
    const deptEntity = new Map<string, EntityJson>();
    for (const d of org.data.departments ?? []) {
      deptEntity.set(d.id, {
        uid: { type: 'Department', id: d.id },
        attrs: {},
        parents: d.parent === undefined ? [] : [{ type: 'Department', id: d.parent }],
      });
    }
    this.agents = new Map();
    this.all = [...deptEntity.values()];
    for (const a of org.data.agents ?? []) {
      const entity: EntityJson = {
        uid: { type: 'Agent', id: a.id },
        attrs: { role: a.role ?? '', autonomy: a.autonomy },
        parents: [{ type: 'Department', id: a.department }],
      };
      const slice = [entity];
      for (let d: string | undefined = a.department; d !== undefined; d = org.parentOf.get(d)) {
        const e = deptEntity.get(d);
        if (e) slice.push(e);
      }
      this.agents.set(a.id, { autonomy: a.autonomy, slice });
      this.all.push(entity);
    }
  }

  /** Decides with the principal's entity slice. */
  decide(request: ActionRequest): CedarEffect {
    const agent = this.agents.get(request.agent);
    if (!agent) return 'deny';
    return this.effectOf(this.call(request, agent.slice), agent.autonomy);
  }

  /** Decides with every entity of the org passed in. */
  decideFullStore(request: ActionRequest): CedarEffect {
    const agent = this.agents.get(request.agent);
    if (!agent) return 'deny';
    return this.effectOf(this.call(request, this.all), agent.autonomy);
  }

  private call(request: ActionRequest, entities: EntityJson[]): AuthorizationAnswer {
    return statefulIsAuthorized({
      principal: { type: 'Agent', id: request.agent },
      action: { type: 'Action', id: request.action },
      resource: { type: 'Resource', id: request.resource ?? '' },
      context: { ...(request.args as Record<string, string | number>), resource: request.resource ?? '' },
      preparsedPolicySetId: this.id,
      entities,
    });
  }

  private effectOf(answer: AuthorizationAnswer, autonomy: number): CedarEffect {
    if (answer.type !== 'success') return 'error';
    const { decision, diagnostics } = answer.response;
    if (diagnostics.errors.length > 0) {
      // Agent OS denies when a rule cannot be evaluated; Cedar skips the policy. Count it, decide as Agent OS.
      this.errors++;
      return 'deny';
    }
    if (decision === 'deny') return 'deny';
    for (const id of diagnostics.reason)
      if (id.startsWith(CEDAR_PREFIX.require_approval)) return 'require_approval';
    return autonomy === 1 ? 'require_approval' : 'allow';
  }
}
