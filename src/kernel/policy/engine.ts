/**
 * The policy engine: decides an ActionRequest for an agent of an org under a PolicySet (DESIGN §3–4).
 *
 * Order: contract → classify → risk rules → rules → autonomy. Default deny; any matching `deny` wins;
 * `require_approval` beats `allow`; autonomy 1 sends every allowed action to approval, autonomy 2 those
 * whose risk is above the agent's ceiling; autonomy 0 never acts (a contract deny). A rule that cannot be
 * evaluated (a value of the wrong type) makes the decision deny, and says so.
 *
 * Cost: the rules whose action pattern matches an action name are indexed on first use of that name,
 * and the documents in scope are resolved once per (department, role) — or per agent when a document is
 * scoped to it — into a bitmap, so a decision costs O(rules whose action pattern matches), with one
 * array read per rule for its scope: not O(rules) or O(agents).
 */
import { classify as defaultClassify } from '../classify/index.js';
import { checkContract } from '../contract/check.js';
import type { Agent, Org } from '../org/model.js';
import type { IdSource } from '../ports.js';
import { maxRisk, riskRank } from '../types.js';
import type { ActionRequest, Classification, Constraint, Decision, RiskLevel } from '../types.js';
import { DEFAULT_APPROVAL } from './compile.js';
import type {
  CompiledDocument,
  CompiledRiskRule,
  CompiledRule,
  CompiledTarget,
  PolicySet,
} from './compile.js';
import type { Explanation, RuleTrace } from './explanation.js';
import type { EvalContext } from './paths.js';
import { record, recordDocuments, resourceMiss } from './trace.js';
import type { Collector } from './trace.js';
import { requestProblem } from './request.js';

/** How to build an engine. */
export interface EngineOptions {
  /** Source of decision ids. */
  readonly ids: IdSource;
  /** The classifier (default: the kernel's parser-based classifiers). */
  readonly classify?: (request: ActionRequest) => Classification;
}

/** The rules (of any scope) whose action pattern matches one action name, in document order. */
interface ActionIndex {
  readonly rules: readonly CompiledRule[];
  /** `ruleDocs[i]` is the document index of `rules[i]`: the scope check reads only this array. */
  readonly ruleDocs: Uint32Array;
  readonly riskRules: readonly CompiledRiskRule[];
  readonly riskDocs: Uint32Array;
}

/** The documents that apply to one (department, role[, agent]). */
interface Scoped {
  readonly documents: readonly CompiledDocument[];
  /** `inScope[document.index]` is 1 when the document applies. */
  readonly inScope: Uint8Array;
}

// INVARIANT: bounded memory whatever action names agents send; the index is rebuilt on demand.
const MAX_INDEXED_ACTIONS = 16_384;
const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
const NONE: readonly never[] = Object.freeze([]);
const ASSISTED = Object.freeze({ ...DEFAULT_APPROVAL, rule: 'autonomy.assisted' });
const CEILING = Object.freeze({ ...DEFAULT_APPROVAL, rule: 'autonomy.risk-ceiling' });

/** Decides action requests. Build one per (org, policy set); it is immutable and caches internally. */
export class PolicyEngine {
  readonly org: Org;
  readonly policies: PolicySet;
  private readonly ids: IdSource;
  private readonly classifier: (request: ActionRequest) => Classification;
  private readonly agentScoped: ReadonlySet<string>;
  private readonly scopes = new Map<string, Scoped>();
  private readonly byAction = new Map<string, ActionIndex>();
  private readonly agents = new Map<string, { readonly agent: Agent; readonly scoped: Scoped }>();
  private readonly denies: CompiledRule[] = [];
  private readonly approvals: CompiledRule[] = [];
  private readonly allows: CompiledRule[] = [];

  constructor(policies: PolicySet, org: Org, options: EngineOptions) {
    this.policies = policies;
    this.org = org;
    this.ids = options.ids;
    this.classifier = options.classify ?? defaultClassify;
    const agentScoped = new Set<string>();
    for (const d of policies.documents)
      if ('agent' in d.scope && d.scope.agent !== undefined) agentScoped.add(d.scope.agent);
    this.agentScoped = agentScoped;
  }

  /** Decides one request. Never throws for a policy outcome. */
  decide(request: ActionRequest): Decision {
    return this.evaluate(request, undefined);
  }

  /** Decides one request and explains the decision. */
  explain(request: ActionRequest): Explanation {
    const c: Collector = { documents: [], riskRules: [], rules: [] };
    const decision = this.evaluate(request, c);
    return {
      request,
      contract: c.contract ?? { ok: false },
      classification: c.classification ?? {
        facts: {},
        risk: decision.risk,
        resource: request.resource ?? '',
      },
      risk: c.risk ?? decision.risk,
      documents: c.documents,
      riskRules: c.riskRules,
      rules: c.rules,
      decision,
    };
  }

  /** The documents that apply to an agent, in load order. */
  documentsFor(agent: Agent): readonly CompiledDocument[] {
    return this.scopeFor(agent).documents;
  }

  private evaluate(request: ActionRequest, trace: Collector | undefined): Decision {
    // INVARIANT: decide() never throws, even on a request that skipped validation
    const invalid = requestProblem(request);
    if (invalid !== undefined) return this.decision('deny', ['request.invalid'], invalid, 'critical');
    const classification = this.classifier(request);
    const resource =
      classification.resource === undefined
        ? typeof request.resource === 'string'
          ? request.resource
          : ''
        : (classification.resource ?? '');
    if (trace) trace.classification = { facts: classification.facts, risk: classification.risk, resource };
    // INVARIANT: the org is immutable, so an agent whose contract held holds it for this engine's lifetime;
    // only registered agents are remembered (bounded by the org), never ids a caller makes up
    let known = this.agents.get(request.agent);
    if (known === undefined) {
      const contract = checkContract(this.org, request.agent);
      if (!contract.ok) {
        if (trace) trace.contract = { ok: false, rule: contract.rule, reason: contract.reason };
        return this.decision('deny', [contract.rule], contract.reason, classification.risk ?? 'medium');
      }
      known = { agent: contract.agent, scoped: this.scopeFor(contract.agent) };
      this.agents.set(request.agent, known);
    }
    if (trace) trace.contract = { ok: true };
    const { agent, scoped } = known;
    const index = trace ? this.fullIndex(scoped, trace) : this.indexFor(request.action);
    const inScope = scoped.inScope;
    const ctx: EvalContext = {
      action: request.action,
      resource,
      // a resource no classifier normalised is unknown when it holds `.`/`..` segments: what it names is up
      // to whoever resolves it, so no pattern can be trusted to see it as written
      resourceKnown:
        classification.resource === undefined ? !hasDotSegment(resource) : classification.resource !== null,
      args: request.args ?? EMPTY,
      context: request.context ?? EMPTY,
      agent,
      facts: classification.facts,
      risk: 'medium',
    };

    // INVARIANT: risk is the highest level any speaker (classifier, risk rule) gives; nobody speaking → medium
    let spoken = classification.risk;
    const { riskRules, riskDocs } = index;
    for (let i = 0; i < riskRules.length; i++) {
      if (inScope[riskDocs[i] as number] === 0) continue;
      const r = riskRules[i] as CompiledRiskRule;
      const outcome = this.test(r, ctx, trace, `risk:${r.level}`);
      if (outcome === true) spoken = spoken === undefined ? r.level : maxRisk(spoken, r.level);
      else if (outcome !== false) {
        return this.decision(
          'deny',
          [r.key],
          `risk rule \`${r.key}\` could not be evaluated: ${outcome}`,
          'critical',
        );
      }
    }
    const risk = spoken ?? 'medium';
    ctx.risk = risk;
    if (trace) trace.risk = risk;

    // INVARIANT: evaluation is synchronous and never re-entered, so one set of scratch lists serves all
    const denies = this.denies;
    const approvals = this.approvals;
    const allows = this.allows;
    // (truncating an array is costly even when it is empty: only do it when needed)
    if (denies.length > 0) denies.length = 0;
    if (approvals.length > 0) approvals.length = 0;
    if (allows.length > 0) allows.length = 0;
    const { rules, ruleDocs } = index;
    for (let i = 0; i < rules.length; i++) {
      if (inScope[ruleDocs[i] as number] === 0) continue;
      const rule = rules[i] as CompiledRule;
      const outcome = this.test(rule, ctx, trace, rule.effect);
      if (outcome === false) continue;
      if (outcome !== true) {
        return this.decision(
          'deny',
          rule.keyList,
          `rule \`${rule.key}\` could not be evaluated: ${outcome}`,
          risk,
        );
      }
      if (rule.effect === 'deny') denies.push(rule);
      else if (rule.effect === 'require_approval') approvals.push(rule);
      else allows.push(rule);
    }

    const first = denies[0] ?? approvals[0];
    if (first) {
      // deny overrides everything; otherwise require_approval overrides allow
      const deciding = first.effect === 'deny' ? denies : approvals;
      const constraints = first.effect === 'deny' ? NONE : constraintsOf(allows);
      return this.decision(
        first.effect,
        keys(deciding),
        first.because,
        risk,
        constraints as readonly Constraint[],
        first.approval,
      );
    }
    const allow = allows[0];
    if (!allow) {
      return this.decision(
        'deny',
        NONE,
        `no rule allows \`${request.action}\` for agent \`${agent.id}\` (default deny)`,
        risk,
      );
    }
    if (agent.autonomy === 1) {
      return this.decision(
        'require_approval',
        [...keys(allows), 'autonomy.assisted'],
        `agent \`${agent.id}\` is assisted (autonomy 1): every action needs approval`,
        risk,
        constraintsOf(allows),
        ASSISTED,
      );
    }
    if (agent.autonomy === 2 && riskRank(risk) > riskRank(agent.riskCeiling)) {
      return this.decision(
        'require_approval',
        [...keys(allows), 'autonomy.risk-ceiling'],
        `risk \`${risk}\` is above the ceiling \`${agent.riskCeiling}\` of agent \`${agent.id}\` (autonomy 2)`,
        risk,
        constraintsOf(allows),
        CEILING,
      );
    }
    return this.decision('allow', keys(allows), allow.because, risk, constraintsOf(allows));
  }

  private decision(
    effect: Decision['effect'],
    rules: readonly string[],
    reason: string,
    risk: RiskLevel,
    constraints: readonly Constraint[] = NONE as readonly Constraint[],
    approval?: Decision['approval'],
  ): Decision {
    // one object shape for every decision keeps the callers' property accesses monomorphic
    return {
      effect,
      rules,
      reason,
      risk,
      constraints,
      approvers: NONE,
      approval,
      decisionId: this.ids.next('dec'),
    };
  }

  /**
   * Tests a rule's resource and conditions (its action already matched); records the outcome when tracing.
   * An unknown resource (a classifier could not establish it) matches the resource glob of every rule that
   * restricts (deny, approval, risk) and of no rule that allows: it fails closed both ways.
   */
  private test(
    rule: CompiledTarget,
    ctx: EvalContext,
    trace: Collector | undefined,
    effect: RuleTrace['effect'],
  ): boolean | string {
    if (trace && !rule.actionTest(ctx.action)) {
      record(
        trace,
        rule,
        effect,
        'not-matched',
        `action \`${ctx.action}\` does not match \`${rule.action}\``,
      );
      return false;
    }
    if (rule.resourceTest) {
      const known = ctx.resourceKnown;
      if (known ? !rule.resourceTest(ctx.resource) : effect === 'allow') {
        if (trace) record(trace, rule, effect, 'not-matched', resourceMiss(ctx, rule));
        return false;
      }
    }
    for (const clause of rule.clauses) {
      const value = clause.read(ctx);
      const r = clause.test(value);
      if (r === true) continue;
      if (trace) {
        const why =
          r === false
            ? `condition \`${clause.text}\` does not hold (value: ${value === undefined ? 'absent' : JSON.stringify(value)})`
            : r;
        record(trace, rule, effect, r === false ? 'not-matched' : 'error', why);
      }
      return r;
    }
    if (trace)
      record(
        trace,
        rule,
        effect,
        'matched',
        ctx.resourceKnown || !rule.resourceTest
          ? 'matched'
          : 'matched (the resource is unknown, so every restricting resource pattern applies)',
      );
    return true;
  }

  private scopeFor(agent: Agent): Scoped {
    const key = this.agentScoped.has(agent.id)
      ? `agent\u0000${agent.id}`
      : `${agent.department}\u0000${agent.role ?? ''}`;
    let scoped = this.scopes.get(key);
    if (!scoped) {
      const ancestry = this.org.ancestry(agent.department);
      const documents = this.policies.documents.filter((d) => appliesTo(d, agent, ancestry));
      const mask = new Uint8Array(this.policies.documents.length);
      for (const d of documents) mask[d.index] = 1;
      scoped = { documents, inScope: mask };
      this.scopes.set(key, scoped);
    }
    return scoped;
  }

  /** The rules whose action pattern matches `action`, across all documents (the scope is checked per rule). */
  private indexFor(action: string): ActionIndex {
    const hit = this.byAction.get(action);
    if (hit) return hit;
    const rules: CompiledRule[] = [];
    const riskRules: CompiledRiskRule[] = [];
    for (const d of this.policies.documents) {
      for (const r of d.rules) if (r.actionTest(action)) rules.push(r);
      for (const r of d.riskRules) if (r.actionTest(action)) riskRules.push(r);
    }
    const entry = indexOf(rules, riskRules);
    if (this.byAction.size >= MAX_INDEXED_ACTIONS) this.byAction.clear();
    this.byAction.set(action, entry);
    return entry;
  }

  /** For explanations: every rule of every document in scope (test() reports those whose action differs). */
  private fullIndex(scoped: Scoped, trace: Collector): ActionIndex {
    recordDocuments(trace, this.policies.documents, scoped.documents);
    return indexOf(
      scoped.documents.flatMap((d) => d.rules),
      scoped.documents.flatMap((d) => d.riskRules),
    );
  }
}

function indexOf(rules: readonly CompiledRule[], riskRules: readonly CompiledRiskRule[]): ActionIndex {
  return {
    rules,
    ruleDocs: Uint32Array.from(rules, (r) => r.document.index),
    riskRules,
    riskDocs: Uint32Array.from(riskRules, (r) => r.document.index),
  };
}

function hasDotSegment(resource: string): boolean {
  if (!resource.includes('.')) return false;
  for (const segment of resource.split('/')) if (segment === '.' || segment === '..') return true;
  return false;
}

function appliesTo(d: CompiledDocument, agent: Agent, ancestry: readonly string[]): boolean {
  const s = d.scope;
  if ('org' in s) return true;
  if (s.department !== undefined && !ancestry.includes(s.department)) return false;
  if (s.role !== undefined && agent.role !== s.role) return false;
  if (s.agent !== undefined && agent.id !== s.agent) return false;
  return true;
}

function keys(rules: readonly CompiledRule[]): readonly string[] {
  return rules.length === 1 ? (rules[0] as CompiledRule).keyList : rules.map((r) => r.key);
}

function constraintsOf(allows: readonly CompiledRule[]): readonly Constraint[] {
  if (allows.length === 1) return (allows[0] as CompiledRule).constraints;
  let out: Constraint[] | undefined;
  for (const r of allows) for (const c of r.constraints) if (!(out ??= []).includes(c)) out.push(c);
  return out ?? (NONE as readonly Constraint[]);
}
