import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatProblem, isAgentOsError } from '../errors.js';
import { compilePolicies } from './compile.js';

function problems(text: string, file = 'p.yaml'): string[] {
  try {
    compilePolicies([{ file, text }]);
  } catch (e) {
    if (isAgentOsError(e)) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

const head = `apiVersion: agentos/v1
kind: Policy
metadata: { name: p }
scope: { org: true }
`;

describe('compilePolicies', () => {
  it('compiles a valid document with rules and risk rules', () => {
    const set = compilePolicies([
      {
        file: 'p.yaml',
        text:
          head +
          `rules:
  - id: r1
    effect: require_approval
    action: payments.transfer
    when: { args.amount: { gt: 10000 } }
    approval: { route: manager, levels: 2, quorum: "2 of 3", timeout: 1h30m }
risk:
  - { action: payroll.update, when: { args.amount: { gt: 10000 } }, level: high }
`,
      },
    ]);
    const doc = set.documents[0];
    expect(doc?.name).toBe('p');
    expect(doc?.rules[0]?.key).toBe('p/r1');
    expect(doc?.rules[0]?.approval).toEqual({
      route: 'manager',
      levels: 2,
      quorum: 2,
      of: 3,
      timeoutMs: 5_400_000,
      rule: 'p/r1',
    });
    expect(doc?.riskRules[0]?.key).toBe('p/risk[0]');
    expect(doc?.riskRules[0]?.level).toBe('high');
  });

  it('reports every problem at once, each at its place', () => {
    const text =
      head +
      `rules:
  - id: r1
    efect: allow
  - id: r2
    effect: permit
  - id: r3
    effect: allow
    when: { args.amount: { gt: ten }, bogus.x: 1 }
  - id: r3
    effect: deny
    approval: { route: manager }
`;
    expect(problems(text)).toEqual([
      'p.yaml:6:5: missing required field `effect` in `rules[0]`',
      'p.yaml:7:5: unknown field `efect` in `rules[0]`',
      'p.yaml:9:13: `rules[1].effect` must be one of allow, deny, require_approval, got `permit`',
    ]);
    // schema problems stop compilation of that document; fix them and the meaning problems show
    const text2 =
      head +
      `rules:
  - id: r3
    effect: allow
    when: { args.amount: { gt: ten }, bogus.x: 1 }
  - id: r3
    effect: deny
    approval: { route: manager }
    constraints: [redact]
  - id: r4
    effect: require_approval
    action: "a..b"
    approval: { route: manager, timeout: soon, quorum: "3 of 2" }
`;
    expect(problems(text2)).toEqual([
      'p.yaml:8:28: `gt` for `args.amount` needs a number',
      'p.yaml:8:39: unknown path `bogus.x`: use `args.*`, `context.*`, `agent.*`, `action`, `resource`, `risk` or a classifier fact (sql.*, shell.*, path.*, url.*, mcp.*, llm.*, http.*, file.*)',
      'p.yaml:9:9: rule id `r3` is already used by rules[0]',
      'p.yaml:11:15: rule `r3` has an `approval` block but its effect is `deny`',
      'p.yaml:12:18: rule `r3` has `constraints` but only `allow` rules carry them',
      'p.yaml:15:13: action pattern `a..b` must be dotted names or globs, e.g. `hr.*.read`',
      'p.yaml:16:56: quorum `3 of 2` must be a number or `N of M` with 1 ≤ N ≤ M',
      'p.yaml:16:42: timeout `soon` must be a duration such as `30m`, `4h` or `2d`',
    ]);
  });

  it('checks the header and scope', () => {
    expect(problems('apiVersion: agentos/v2\nkind: Policy\nmetadata: { name: p }\nscope: {}\n')).toEqual([
      'p.yaml:1:13: `apiVersion` must be one of agentos/v1, got `agentos/v2`',
      'p.yaml:4:8: `scope`: needs `org: true`, or one or more of `department`, `role`, `agent`',
    ]);
  });

  it('reports YAML syntax errors with places', () => {
    const out = problems('apiVersion: agentos/v1\nkind: Policy\nmetadata: { name: p\n');
    expect(out.length).toBeGreaterThan(0);
    expect(out[0]).toMatch(/^p\.yaml:\d+:\d+: yaml: /);
    expect(problems('a: 1\na: 2\n')[0]).toMatch(/^p\.yaml:2:1: yaml: map keys must be unique/);
  });

  it('rejects duplicate policy names across files and empty files', () => {
    try {
      compilePolicies([
        { file: 'a.yaml', text: head },
        { file: 'b.yaml', text: head },
        { file: 'c.yaml', text: '# nothing\n' },
      ]);
      expect.unreachable();
    } catch (e) {
      expect(isAgentOsError(e) && e.code).toBe('AOS_POLICY_INVALID');
      if (!isAgentOsError(e)) throw e;
      expect(e.problems.map(formatProblem)).toEqual([
        'b.yaml:3:19: policy name `p` is already used at a.yaml:3:19',
        'c.yaml:1:1: no policy document in this file',
      ]);
    }
  });

  it('refuses a risk rule that tests risk', () => {
    expect(problems(head + 'risk:\n  - { when: { risk: high }, level: critical }\n')).toEqual([
      'p.yaml:6:15: a risk rule cannot test `risk` (it is what risk rules compute)',
    ]);
  });

  it('never throws anything but a coded error, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => head + 'rules: ' + JSON.stringify(v)),
        ),
        (text) => {
          try {
            compilePolicies([{ file: 'f.yaml', text }]);
          } catch (e) {
            expect(isAgentOsError(e)).toBe(true);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
