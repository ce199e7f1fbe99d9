/**
 * A generated policy set as an engine-neutral model, from which both the Agent OS YAML and the Cedar
 * policies are written, so the two engines are given the same rules.
 *
 * Mix (for n rules): ~10% deny (mostly org-wide, on classifier-free `args`), ~15% require_approval on
 * exact actions with a numeric condition, the rest allow: department-scoped (exact actions, `svc.*.verb`,
 * `svc.object.*`, `{a,b}.*.list`, `svc.**`), some role-scoped, some with a resource glob or an `args`
 * condition. About 300 action names, so most rules are irrelevant to any one request.
 */
import type { GeneratedOrg } from './org.js';
import { ROLES } from './org.js';
import { Rng } from './random.js';

const SERVICES = [
  'crm',
  'hr',
  'billing',
  'payments',
  'tickets',
  'docs',
  'wiki',
  'calendar',
  'mail',
  'chat',
  'inventory',
  'shipping',
  'analytics',
  'marketing',
  'legal',
];
const OBJECTS = ['account', 'contact', 'invoice', 'report', 'ticket', 'document', 'order', 'campaign'];
const VERBS = ['read', 'list', 'create', 'update', 'delete'];
/** Regions used in resources (`/crm/eu/contact/17`) and in `args.region`. */
export const REGIONS = ['eu', 'us', 'apac', 'latam'];

/** Every action name the generator uses: `service.object.verb`, 15 × 4 × 5 = 300. */
export function actionUniverse(): { actions: string[]; objectsOf: Map<string, string[]> } {
  const rng = new Rng(7);
  const actions: string[] = [];
  const objectsOf = new Map<string, string[]>();
  for (const s of SERVICES) {
    const objects = [...OBJECTS].sort(() => rng.next() - 0.5).slice(0, 4);
    objectsOf.set(s, objects);
    for (const o of objects) for (const v of VERBS) actions.push(`${s}.${o}.${v}`);
  }
  return { actions, objectsOf };
}

/** One `when` condition on an `args` field. */
export type Condition =
  | { readonly field: string; readonly op: 'eq' | 'ne'; readonly value: string }
  | { readonly field: string; readonly op: 'gt' | 'lte'; readonly value: number }
  | { readonly field: string; readonly op: 'in'; readonly value: readonly string[] };

/** A rule, engine-neutral. */
export interface RuleSpec {
  readonly id: string;
  readonly effect: 'allow' | 'deny' | 'require_approval';
  /** The Agent OS action glob or name. */
  readonly action: string;
  /** The action names of the universe it matches (what Cedar is given). */
  readonly actions: readonly string[];
  /** `/svc/region/**`: a resource prefix glob; `prefix` is `/svc/region/`. */
  readonly resource?: { readonly glob: string; readonly prefix: string } | undefined;
  readonly when: readonly Condition[];
}

/** A document's scope. */
export type ScopeSpec = { readonly org: true } | { readonly department?: string; readonly role?: string };

/** A policy document, engine-neutral. */
export interface DocSpec {
  readonly name: string;
  readonly scope: ScopeSpec;
  readonly rules: RuleSpec[];
}

/** A generated policy set. */
export interface PolicyModel {
  readonly docs: readonly DocSpec[];
  readonly ruleCount: number;
  readonly actions: readonly string[];
}

/** Generates `n` rules over the org's departments and roles. */
export function generatePolicies(n: number, org: GeneratedOrg, seed = 1234): PolicyModel {
  const rng = new Rng(seed + n);
  const { actions, objectsOf } = actionUniverse();
  const docs = new Map<string, DocSpec>();
  const docFor = (scope: ScopeSpec): DocSpec => {
    const key =
      'org' in scope
        ? 'org-baseline'
        : ['dept', scope.department, 'role', scope.role].filter(Boolean).join('-');
    let doc = docs.get(key);
    if (!doc) {
      doc = { name: key, scope, rules: [] };
      docs.set(key, doc);
    }
    return doc;
  };
  const add = (scope: ScopeSpec, rule: Omit<RuleSpec, 'id'>): void => {
    const doc = docFor(scope);
    doc.rules.push({ ...rule, id: `r${doc.rules.length + 1}` });
  };
  const match = (re: RegExp): string[] => actions.filter((a) => re.test(a));
  const dept = (): string => rng.pick(org.departments);
  const nDeny = Math.max(1, Math.round(n * 0.1));
  const nApproval = Math.max(1, Math.round(n * 0.15));
  const nAllow = n - nDeny - nApproval;

  for (let i = 0; i < nDeny; i++) {
    const s = rng.pick(SERVICES);
    const scope: ScopeSpec = i < 3 || rng.chance(0.7) ? { org: true } : { department: dept() };
    const kind = i % 3;
    if (i === 0) {
      add(scope, {
        effect: 'deny',
        action: '*.*.delete',
        actions: match(/\.delete$/),
        when: [cond('env', 'eq', 'prod')],
      });
    } else if (kind === 0) {
      add(scope, {
        effect: 'deny',
        action: `${s}.*.delete`,
        actions: match(new RegExp(`^${s}\\.[^.]+\\.delete$`)),
        when: [cond('env', 'eq', 'prod')],
      });
    } else if (kind === 1) {
      add(scope, {
        effect: 'deny',
        action: `${s}.**`,
        actions: match(new RegExp(`^${s}\\.`)),
        when: [{ field: 'records', op: 'gt', value: rng.pick([10_000, 50_000, 100_000]) }],
      });
    } else {
      const o = rng.pick(objectsOf.get(s) ?? []);
      const region = rng.pick(REGIONS);
      add(scope, {
        effect: 'deny',
        action: `${s}.${o}.*`,
        actions: match(new RegExp(`^${s}\\.${o}\\.`)),
        resource: { glob: `/${s}/${region}/**`, prefix: `/${s}/${region}/` },
        when: [cond('classification', 'eq', 'restricted')],
      });
    }
  }

  const writes = actions.filter((a) => /\.(create|update)$/.test(a));
  for (let i = 0; i < nApproval; i++) {
    const action = rng.pick(writes);
    const scope: ScopeSpec = rng.chance(0.3) ? { org: true } : { department: dept() };
    add(scope, {
      effect: 'require_approval',
      action,
      actions: [action],
      when: [{ field: 'amount', op: 'gt', value: rng.pick([1000, 5000, 10_000, 50_000]) }],
    });
  }

  for (let i = 0; i < nAllow; i++) {
    const r = rng.next();
    const scope: ScopeSpec =
      r < 0.85
        ? { department: dept() }
        : r < 0.95
          ? { role: rng.pick(ROLES) }
          : {
              department: rng.pick(org.departments.filter((d) => (org.depthOf.get(d) ?? 0) <= 1)),
              role: rng.pick(ROLES),
            };
    const s = rng.pick(SERVICES);
    const objects = objectsOf.get(s) ?? [];
    const k = rng.next();
    let action: string;
    let matched: string[];
    if (k < 0.6) {
      action = rng.pick(actions);
      matched = [action];
    } else if (k < 0.75) {
      const v = rng.pick(['read', 'list']);
      action = `${s}.*.${v}`;
      matched = match(new RegExp(`^${s}\\.[^.]+\\.${v}$`));
    } else if (k < 0.9) {
      const o = rng.pick(objects);
      action = `${s}.${o}.*`;
      matched = match(new RegExp(`^${s}\\.${o}\\.`));
    } else if (k < 0.95) {
      const t = rng.pick(SERVICES.filter((x) => x !== s));
      action = `{${s},${t}}.*.list`;
      matched = match(new RegExp(`^(${s}|${t})\\.[^.]+\\.list$`));
    } else {
      action = `${s}.**`;
      matched = match(new RegExp(`^${s}\\.`));
    }
    const svc = (matched[0] ?? s).split('.')[0] ?? s;
    const region = rng.pick(REGIONS);
    const resource =
      rng.chance(0.1) && !action.startsWith('{')
        ? { glob: `/${svc}/${region}/**`, prefix: `/${svc}/${region}/` }
        : undefined;
    const c = rng.next();
    const when: Condition[] =
      c < 0.2
        ? [{ field: 'region', op: 'in', value: [region, rng.pick(REGIONS.filter((x) => x !== region))] }]
        : c < 0.3
          ? [{ field: 'records', op: 'lte', value: 1000 }]
          : c < 0.35
            ? [cond('env', 'ne', 'prod')]
            : [];
    add(scope, { effect: 'allow', action, actions: matched, resource, when });
  }
  const list = [...docs.values()];
  return { docs: list, ruleCount: list.reduce((s, d) => s + d.rules.length, 0), actions };
}

function cond(field: string, op: 'eq' | 'ne', value: string): Condition {
  return { field, op, value };
}
