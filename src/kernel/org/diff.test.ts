import { describe, expect, it } from 'vitest';
import { buildOrg } from './build.js';
import { diffOrgs } from './diff.js';
import type { OrgData } from './data.js';

const base: OrgData = {
  name: 'acme',
  departments: [
    { id: 'hr', name: 'HR', approvers: ['dana@a.test'] },
    { id: 'it', name: 'IT' },
  ],
  people: [
    { id: 'dana@a.test', name: 'Dana' },
    { id: 'gina@a.test', name: 'Gina', manager: 'dana@a.test' },
  ],
  agents: [{ id: 'bot', owner: 'gina@a.test', department: 'hr', autonomy: 2 }],
};

describe('diffOrgs', () => {
  it('is empty for the same org', () => {
    expect(diffOrgs(buildOrg(base), buildOrg(base))).toEqual([]);
  });

  it('names what was added, removed and changed, field by field', () => {
    const after = buildOrg({
      ...base,
      departments: [
        { id: 'hr', name: 'HR', approvers: ['dana@a.test', 'gina@a.test'] },
        { id: 'ops', name: 'Ops' },
      ],
      people: [
        { id: 'dana@a.test', name: 'Dana' },
        { id: 'gina@a.test', name: 'Gina B' },
      ],
      agents: [{ id: 'bot', owner: 'dana@a.test', department: 'ops', autonomy: 3 }],
    });
    expect(diffOrgs(buildOrg(base), after)).toEqual([
      {
        kind: 'department',
        id: 'hr',
        change: 'changed',
        fields: ['approvers: [dana@a.test] → [dana@a.test, gina@a.test]'],
      },
      { kind: 'department', id: 'it', change: 'removed', fields: [] },
      { kind: 'department', id: 'ops', change: 'added', fields: [] },
      {
        kind: 'person',
        id: 'gina@a.test',
        change: 'changed',
        fields: ['manager: dana@a.test → (none)', 'name: Gina → Gina B'],
      },
      {
        kind: 'agent',
        id: 'bot',
        change: 'changed',
        fields: ['autonomy: 2 → 3', 'department: hr → ops', 'owner: gina@a.test → dana@a.test'],
      },
    ]);
  });
});
