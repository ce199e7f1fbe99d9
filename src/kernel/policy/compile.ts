/**
 * parse → validate → compile: policy sources become a PolicySet, or one error listing every problem
 * (each at `file:line:col`). Compiling is done once; evaluation never re-reads a document.
 */
import { AgentOsError } from '../errors.js';
import type { Problem, SourcePlace } from '../errors.js';
import type { Org } from '../org/model.js';
import { parseYamlSource, validateDocument } from '../source/yaml-source.js';
import type { SourceDocument } from '../source/yaml-source.js';
import type { ApprovalSpec, Constraint, Effect, RiskLevel } from '../types.js';
import { parseDuration } from './duration.js';
import { compileActionGlob, compileResourceGlob } from './glob.js';
import type { GlobTest } from './glob.js';
import { compileClause } from './matcher.js';
import type { Clause } from './matcher.js';
import { policySchema } from './schema.js';
import type { PolicyDocumentData, ScopeData } from './schema.js';

/** A policy source: a file's name and text. */
export interface PolicySource {
  readonly file: string;
  readonly text: string;
}

/** The part of a rule both rules and risk rules share: what it applies to. */
export interface CompiledTarget {
  /** `policy/rule` (risk rules without an id: `policy/risk[3]`). */
  readonly key: string;
  readonly action: string;
  readonly resource: string;
  readonly actionTest: GlobTest;
  /** Undefined when the rule names no resource (matches everything). */
  readonly resourceTest: GlobTest | undefined;
  readonly clauses: readonly Clause[];
  readonly reason: string | undefined;
  readonly place: SourcePlace;
}

/** A compiled rule. */
export interface CompiledRule extends CompiledTarget {
  readonly effect: Effect;
  /** `[key]`, shared: the rules of a decision that one rule made. */
  readonly keyList: readonly string[];
  /** The reason a decision made by this rule gives: its own, or one naming the rule. */
  readonly because: string;
  readonly approval: ApprovalSpec | undefined;
  readonly constraints: readonly Constraint[];
  readonly document: CompiledDocument;
}

/** A compiled risk rule. */
export interface CompiledRiskRule extends CompiledTarget {
  readonly level: RiskLevel;
  readonly document: CompiledDocument;
}

/** A compiled policy document. */
export interface CompiledDocument {
  /** Position in `PolicySet.documents` (load order). */
  readonly index: number;
  readonly name: string;
  /** The source document, to place later findings (scope references) in it. */
  readonly source: SourceDocument;
  readonly description: string | undefined;
  readonly file: string;
  readonly place: SourcePlace;
  readonly scope: ScopeData;
  readonly rules: readonly CompiledRule[];
  readonly riskRules: readonly CompiledRiskRule[];
}

/** All policy documents of a deployment, compiled. */
export interface PolicySet {
  readonly documents: readonly CompiledDocument[];
}

const BECAUSE: Record<Effect, (key: string) => string> = {
  allow: (key) => `allowed by rule \`${key}\``,
  deny: (key) => `denied by rule \`${key}\``,
  require_approval: (key) => `rule \`${key}\` requires approval`,
};

/** Default approval when a rule or the autonomy level asks for one without saying how. */
export const DEFAULT_APPROVAL = {
  route: 'manager',
  levels: 1,
  quorum: 1,
  timeoutMs: 24 * 3_600_000,
} as const;

/**
 * Parses, validates and compiles policy sources. Throws AgentOsError (`AOS_YAML_SYNTAX` or
 * `AOS_POLICY_INVALID`) with every problem.
 */
export function compilePolicies(sources: readonly PolicySource[]): PolicySet {
  const problems: Problem[] = [];
  let syntax = false;
  const documents: CompiledDocument[] = [];
  const names = new Map<string, SourcePlace>();
  for (const source of sources) {
    const parsed = parseYamlSource(source.text, source.file);
    if (parsed.problems.length > 0) {
      syntax = true;
      problems.push(...parsed.problems);
      continue;
    }
    if (parsed.documents.length === 0) {
      problems.push({
        message: 'no policy document in this file',
        place: { file: source.file, line: 1, col: 1 },
      });
    }
    for (const doc of parsed.documents) {
      const checked = validateDocument(doc, policySchema);
      if (!checked.ok) {
        problems.push(...checked.problems);
        continue;
      }
      const data = checked.value;
      const earlier = names.get(data.metadata.name);
      if (earlier) {
        problems.push({
          message: `policy name \`${data.metadata.name}\` is already used at ${earlier.file}:${earlier.line}:${earlier.col}`,
          place: doc.placeOf(['metadata', 'name']),
        });
      } else names.set(data.metadata.name, doc.placeOf(['metadata', 'name']));
      documents.push(compileDocument(doc, data, documents.length, problems));
    }
  }
  if (problems.length > 0) {
    throw AgentOsError.fromProblems(
      syntax && problems.every((p) => p.message.startsWith('yaml:'))
        ? 'AOS_YAML_SYNTAX'
        : 'AOS_POLICY_INVALID',
      problems,
    );
  }
  return { documents };
}

function compileDocument(
  doc: SourceDocument,
  data: PolicyDocumentData,
  index: number,
  problems: Problem[],
): CompiledDocument {
  const rules: CompiledRule[] = [];
  const riskRules: CompiledRiskRule[] = [];
  const compiled: CompiledDocument = {
    index,
    name: data.metadata.name,
    source: doc,
    description: data.metadata.description,
    file: doc.file,
    place: doc.placeOf([]),
    scope: data.scope,
    rules,
    riskRules,
  };
  const ids = new Map<string, number>();
  data.rules.forEach((rule, i) => {
    const at = ['rules', i] as const;
    const prior = ids.get(rule.id);
    if (prior !== undefined) {
      problems.push({
        message: `rule id \`${rule.id}\` is already used by rules[${prior}]`,
        place: doc.placeOf([...at, 'id']),
      });
    } else ids.set(rule.id, i);
    const key = `${data.metadata.name}/${rule.id}`;
    const target = compileTarget(doc, [...at], key, rule, problems);
    if (rule.approval && rule.effect !== 'require_approval') {
      problems.push({
        message: `rule \`${rule.id}\` has an \`approval\` block but its effect is \`${rule.effect}\``,
        place: doc.placeOf([...at, 'approval']),
      });
    }
    if (rule.constraints && rule.effect !== 'allow') {
      problems.push({
        message: `rule \`${rule.id}\` has \`constraints\` but only \`allow\` rules carry them`,
        place: doc.placeOf([...at, 'constraints']),
      });
    }
    const approval =
      rule.effect === 'require_approval'
        ? compileApproval(doc, [...at, 'approval'], rule.approval, key, problems)
        : undefined;
    if (target) {
      rules.push({
        ...target,
        effect: rule.effect,
        keyList: Object.freeze([key]),
        because: rule.reason ?? BECAUSE[rule.effect](key),
        approval,
        constraints: Object.freeze(rule.constraints ?? []),
        document: compiled,
      });
    }
  });
  data.risk.forEach((rule, i) => {
    const at = ['risk', i] as const;
    const key = `${data.metadata.name}/${rule.id ?? `risk[${i}]`}`;
    if (rule.when && 'risk' in rule.when) {
      problems.push({
        message: 'a risk rule cannot test `risk` (it is what risk rules compute)',
        place: doc.placeOfKey([...at, 'when'], 'risk'),
      });
      return;
    }
    const target = compileTarget(doc, [...at], key, rule, problems);
    if (target) riskRules.push({ ...target, level: rule.level, document: compiled });
  });
  return compiled;
}

function compileTarget(
  doc: SourceDocument,
  at: (string | number)[],
  key: string,
  rule: {
    action?: string | undefined;
    resource?: string | undefined;
    when?: Record<string, unknown> | undefined;
    reason?: string | undefined;
  },
  problems: Problem[],
): CompiledTarget | undefined {
  const before = problems.length;
  const action = rule.action ?? '**';
  const resource = rule.resource ?? '**';
  let actionTest: GlobTest = () => false;
  let resourceTest: GlobTest | undefined;
  if (!/^[A-Za-z0-9_*{},:-]+(\.[A-Za-z0-9_*{},:-]+)*$/.test(action)) {
    problems.push({
      message: `action pattern \`${action}\` must be dotted names or globs, e.g. \`hr.*.read\``,
      place: doc.placeOf([...at, 'action']),
    });
  } else {
    try {
      actionTest = compileActionGlob(action);
    } catch (e) {
      problems.push({
        message: `action pattern \`${action}\` is not a valid glob: ${(e as Error).message}`,
        place: doc.placeOf([...at, 'action']),
      });
    }
  }
  if (rule.resource !== undefined) {
    try {
      resourceTest = compileResourceGlob(resource);
    } catch (e) {
      problems.push({
        message: `resource pattern \`${resource}\` is not a valid glob: ${(e as Error).message}`,
        place: doc.placeOf([...at, 'resource']),
      });
    }
  }
  const clauses: Clause[] = [];
  for (const [path, spec] of Object.entries(rule.when ?? {})) {
    const c = compileClause(path, spec);
    if (Array.isArray(c)) {
      for (const p of c) {
        const place = p.operator
          ? doc.placeOfKey([...at, 'when', path], p.operator)
          : doc.placeOfKey([...at, 'when'], path);
        problems.push({ message: p.message, place });
      }
    } else clauses.push(c);
  }
  if (problems.length > before) return undefined;
  return {
    key,
    action,
    resource,
    actionTest,
    resourceTest,
    clauses,
    reason: rule.reason,
    place: doc.placeOf(at),
  };
}

function compileApproval(
  doc: SourceDocument,
  at: (string | number)[],
  data:
    | {
        route: string;
        levels?: number | undefined;
        quorum?: number | string | undefined;
        timeout?: string | undefined;
      }
    | undefined,
  rule: string,
  problems: Problem[],
): ApprovalSpec {
  if (!data) return { ...DEFAULT_APPROVAL, rule };
  let quorum = 1;
  let of: number | undefined;
  if (typeof data.quorum === 'number') quorum = data.quorum;
  else if (typeof data.quorum === 'string') {
    const m = /^\s*(\d+)\s+of\s+(\d+)\s*$/.exec(data.quorum);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) {
      problems.push({
        message: `quorum \`${data.quorum}\` must be a number or \`N of M\` with 1 ≤ N ≤ M`,
        place: doc.placeOf([...at, 'quorum']),
      });
    } else {
      quorum = Number(m[1]);
      of = Number(m[2]);
    }
  }
  let timeoutMs: number = DEFAULT_APPROVAL.timeoutMs;
  if (data.timeout !== undefined) {
    const ms = parseDuration(data.timeout);
    if (ms === undefined || ms <= 0) {
      problems.push({
        message: `timeout \`${data.timeout}\` must be a duration such as \`30m\`, \`4h\` or \`2d\``,
        place: doc.placeOf([...at, 'timeout']),
      });
    } else timeoutMs = ms;
  }
  return {
    route: data.route,
    levels: data.levels ?? 1,
    quorum,
    ...(of === undefined ? {} : { of }),
    timeoutMs,
    rule,
  };
}

/**
 * Scopes that name a department, role or agent the organisation does not have: almost always a typo.
 * `policy lint --org` reports them; the engine still loads (an org change must not unload policy).
 */
export function scopeProblems(set: PolicySet, org: Org): Problem[] {
  const problems: Problem[] = [];
  const roles = new Set<string>();
  for (const a of org.agents.values()) if (a.role !== undefined) roles.add(a.role);
  for (const d of set.documents) checkScope(d.source, d.scope, org, roles, problems);
  return problems;
}

function checkScope(
  doc: SourceDocument,
  scope: ScopeData,
  org: Org,
  roles: ReadonlySet<string>,
  problems: Problem[],
): void {
  if ('org' in scope) return;
  if (scope.department !== undefined && !org.departments.has(scope.department)) {
    problems.push({
      message: `scope names department \`${scope.department}\`, which is not in the organisation`,
      place: doc.placeOf(['scope', 'department']),
    });
  }
  if (scope.agent !== undefined && !org.agents.has(scope.agent)) {
    problems.push({
      message: `scope names agent \`${scope.agent}\`, which is not in the organisation`,
      place: doc.placeOf(['scope', 'agent']),
    });
  }
  if (scope.role !== undefined && !roles.has(scope.role)) {
    problems.push({
      message: `scope names role \`${scope.role}\`, which no agent has`,
      place: doc.placeOf(['scope', 'role']),
    });
  }
}
