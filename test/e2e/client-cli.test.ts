/**
 * The CLI commands that change a running system through the API (`approvals`, `signal`), end to end: a
 * real `agentos serve` on loopback, tokens minted by the real CLI, and the real `agentos` binary talking
 * to it. Exit codes and stderr are checked as a script would see them.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ActionInput, type AgentOsClient } from '../../src/index.js';
import { bin, cleanEnv, ExampleNode, type Daemon } from '../support/daemon.js';
import { closedPort } from '../support/loopback.js';

const node = new ExampleNode('agentos-client-cli-');

/** Runs the CLI without blocking this process (the SDK may be waiting on the daemon meanwhile). */
function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...cleanEnv, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let daemon: Daemon;
let url = '';
let agent: AgentOsClient;
const tokens = { payroll: '', fiona: '', olivia: '', viewer: '' };
/** `--kernel <url> --token <token>` for a person. */
const as = (token: string) => ['--kernel', url, '--token', token];

beforeAll(async () => {
  tokens.payroll = node.credential('payroll-bot');
  tokens.fiona = node.token('fiona@acme.test', 'approver');
  tokens.olivia = node.token('olivia@acme.test', 'admin');
  tokens.viewer = node.token('kim@acme.test', 'viewer');
  daemon = await node.serve();
  url = daemon.url;
  agent = connect({ url, credential: tokens.payroll, agent: 'payroll-bot' });
});

afterAll(async () => {
  await daemon.stop('SIGKILL');
  node.remove();
});

const payroll = (salary: number): ActionInput => ({
  action: 'payroll.update',
  resource: 'employee/1042',
  args: { salary },
});

/** Submits an action that needs fiona's approval; resolves with the action and approval ids. */
async function pendingAction(salary: number): Promise<{ action: string; approval: string }> {
  const res = await fetch(`${url}/v1/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.payroll}`, 'content-type': 'application/json' },
    body: JSON.stringify({ agent: 'payroll-bot', ...payroll(salary) }),
  });
  expect(res.status).toBe(202);
  const view = (await res.json()) as { id: string; approval: { id: string } };
  return { action: view.id, approval: view.approval.id };
}

describe('agentos approvals', () => {
  it('lists pending approvals as a table and as JSON, and shows one', async () => {
    const { action, approval } = await pendingAction(210_000);
    const table = await cli(['approvals', 'list', ...as(tokens.fiona)]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+ACTION\s+AGENT\s+LEVEL\s+EXPIRES\s+APPROVERS\n/);
    expect(table.stdout).toMatch(
      new RegExp(`${approval}\\s+${action}\\s+payroll-bot\\s+1/1 .* fiona@acme\\.test`),
    );

    const mine = await cli(['approvals', 'list', '--mine', '--json', ...as(tokens.fiona)]);
    expect(mine.code, mine.stderr).toBe(0);
    const listed = JSON.parse(mine.stdout) as { approvals: { id: string }[] };
    expect(listed.approvals.map((a) => a.id)).toContain(approval);
    const notMine = await cli(['approvals', 'list', '--mine', '--json', ...as(tokens.viewer)]);
    expect(JSON.parse(notMine.stdout)).toEqual({ approvals: [] });

    const card = await cli(['approvals', 'show', approval, ...as(tokens.viewer)]);
    expect(card.code, card.stderr).toBe(0);
    expect(card.stdout).toMatch(/status\s+pending/);
    expect(card.stdout).toMatch(/level\s+1 of 1/);
    const shown = await cli(['approvals', 'show', approval, '--json', ...as(tokens.viewer)]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: approval, action, status: 'pending', votes: [] });
  });

  it('approve lets the waiting agent go on; deny refuses; a closed approval is a conflict', async () => {
    const first = await pendingAction(220_000);
    const waiting = agent.wait(first.action, { timeoutMs: 20_000 });
    const approved = await cli([
      'approvals',
      'approve',
      first.approval,
      '--comment',
      'signed',
      ...as(tokens.fiona),
    ]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toBe(`approved ${first.approval} (action ${first.action}): granted\n`);
    expect(await waiting).toMatchObject({ id: first.action, status: 'allowed' });
    const card = await cli(['approvals', 'show', first.approval, ...as(tokens.fiona)]);
    expect(card.stdout).toMatch(/level 1 {2}fiona@acme\.test {2}approve: signed/);

    const second = await pendingAction(230_000);
    const denied = await cli(['approvals', 'deny', second.approval, '--json', ...as(tokens.fiona)]);
    expect(denied.code, denied.stderr).toBe(0);
    expect(JSON.parse(denied.stdout)).toMatchObject({ id: second.approval, status: 'denied' });
    expect((await agent.action(second.action)).status).toBe('denied');

    const again = await cli(['approvals', 'approve', first.approval, ...as(tokens.fiona)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^agentos: .* \[AOS_CONFLICT\]\n$/);
  });

  it('refuses a viewer with exit 5 and AOS_FORBIDDEN, and an unknown approval with exit 2', async () => {
    const { approval } = await pendingAction(240_000);
    const viewer = await cli(['approvals', 'approve', approval, ...as(tokens.viewer)]);
    expect(viewer.code).toBe(5);
    expect(viewer.stdout).toBe('');
    expect(viewer.stderr).toMatch(/^agentos: .*kim@acme\.test.* \[AOS_FORBIDDEN\]\n$/);
    const missing = await cli(['approvals', 'show', 'apr_nothing', ...as(tokens.fiona)]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\[AOS_NOT_FOUND\]\n$/);
    const stranger = await cli(['approvals', 'list', ...as('aosp_not-a-real-token-at-all')]);
    expect(stranger.code).toBe(5);
    expect(stranger.stderr).toMatch(/\[AOS_UNAUTHENTICATED\]\n$/);
  });
});

describe('agentos signal', () => {
  it('stop holds the agent and cont releases it (an admin, found through the environment)', async () => {
    const env = { AGENTOS_URL: url, AGENTOS_TOKEN: tokens.olivia };
    const stop = await cli(['signal', 'stop', 'payroll-bot', '--reason', 'payroll audit'], env);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/^stop payroll-bot: payroll-bot; stop stands \(record \S+\/\d+\)\n$/);
    const held = await agent.execute(payroll(90_000), { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(held).toMatchObject({ action: { status: 'held' } });
    const listed = await cli(['agents', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^AGENT +STATE +OWNER +DEPARTMENT +AUTONOMY +WHY\n/);
    expect(listed.stdout).toMatch(
      /\npayroll-bot +stopped +gina@acme\.test +finance-payroll +2 +.*payroll audit/,
    );
    const asJson = await cli(['agents', 'list', '--json'], env);
    const states = (JSON.parse(asJson.stdout) as { agents: { id: string; state: string }[] }).agents;
    expect(states.find((a) => a.id === 'legacy-sync-bot')?.state).toBe('suspended');

    const cont = await cli(['signal', 'cont', 'payroll-bot', '--json'], env);
    expect(cont.code, cont.stderr).toBe(0);
    expect(JSON.parse(cont.stdout)).toMatchObject({ agents: ['payroll-bot'], released: 1 });
    expect(JSON.parse(cont.stdout)).not.toHaveProperty('standing');
    expect((await agent.execute(payroll(90_000))).status).toBe('allowed');
  });

  it('signals a department; a viewer is refused with exit 5', async () => {
    const stop = await cli(['signal', 'stop', '--department', 'finance', '--json', ...as(tokens.olivia)]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({
      agents: ['payroll-bot'],
      standing: { scope: 'department', target: 'finance', signal: 'stop', by: 'olivia@acme.test' },
    });
    const viewer = await cli(['signal', 'cont', '--department', 'finance', ...as(tokens.viewer)]);
    expect(viewer.code).toBe(5);
    expect(viewer.stderr).toMatch(/\[AOS_FORBIDDEN\]\n$/);
    const cont = await cli(['signal', 'cont', '--department', 'finance', ...as(tokens.olivia)]);
    expect(cont.code, cont.stderr).toBe(0);
    expect(cont.stdout).toMatch(/^cont finance: payroll-bot; nothing stands/);
  });

  it('needs exactly one target and a known signal (exit 2, AOS_USAGE), and sends nothing otherwise', async () => {
    for (const args of [
      ['signal', 'stop'],
      ['signal', 'stop', 'payroll-bot', '--all'],
      ['signal', 'stop', '--department', 'finance', '--all'],
      ['signal', 'pause', 'payroll-bot'],
    ]) {
      const r = await cli([...args, ...as(tokens.olivia)]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^agentos: .* \[AOS_USAGE\]\n$/);
    }
    expect((await agent.execute(payroll(90_000))).status).toBe('allowed');
  });
});

describe('agentos org apply, policy apply', () => {
  it('shows the changes, applies them as an admin, and refuses a viewer and an empty policy set', async () => {
    const orgFile = join(node.data, 'org.yaml');
    const moved = readFileSync(orgFile, 'utf8').replace(
      /(id: hardware-bot[\s\S]*?department: )it-hardware/,
      '$1it',
    );
    const next = join(node.tmp, 'org-next.yaml');
    writeFileSync(next, moved);
    const dry = await cli(['org', 'apply', next, '--dry-run', ...as(tokens.olivia)]);
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toBe(
      '~ agent hardware-bot: department: it-hardware → it\n' +
        'dry run: nothing applied (org version 1 stays in force)\n',
    );
    const viewer = await cli(['org', 'apply', next, ...as(tokens.viewer)]);
    expect(viewer.code).toBe(5);
    expect(viewer.stderr).toMatch(/\[AOS_FORBIDDEN\]\n$/);
    const applied = await cli(['org', 'apply', next, '--json', ...as(tokens.olivia)]);
    expect(JSON.parse(applied.stdout)).toMatchObject({ applied: true, version: { version: 2 } });
    const again = await cli(['org', 'apply', next, ...as(tokens.olivia)]);
    expect(again.stdout).toBe('no changes\nnothing to apply: org version 2 stays in force\n');

    const policies = await cli([
      'policy',
      'apply',
      join(node.data, 'policies'),
      '--dry-run',
      ...as(tokens.olivia),
    ]);
    expect(policies.stdout).toMatch(
      /^6 policy documents, \d+ rules\ndry run: nothing applied \(policy version 1/,
    );
    mkdirSync(join(node.tmp, 'empty'));
    const empty = await cli(['policy', 'apply', join(node.tmp, 'empty'), ...as(tokens.olivia)]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^agentos: no policy files .* \[AOS_USAGE\]\n$/);
  });
});

describe('finding the daemon', () => {
  it('an unreachable kernel is exit 4 with AOS_IO and the URL', async () => {
    const port = await closedPort();
    const r = await cli([
      'approvals',
      'list',
      '--kernel',
      `http://127.0.0.1:${port}`,
      '--token',
      tokens.fiona,
    ]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      new RegExp(
        `^agentos: cannot reach the kernel at \`http://127\\.0\\.0\\.1:${port}\`: .* \\[AOS_IO\\]\\n$`,
      ),
    );
  });

  it('no token is a usage error', async () => {
    const r = await cli(['signal', 'stop', '--all', '--kernel', url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/`AGENTOS_TOKEN`.* \[AOS_USAGE\]\n$/);
  });
});

/** A loopback port nobody listens on (just closed). */
