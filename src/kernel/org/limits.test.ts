import { describe, expect, it } from 'vitest';
import { isAgentOsError } from '../errors.js';
import { buildOrg } from './build.js';
import type { OrgData } from './data.js';
import { diffOrgs } from './diff.js';
import { budgetsOf, DEFAULT_SANDBOX, enforcementSatisfies, parseSize, sandboxLimitsOf } from './limits.js';
import { parseOrg } from './load.js';

const base: OrgData = {
  name: 'acme',
  departments: [
    { id: 'eng', name: 'Engineering', sandbox: { memory: 2 * 1024 ** 3, enforcement: 'partial' } },
    { id: 'eng.ml', name: 'ML', parent: 'eng', sandbox: { pids: 64 }, budget: { llmTokensPerDay: 5000 } },
    { id: 'ops', name: 'Ops' },
  ],
  people: [{ id: 'dana@acme.test', name: 'Dana' }],
  agents: [
    { id: 'trainer', owner: 'dana@acme.test', department: 'eng.ml', autonomy: 2, sandbox: { cpu: 0.5 } },
    {
      id: 'tuner',
      owner: 'dana@acme.test',
      department: 'eng.ml',
      autonomy: 2,
      sandbox: { memory: 256 * 1024 ** 2 },
      budget: { llmTokensPerDay: 100 },
    },
    { id: 'pager', owner: 'dana@acme.test', department: 'ops', autonomy: 1 },
  ],
};

describe('sandbox limits', () => {
  it('take each setting from the agent, else the nearest department, else the default', () => {
    const org = buildOrg(base);
    expect(sandboxLimitsOf(org, 'trainer')).toEqual({
      memory: 2 * 1024 ** 3,
      pids: 64,
      cpu: 0.5,
      enforcement: 'partial',
    });
    expect(sandboxLimitsOf(org, 'tuner').memory).toBe(256 * 1024 ** 2);
    expect(sandboxLimitsOf(org, 'pager')).toEqual(DEFAULT_SANDBOX);
    expect(sandboxLimitsOf(org, 'nobody')).toEqual(DEFAULT_SANDBOX);
  });

  it('follow the org: moving an agent changes its limits, and the diff shows it', () => {
    const before = buildOrg(base);
    const moved = buildOrg({
      ...base,
      agents: base.agents?.map((a) => (a.id === 'pager' ? { ...a, department: 'eng' } : a)),
    });
    expect(sandboxLimitsOf(moved, 'pager').enforcement).toBe('partial');
    const tightened = buildOrg({
      ...base,
      agents: base.agents?.map((a) => (a.id === 'trainer' ? { ...a, sandbox: { cpu: 1 } } : a)),
    });
    expect(diffOrgs(before, tightened)).toEqual([
      { kind: 'agent', id: 'trainer', change: 'changed', fields: ['sandbox: {"cpu":0.5} → {"cpu":1}'] },
    ]);
  });
});

describe('token budgets', () => {
  it("are the agent's own, then every department's up the tree", () => {
    const org = buildOrg(base);
    expect(budgetsOf(org, 'tuner')).toEqual([
      { scope: 'agent', id: 'tuner', llmTokensPerDay: 100 },
      { scope: 'department', id: 'eng.ml', llmTokensPerDay: 5000 },
    ]);
    expect(budgetsOf(org, 'trainer')).toEqual([{ scope: 'department', id: 'eng.ml', llmTokensPerDay: 5000 }]);
    expect(budgetsOf(org, 'pager')).toEqual([]);
  });
});

describe('enforcement levels', () => {
  it('are ordered: a stronger machine satisfies a weaker requirement, never the reverse', () => {
    expect(enforcementSatisfies('os-enforced', 'partial')).toBe(true);
    expect(enforcementSatisfies('os-enforced', 'os-enforced')).toBe(true);
    expect(enforcementSatisfies('partial', 'os-enforced')).toBe(false);
    expect(enforcementSatisfies('advisory', 'partial')).toBe(false);
    expect(enforcementSatisfies('advisory', 'advisory')).toBe(true);
  });
});

describe('sizes', () => {
  it('parse binary and decimal units and plain bytes', () => {
    expect(parseSize('512MiB')).toBe(512 * 1024 ** 2);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('2g')).toBe(2e9);
    expect(parseSize('1.5 KiB')).toBe(1536);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('lots')).toBeUndefined();
    expect(parseSize('1TiB-ish')).toBeUndefined();
    expect(parseSize('-1GiB')).toBeUndefined();
  });
});

describe('org.yaml', () => {
  const yaml = (agentSandbox: string) => `apiVersion: agentos/v1
kind: Organization
metadata: { name: acme }
departments:
  - id: eng
    name: Engineering
    sandbox: { memory: 2GiB, pids: 128 }
    budget: { llmTokensPerDay: 1000000 }
people:
  - { id: dana@acme.test, name: Dana }
agents:
  - id: coder
    owner: dana@acme.test
    department: eng
    autonomy: 2
    sandbox: ${agentSandbox}
`;

  it('reads sandbox and budget settings, sizes with units', () => {
    const org = parseOrg(yaml('{ memory: 512MiB, enforcement: os-enforced }'), 'org.yaml');
    expect(sandboxLimitsOf(org, 'coder')).toEqual({
      memory: 512 * 1024 ** 2,
      pids: 128,
      cpu: undefined,
      enforcement: 'os-enforced',
    });
    expect(budgetsOf(org, 'coder')).toEqual([{ scope: 'department', id: 'eng', llmTokensPerDay: 1_000_000 }]);
  });

  it('refuses bad settings at their place, every one at once', () => {
    try {
      parseOrg(yaml('{ memory: lots, pids: 0, enforcement: strict, swap: 1 }'), 'org.yaml');
      expect.unreachable();
    } catch (e) {
      expect(isAgentOsError(e) && e.code).toBe('AOS_ORG_INVALID');
      const problems = isAgentOsError(e) ? e.problems : [];
      expect(problems.map((p) => p.place?.line)).toEqual([16, 16, 16, 16]);
      const text = problems.map((p) => p.message).join('\n');
      expect(text).toMatch(/size like `512MiB`/);
      expect(text).toMatch(/enforcement/);
      expect(text).toMatch(/swap/);
    }
  });
});
