/**
 * Conformance for error codes: each invalid input yields its code and every problem at its place,
 * through the same loaders the CLI uses. (AOS_INTERNAL is a bug by definition and cannot be provoked by
 * input; the CLI's exit-code mapping of every code is covered by test/e2e/cli.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblem, isAgentOsError } from '../../../src/kernel/errors.js';
import { parseOrg } from '../../../src/kernel/org/load.js';
import { compilePolicies } from '../../../src/kernel/policy/compile.js';
import { parseActionRequest } from '../../../src/kernel/policy/request.js';
import { parsePolicyTestFile } from '../../../src/kernel/policy/test-file.js';
import { loadPolicySet, runPolicyTests } from '../../../src/governor/policy-workspace.js';
import { offlinePorts } from '../../../src/root.js';

const dir = fileURLToPath(new URL('./fixtures/', import.meta.url));
const read = (name: string) => readFileSync(dir + name, 'utf8');

async function failure(run: () => unknown): Promise<{ code: string; problems: string[]; message: string }> {
  try {
    await run();
  } catch (e) {
    if (!isAgentOsError(e)) throw e;
    return { code: e.code, problems: e.problems.map(formatProblem), message: e.message };
  }
  throw new Error('expected an error');
}

describe('error codes', () => {
  it('AOS_ORG_INVALID: every problem of an organisation at once, each at its place', async () => {
    const f = await failure(() => parseOrg(read('org-invalid.yaml'), 'org-invalid.yaml'));
    expect(f.code).toBe('AOS_ORG_INVALID');
    expect(f.problems).toEqual([
      'org-invalid.yaml:5:31: department cycle: `a` → `b` → `a`',
      'org-invalid.yaml:7:11: department `a` is defined more than once (see line 5)',
      'org-invalid.yaml:9:54: person `p@x.test` names manager `ghost@x.test`, who is not in people',
      'org-invalid.yaml:10:39: person `q@x.test` is their own manager',
      'org-invalid.yaml:12:45: agent `bot` names department `nowhere`, which is not in departments',
      'org-invalid.yaml:12:64: `agents[0].autonomy` must be one of 0, 1, 2, 3, got `7`',
      'org-invalid.yaml:13:11: `agents[1].id`: must be lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit, got `Bad_Bot`',
      'org-invalid.yaml:13:65: unknown field `colour` in `agents[1]`',
    ]);
    expect(f.message).toMatch(/\(and 7 more\)$/);
  });

  it('AOS_YAML_SYNTAX: an org, a policy or a test file that is not well-formed YAML', async () => {
    const org = await failure(() => parseOrg(read('org-syntax.yaml'), 'org-syntax.yaml'));
    expect(org.code).toBe('AOS_YAML_SYNTAX');
    expect(org.problems[0]).toMatch(/^org-syntax\.yaml:\d+:\d+: yaml: /);
    const policy = await failure(() =>
      compilePolicies([{ file: 'policy-syntax.yaml', text: read('policy-syntax.yaml') }]),
    );
    expect(policy.code).toBe('AOS_YAML_SYNTAX');
    expect(policy.problems[0]).toMatch(/^policy-syntax\.yaml:5:\d+: yaml: /);
    const test = await failure(() => parsePolicyTestFile('cases: [', 't.test.yaml'));
    expect(test.code).toBe('AOS_YAML_SYNTAX');
  });

  it('AOS_POLICY_INVALID: every problem of a policy at once, each at its place', async () => {
    const f = await failure(() => loadPolicySet(offlinePorts().reader, [dir + 'policy-invalid.yaml']));
    expect(f.code).toBe('AOS_POLICY_INVALID');
    const local = f.problems.map((p) => p.slice(dir.length));
    expect(local).toEqual([
      'policy-invalid.yaml:10:67: `rules[4].approval.route`: must be `manager`, `department` or `role:<name>`',
    ]);
    // with the schema problem fixed, the meaning problems all show
    const fixed = read('policy-invalid.yaml').replace('route: boss', 'route: manager');
    const g = await failure(() => compilePolicies([{ file: 'p.yaml', text: fixed }]));
    expect(g.problems).toEqual([
      'p.yaml:7:51: unknown operator `greater` for `args.n`: use one of eq, ne, in, notIn, gt, gte, lt, lte, matches, glob, anyOf, allOf, exists',
      'p.yaml:8:54: `matches` for `args.s` is not a valid regular expression: unterminated character class',
      'p.yaml:9:50: rule `bad-approval` has an `approval` block but its effect is `allow`',
    ]);
  });

  it('AOS_POLICY_TEST_INVALID: a test file that breaks its schema', async () => {
    const f = await failure(() => parsePolicyTestFile(read('test-invalid.test.yaml.fixture'), 't.test.yaml'));
    expect(f.code).toBe('AOS_POLICY_TEST_INVALID');
    expect(f.problems).toEqual([
      't.test.yaml:4:5: missing required field `expect` in `cases[0]`',
      expect.stringMatching(
        /^t\.test\.yaml:8:23: `cases\[1\]\.expect\.effect` must be one of allow, deny, require_approval, got `permit`/,
      ),
    ]);
    const g = await failure(() =>
      parsePolicyTestFile(
        read('test-invalid.test.yaml.fixture').replace(/ {2}- name: missing[^]*?permit \}\n/, ''),
        't.test.yaml',
      ),
    );
    expect(g.problems).toEqual([
      expect.stringMatching(/^t\.test\.yaml:5:14: case `bad request`: request needs `action`/),
    ]);
  });

  it('AOS_REQUEST_INVALID: requests that are not requests', async () => {
    const bad: unknown[] = [
      null,
      [],
      'x',
      {},
      { agent: 'a' },
      { agent: 'a', action: 'a/b' },
      { agent: 'a', action: 'x.y', extra: 1 },
      { agent: 'a', action: 'x.y', args: [] },
      { agent: 1, action: 'x.y' },
    ];
    for (const value of bad) {
      const f = await failure(() => parseActionRequest(value, 'stdin:1'));
      expect(f.code).toBe('AOS_REQUEST_INVALID');
      expect(f.message).toMatch(/^stdin:1: /);
    }
    expect(parseActionRequest({ agent: 'a', action: 'x.y', args: {}, resource: 'r' })).toEqual({
      agent: 'a',
      action: 'x.y',
      args: {},
      resource: 'r',
    });
  });

  it('AOS_IO and AOS_USAGE: missing files, directories without tests', async () => {
    const io = await failure(() => loadPolicySet(offlinePorts().reader, [dir + 'no-such-dir']));
    expect(io.code).toBe('AOS_IO');
    expect(io.message).toMatch(/no-such-dir` does not exist$/);
    const usage = await failure(() => runPolicyTests(offlinePorts(), [dir]));
    expect(usage.code).toBe('AOS_USAGE');
  });
});
