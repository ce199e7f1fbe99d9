import { describe, expect, it } from 'vitest';
import { parseOrg } from '../org/load.js';
import { compilePolicies } from '../policy/compile.js';
import { PolicyEngine } from '../policy/engine.js';
import type { ActionRequest } from '../types.js';

// A policy that allows by resource glob and has no `path.error` / `url.error` / critical deny rule: what a
// raw resource would have let through when the classifier could not vouch for it.
const org = parseOrg(
  `apiVersion: agentos/v1
kind: Organization
metadata: { name: t }
departments: [{ id: eng, name: Eng }]
people: [{ id: p@t.test, name: P, department: eng }]
agents: [{ id: bot, owner: p@t.test, department: eng, autonomy: 3 }]
`,
  'org.yaml',
);
const policies = compilePolicies([
  {
    file: 'p.yaml',
    text: `apiVersion: agentos/v1
kind: Policy
metadata: { name: p }
scope: { org: true }
rules:
  - { id: write-workspace, effect: allow, action: "file.*", resource: "/workspace/**" }
  - { id: partner, effect: allow, action: "http.*", resource: "https://api.example.com/**" }
`,
  },
]);
let n = 0;
const engine = new PolicyEngine(policies, org, { ids: { next: (prefix) => `${prefix}_${++n}` } });
const decide = (request: Omit<ActionRequest, 'agent'>) => engine.decide({ agent: 'bot', ...request });

describe('a path or url the classifier cannot vouch for has no resource to match', () => {
  it.each([
    [
      'a resource and args.path that disagree',
      { resource: '/workspace/safe', args: { path: '/etc/passwd' } },
    ],
    ['a nul byte', { resource: '/workspace/a\0/../../etc/passwd' }],
    ['a path that is not a string', { resource: '/workspace/x', args: { path: ['/etc/passwd'] } }],
  ])('denies file.write with %s, even at autonomy 3', (_label, request) => {
    const d = decide({ action: 'file.write', ...request });
    expect(d.effect).toBe('deny');
    expect(d.risk).toBe('critical');
    expect(d.rules).toEqual([]);
  });

  it.each([
    ['a resource and args.url that disagree', { resource: 'https://api.example.com/x', args: { url: 'http://169.254.169.254/' } }],
    ['a url that does not parse', { resource: 'https://api.example.com/x', args: { url: 'http://[::g]/' } }],
  ])('denies http.get with %s', (_label, request) => {
    const d = decide({ action: 'http.get', ...request });
    expect(d.effect).toBe('deny');
    expect(d.risk).toBe('critical');
  }); // prettier-ignore

  it('still allows what it can vouch for', () => {
    expect(
      decide({ action: 'file.write', resource: '/workspace/a', args: { path: '/workspace/./a' } }).effect,
    ).toBe('allow');
    expect(decide({ action: 'http.get', resource: 'https://api.example.com/x' }).effect).toBe('allow');
  });

  it('shows the empty resource in the explanation', () => {
    const e = engine.explain({
      agent: 'bot',
      action: 'file.write',
      resource: '/workspace/safe',
      args: { path: '/etc/passwd' },
    });
    expect(e.classification.resource).toBe('');
  });
});
