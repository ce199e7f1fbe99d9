/**
 * End-to-end: the built CLI (`bin/agentos.js`, as installed) run as a real process.
 * `npm test` builds before testing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = 'test/e2e/fixtures';
const onboarding = 'examples/onboarding';

function agentos(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/agentos.js', ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const evalArgs = [
  'policy',
  'eval',
  '--org',
  `${onboarding}/org.yaml`,
  '--policies',
  `${onboarding}/policies`,
];
/** `policy eval` of an empty request against the onboarding org and other policies. */
const evalWith = (policies: string) =>
  agentos(['policy', 'eval', '--org', `${onboarding}/org.yaml`, '--policies', policies], '{}');

describe('agentos CLI', () => {
  it('prints help and version, exit 0', () => {
    const help = agentos(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/policy/);
    expect(help.stdout).toMatch(/Exit codes/);
    const sub = agentos(['policy', 'eval', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/--policies/);
    expect(agentos(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('rejects an unknown command or missing option with exit 2', () => {
    expect(agentos(['frobnicate']).code).toBe(2);
    const r = agentos(['policy', 'eval']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--org/);
  });

  it('lint prints every problem with its place and exits 1', () => {
    const r = agentos(['policy', 'lint', `${fixtures}/bad-policies`]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContain(
      `${fixtures}/bad-policies/broken.yaml:7:13: \`rules[0].effect\` must be one of allow, deny, require_approval, got \`alow\``,
    );
    expect(
      lines.some((l) => /^test\/e2e\/fixtures\/bad-policies\/syntax\.yaml:\d+:\d+: yaml: /.test(l)),
    ).toBe(true);
    expect(r.stderr).toMatch(/problems?/);
  });

  it('lint with --org reports scopes the org lacks', () => {
    const clean = agentos(['policy', 'lint', `${onboarding}/policies`, '--org', `${onboarding}/org.yaml`]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^ok: /);
  });

  it('eval: one request in, one pretty Decision out', () => {
    const r = agentos(
      evalArgs,
      JSON.stringify({
        agent: 'payroll-bot',
        action: 'payroll.update',
        resource: 'employee/1042',
        args: { salary: 250000 },
      }),
    );
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({
      effect: 'require_approval',
      rules: ['finance-payroll/high-salaries'],
      approvers: [],
    });
    expect(d.decisionId).toMatch(/^dec_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(r.stdout.split('\n').length).toBeGreaterThan(3);
  });

  it('eval: a pretty-printed request spanning lines is one request', () => {
    const r = agentos(
      evalArgs,
      JSON.stringify({ agent: 'hardware-bot', action: 'hardware.order', args: { amount: 10 } }, null, 2),
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).effect).toBe('allow');
  });

  it('eval: NDJSON in, one Decision per line, invalid lines answered in place with exit 3', () => {
    const lines = [
      { agent: 'hardware-bot', action: 'hardware.order', args: { amount: 10 } },
      { agent: 'hardware-bot', action: 'hardware.order', args: { amount: 9000 } },
      'not json',
      { agent: 'nobody', action: 'x.y' },
      { action: 'x.y' },
    ];
    const r = agentos(
      evalArgs,
      lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n',
    );
    expect(r.code).toBe(3);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(5);
    expect(out.map((d) => d.effect ?? d.error.code)).toEqual([
      'allow',
      'require_approval',
      'AOS_REQUEST_INVALID',
      'deny',
      'AOS_REQUEST_INVALID',
    ]);
    expect(out[2].error.message).toMatch(/^stdin:3: not JSON/);
    expect(r.stderr).toMatch(/2 of 5 requests were invalid/);
  });

  it('eval --jobs 2: the same decisions, in input order, from worker threads', () => {
    const requests: string[] = [];
    for (let i = 0; i < 3000; i++) {
      requests.push(
        i % 500 === 7
          ? 'not json'
          : JSON.stringify({ agent: 'hardware-bot', action: 'hardware.order', args: { amount: i * 3 } }),
      );
    }
    const input = requests.join('\n') + '\n';
    const serial = agentos(evalArgs, input);
    const parallel = agentos([...evalArgs, '--jobs', '2'], input);
    expect(parallel.code).toBe(3);
    expect(parallel.stderr).toMatch(/6 of 3000 requests were invalid/);
    const strip = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((l) => {
          const d = JSON.parse(l);
          delete d.decisionId;
          return JSON.stringify(d);
        });
    const p = strip(parallel.stdout);
    expect(p).toHaveLength(3000);
    expect(p).toEqual(strip(serial.stdout));
    expect(p[7]).toMatch(/stdin:8: not JSON/);
    expect(JSON.parse(p[1000] as string).effect).toBe('require_approval'); // amount 3000 > 2500

    const broken = agentos(
      [
        'policy',
        'eval',
        '--org',
        `${onboarding}/org.yaml`,
        '--policies',
        `${fixtures}/bad-policies/broken.yaml`,
        '--jobs',
        '2',
      ],
      input,
    );
    expect(broken.code).toBe(3);
    expect(broken.stderr).toMatch(/broken\.yaml:7:13: .*\[AOS_POLICY_INVALID\]$/m);

    const bad = agentos([...evalArgs, '--jobs', 'many'], '{}');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--jobs must be a whole number/);
  });

  it('explain: readable text naming documents, rules and the reason', () => {
    const r = agentos(
      ['policy', 'explain', ...evalArgs.slice(2)],
      JSON.stringify({
        agent: 'payroll-bot',
        action: 'payroll.update',
        resource: 'employee/1042',
        args: { salary: 250000 },
      }),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/in scope\s+finance-payroll/);
    expect(r.stdout).toMatch(/not in scope\s+it\b/);
    expect(r.stdout).toMatch(/✓ finance-payroll\/high-salaries/);
    expect(r.stdout).toMatch(/decision\s+REQUIRE_APPROVAL/);
    expect(r.stdout).not.toContain('\u001b['); // not a TTY: no colour
  });

  it('explain --json emits an Explanation per request', () => {
    const r = agentos(
      ['policy', 'explain', '--json', ...evalArgs.slice(2)],
      JSON.stringify({ agent: 'planner-bot', action: 'lms.enroll' }),
    );
    expect(r.code).toBe(0);
    const x = JSON.parse(r.stdout);
    expect(x.contract).toMatchObject({ ok: false, rule: 'contract.autonomy-observe' });
    expect(x.decision.effect).toBe('deny');
  });

  it('policy test: examples pass with a closing count line', () => {
    const r = agentos(['policy', 'test', `${onboarding}/tests`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^\d+ passed, 0 failed$/);
  });

  it('policy test: a failing case is printed with its decision and exits 1', () => {
    const r = agentos(['policy', 'test', `${fixtures}/failing-tests`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ fails on purpose .*failing\.test\.yaml:\d+:\d+/);
    expect(r.stdout).toMatch(/effect is `deny`, expected `allow`/);
    expect(r.stdout).toMatch(/decision: .*contract\.unknown-agent/);
    expect(r.stdout.trim().split('\n').pop()).toBe('1 passed, 1 failed');
  });

  it('invalid inputs give one-line coded errors with places', () => {
    const org = agentos(
      [...evalArgs.slice(0, 2), '--org', `${fixtures}/bad-org.yaml`, '--policies', `${onboarding}/policies`],
      '{}',
    );
    expect(org.code).toBe(3);
    expect(org.stderr).toMatch(
      /^agentos: test\/e2e\/fixtures\/bad-org\.yaml:\d+:\d+: .* \[AOS_ORG_INVALID\]$/m,
    );
    expect(org.stderr.trim().split('\n').length).toBeGreaterThanOrEqual(3);

    const yaml = evalWith(`${fixtures}/bad-policies/syntax.yaml`);
    expect(yaml.code).toBe(3);
    expect(yaml.stderr).toMatch(/\[AOS_YAML_SYNTAX\]$/m);

    const pol = evalWith(`${fixtures}/bad-policies/broken.yaml`);
    expect(pol.code).toBe(3);
    expect(pol.stderr).toMatch(/broken\.yaml:7:13: .*\[AOS_POLICY_INVALID\]$/m);

    const tests = agentos(['policy', 'test', `${fixtures}/bad-tests`]);
    expect(tests.code).toBe(3);
    expect(tests.stderr).toMatch(/bad\.test\.yaml:\d+:\d+: .*\[AOS_POLICY_TEST_INVALID\]$/m);

    const missing = agentos(['policy', 'lint', 'no/such/dir']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toBe('agentos: `no/such/dir` does not exist [AOS_IO]\n');

    const empty = agentos(evalArgs, '');
    expect(empty.code).toBe(3);
    expect(empty.stderr).toMatch(/no request in stdin \[AOS_REQUEST_INVALID\]/);

    const noTests = agentos(['policy', 'test', `${onboarding}/policies`]);
    expect(noTests.code).toBe(2);
    expect(noTests.stderr).toMatch(/\[AOS_USAGE\]/);
  });

  it('stops quietly, exit 0, when the reader closes the pipe early', () => {
    const requests = `${JSON.stringify({ agent: 'payroll-bot', action: 'payroll.read' })}\n`.repeat(50_000);
    const r = spawnSync(
      'bash',
      ['-c', `node bin/agentos.js ${evalArgs.join(' ')} | head -n 1; echo "exit \${PIPESTATUS[0]}" >&2`],
      { cwd: root, input: requests, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toBe('exit 0\n');
  });

  it('demo runs the example end to end and records it', () => {
    const data = mkdtempSync(join(tmpdir(), 'agentos-demo-'));
    try {
      const r = agentos(['demo', '--data', data]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\d+ passed, 0 failed/);
      expect(r.stdout).toMatch(/decision\s+DENY/);
      expect(r.stdout).toMatch(/^status\s+executed \(act_\w+; recorded \S+\/3, \S+\/4; episode ep_\w+\)$/m);
      const v = agentos(['audit', 'verify', '--data', data]);
      expect(v.stdout).toMatch(/^ok: \d+ records, 1 stream/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
