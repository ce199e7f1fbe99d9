/**
 * What changed between two versions of the org, as lines a person reads before applying it
 * (`agentos org apply`): departments, people and agents added, removed or changed, field by field.
 */
import type { Org } from './model.js';

/** One change. */
export interface OrgChange {
  readonly kind: 'department' | 'person' | 'agent';
  readonly id: string;
  readonly change: 'added' | 'removed' | 'changed';
  /** For `changed`: `field: before → after`, one per field. */
  readonly fields: readonly string[];
}

const show = (v: unknown): string =>
  v === undefined
    ? '(none)'
    : Array.isArray(v)
      ? `[${v.join(', ')}]`
      : typeof v === 'object' && v !== null
        ? JSON.stringify(v)
        : String(v);

function fieldChanges(before: object, after: object): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const out: string[] = [];
  for (const k of [...keys].sort()) {
    const a = (before as Record<string, unknown>)[k];
    const b = (after as Record<string, unknown>)[k];
    if (show(a) !== show(b)) out.push(`${k}: ${show(a)} → ${show(b)}`);
  }
  return out;
}

function diffMap<T extends object>(
  kind: OrgChange['kind'],
  before: ReadonlyMap<string, T>,
  after: ReadonlyMap<string, T>,
): OrgChange[] {
  const out: OrgChange[] = [];
  for (const [id, b] of before) {
    const a = after.get(id);
    if (!a) out.push({ kind, id, change: 'removed', fields: [] });
    else {
      const fields = fieldChanges(b, a);
      if (fields.length > 0) out.push({ kind, id, change: 'changed', fields });
    }
  }
  for (const id of after.keys()) if (!before.has(id)) out.push({ kind, id, change: 'added', fields: [] });
  return out;
}

/** The changes from `before` to `after`: departments, then people, then agents. */
export function diffOrgs(before: Org, after: Org): OrgChange[] {
  return [
    ...diffMap('department', before.departments, after.departments),
    ...diffMap('person', before.people, after.people),
    ...diffMap('agent', before.agents, after.agents),
  ];
}
