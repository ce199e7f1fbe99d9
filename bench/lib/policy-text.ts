/**
 * Writes a policy model as Agent OS YAML documents and as Cedar policies.
 *
 * Cedar mapping (see bench/results/policy.md):
 * - `deny` → `forbid`; `allow` → `permit` with id `allow:<key>`; `require_approval` → `permit` with id
 *   `approve:<key>`. Cedar's answer is mapped back: `deny` → deny; `allow` whose determining policies include
 *   an `approve:` permit → require_approval; else allow (then autonomy 1 → require_approval, as Agent OS does).
 * - scope `department: d` → `principal in Department::"d"` (agents are children of their department,
 *   departments of their parent, so Cedar's `in` gives the same inheritance); `role: r` → `principal.role == "r"`.
 * - action globs → `action in [Action::"…", …]`, the action names of the universe the glob matches.
 * - resource `/svc/eu/**` → `context.resource like "/svc/eu/*"`; `args.x` → `context.x` guarded by `has`.
 */
import type { PolicySource } from '../../src/kernel/policy/compile.js';
import type { Condition, DocSpec, PolicyModel, RuleSpec } from './policy-model.js';

/** The Agent OS sources: one YAML file per document (a directory of department files, as people write them). */
export function toYamlSources(model: PolicyModel): PolicySource[] {
  return model.docs.map((d) => ({ file: `${d.name}.yaml`, text: docYaml(d) }));
}

function docYaml(d: DocSpec): string {
  const scope =
    'org' in d.scope
      ? '{ org: true }'
      : `{ ${[
          d.scope.department && `department: ${d.scope.department}`,
          d.scope.role && `role: ${d.scope.role}`,
        ]
          .filter(Boolean)
          .join(', ')} }`;
  const lines = [
    'apiVersion: agentos/v1',
    'kind: Policy',
    `metadata: { name: ${d.name} }`,
    `scope: ${scope}`,
    'rules:',
  ];
  for (const r of d.rules) {
    lines.push(`  - id: ${r.id}`, `    effect: ${r.effect}`, `    action: ${JSON.stringify(r.action)}`);
    if (r.resource) lines.push(`    resource: ${JSON.stringify(r.resource.glob)}`);
    if (r.when.length > 0) lines.push(`    when: { ${r.when.map(yamlCondition).join(', ')} }`);
    if (r.effect === 'require_approval')
      lines.push('    approval: { route: manager, levels: 1, timeout: 4h }');
    if (r.effect === 'deny') lines.push(`    reason: ${JSON.stringify(`generated deny ${d.name}/${r.id}`)}`);
  }
  return lines.join('\n') + '\n';
}

function yamlCondition(c: Condition): string {
  const path = `args.${c.field}`;
  if (c.op === 'eq') return `${path}: ${JSON.stringify(c.value)}`;
  return `${path}: { ${c.op}: ${JSON.stringify(c.value)} }`;
}

/** Prefix of the Cedar policy id of an Agent OS rule, by effect. */
export const CEDAR_PREFIX = { allow: 'allow:', deny: 'deny:', require_approval: 'approve:' } as const;

/** The Cedar policies, keyed by id (`allow:dept-hr/r3`). */
export function toCedar(model: PolicyModel): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of model.docs)
    for (const r of d.rules) out[CEDAR_PREFIX[r.effect] + `${d.name}/${r.id}`] = cedarRule(d, r);
  return out;
}

function cedarRule(d: DocSpec, r: RuleSpec): string {
  const principal =
    'org' in d.scope || d.scope.department === undefined
      ? 'principal'
      : `principal in Department::${JSON.stringify(d.scope.department)}`;
  const action =
    r.actions.length === 1
      ? `action == Action::${JSON.stringify(r.actions[0])}`
      : `action in [${r.actions.map((a) => `Action::${JSON.stringify(a)}`).join(', ')}]`;
  const conditions: string[] = [];
  if (!('org' in d.scope) && d.scope.role !== undefined)
    conditions.push(`principal.role == ${JSON.stringify(d.scope.role)}`);
  if (r.resource) conditions.push(`context.resource like ${JSON.stringify(r.resource.prefix + '*')}`);
  for (const c of r.when) conditions.push(cedarCondition(c));
  const effect = r.effect === 'deny' ? 'forbid' : 'permit';
  const when = conditions.length > 0 ? `\nwhen { ${conditions.join(' && ')} }` : '';
  return `${effect} (${principal}, ${action}, resource)${when};`;
}

function cedarCondition(c: Condition): string {
  const v = `context.${c.field}`;
  const has = `context has ${c.field}`;
  switch (c.op) {
    case 'eq':
      return `(${has} && ${v} == ${JSON.stringify(c.value)})`;
    case 'ne':
      return `(!(${has}) || ${v} != ${JSON.stringify(c.value)})`;
    case 'gt':
      return `(${has} && ${v} > ${c.value})`;
    case 'lte':
      return `(${has} && ${v} <= ${c.value})`;
    case 'in':
      return `(${has} && ${JSON.stringify(c.value)}.contains(${v}))`;
  }
}
