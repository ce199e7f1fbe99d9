/**
 * End-to-end: `agentos demo` governs a copy of the example organisation into a real SQLite ledger, then
 * `episode show` and `explain [--now]` read it back as real processes: the same decision under the
 * versions in force then, the difference after a policy change, and refusal of a tampered stored version.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'agentos-history-'));
const example = join(tmp, 'onboarding');
const data = join(tmp, 'data');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function agentos(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/agentos.js'), ...args], {
    cwd: tmp,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', AGENTOS_DATA: data },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Step {
  action: string;
  name?: string;
  effect?: string;
  status: string;
  rules: string[];
  outcome?: unknown;
  records: string[];
}

let demo: { stdout: string };
let episode: string;
/** The `action.decided` record of the high-salary request (require_approval under v1 of the policies). */
let highSalary: string;

beforeAll(() => {
  cpSync(join(root, 'examples/onboarding'), example, { recursive: true });
  const r = agentos(['demo', 'onboarding', '--data', data]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  demo = r;
  const m = /^status\s+pending_approval \(act_\w+; recorded \S+, (\S+\/\d+); episode (ep_\w+)\)$/m.exec(
    r.stdout,
  );
  expect(m).not.toBeNull();
  highSalary = m?.[1] ?? '';
  episode = m?.[2] ?? '';
});

describe('agentos episode show', () => {
  it('lists the steps of one task in order with decisions and outcomes', () => {
    const r = agentos(['episode', 'show', episode, '--json']);
    expect(r.code).toBe(0);
    const { steps } = JSON.parse(r.stdout) as { steps: Step[] };
    expect(steps.map((s) => [s.name, s.effect, s.status])).toEqual([
      ['payroll.update', 'allow', 'executed'],
      ['payroll.update', 'require_approval', 'pending_approval'],
      ['sql.query', 'deny', 'denied'],
    ]);
    expect(steps[0]?.outcome).toEqual({ simulated: true });
    expect(steps[0]?.records).toHaveLength(3);
    expect(steps[2]?.rules).toEqual(['org-baseline/destructive-sql']);

    const text = agentos(['episode', 'show', episode]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^episode ${episode} — 3 steps, payroll-bot$`, 'm'));
    expect(text.stdout).toMatch(/^ 1 {2}\S+ {2}payroll-bot → payroll\.update employee\/1042$/m);
    expect(text.stdout).toMatch(
      /^ {4}allow \(medium risk\) → executed {2}finance-payroll\/payroll-records$/m,
    );
    expect(text.stdout).toContain('outcome {"simulated":true}');
  });

  it('says so when an episode has no records', () => {
    const r = agentos(['episode', 'show', 'ep_nothing']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('agentos: no records of episode `ep_nothing` [AOS_NOT_FOUND]\n');
  });
});

describe('agentos explain', () => {
  it('re-evaluates under the versions in force then: the same decision', () => {
    const r = agentos(['explain', highSalary]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^recorded {2}\S+: require_approval \(medium risk\) {2}finance-payroll\/high-salaries$/m,
    );
    expect(r.stdout).toMatch(/^then \(org v1, policy v1\): the same decision$/m);
    expect(r.stdout).toMatch(/^decision {2}REQUIRE_APPROVAL/m);
    // the action id names the same action
    const id = /^action {4}(act_\w+)/m.exec(r.stdout)?.[1] ?? '';
    const byId = agentos(['explain', id, '--json']);
    expect(JSON.parse(byId.stdout)).toMatchObject({ action: id, recorded: { effect: 'require_approval' } });
  });

  it('with --now shows what a later policy change would decide differently', () => {
    const file = join(example, 'policies/finance-payroll.yaml');
    const before = readFileSync(file, 'utf8');
    expect(before).toContain('gt: 200000');
    writeFileSync(file, before.replace('gt: 200000', 'gt: 500000'));
    // records policy v2 and governs under it; the example's own policy tests expect the old threshold
    const again = agentos(['demo', 'onboarding', '--data', data]);
    expect(again.stdout).toMatch(/ 1 failed$/m);
    expect(again.code).toBe(1);

    const r = agentos(['explain', highSalary, '--now']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^then \(org v1, policy v1\): the same decision$/m);
    expect(r.stdout).toMatch(/^now \(org v1, policy v2\): \d+ differences?$/m);
    expect(r.stdout).toMatch(/^ {4}effect: require_approval → allow$/m);
    expect(r.stdout).toMatch(
      /^ {4}rules: finance-payroll\/high-salaries → finance-payroll\/payroll-records$/m,
    );
    const json = JSON.parse(agentos(['explain', highSalary, '--now', '--json']).stdout) as {
      then: { versions: unknown; differences: string[] };
      now: { versions: unknown; explanation: { decision: { effect: string } } };
    };
    expect(json.then).toMatchObject({ versions: { org: 1, policy: 1 }, differences: [] });
    expect(json.now).toMatchObject({
      versions: { org: 1, policy: 2 },
      explanation: { decision: { effect: 'allow' } },
    });
  });

  it('refuses what is not an action, and what does not exist', () => {
    const stream = highSalary.split('/')[0] ?? '';
    const notAction = agentos(['explain', `${stream}/1`]);
    expect(notAction.code).toBe(2);
    expect(notAction.stderr).toBe(
      `agentos: \`${stream}/1\` is a \`org.changed\` record, not a record of an action [AOS_NOT_FOUND]\n`,
    );
    const missing = agentos(['explain', `${stream}/99999`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`agentos: no ledger record \`${stream}/99999\` [AOS_NOT_FOUND]\n`);
  });

  it('refuses a stored policy version that no longer matches its ledger record', () => {
    const db = new Database(join(data, 'ledger.db'));
    const row = db
      .prepare(
        "SELECT b.hash, b.content FROM versions v JOIN blobs b ON b.hash = v.hash WHERE v.kind = 'policy' AND v.version = 1",
      )
      .get() as { hash: string; content: string };
    db.prepare('UPDATE blobs SET content = ? WHERE hash = ?').run(
      row.content.replace('gt: 200000', 'gt: 1'),
      row.hash,
    );
    db.close();
    const r = agentos(['explain', highSalary]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^agentos: stored policy version 1 does not match its record `\S+\/2` \(content hash [0-9a-f]{64}\) \[AOS_STORE_CORRUPT\]\n$/,
    );
  });
});

it('the demo said where to look next', () => {
  expect(demo.stdout).toContain(`episode show ${episode.slice(0, 3)}`);
  expect(demo.stdout).toMatch(/explain \S+\/\d+ --now --data /);
});
