/**
 * Shadow policies end to end (`agentos policy apply --shadow`): a candidate policy set is tried alongside
 * the enforced one on a real daemon; where it would decide otherwise a `mode: shadow` decision is recorded,
 * nothing is blocked, and the history of an action still tells the enforced decision.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type AgentOsClient } from '../../src/index.js';
import { bin, cleanEnv, example, ExampleNode, type Daemon } from '../support/daemon.js';

const node = new ExampleNode('agentos-shadow-');
const candidate = join(node.tmp, 'candidate');
let daemon: Daemon;
let payroll: AgentOsClient;
let training: AgentOsClient;
let olivia: AgentOsClient;
let oliviaToken = '';

beforeAll(async () => {
  // The candidate set drops Payroll's own policy: under it, payroll's actions fall to default deny.
  cpSync(join(example, 'policies'), candidate, { recursive: true });
  rmSync(join(candidate, 'finance-payroll.yaml'));
  const credentials = { payroll: node.credential('payroll-bot'), training: node.credential('training-bot') };
  oliviaToken = node.token('olivia@acme.test', 'admin');
  daemon = await node.serve();
  payroll = connect({ url: daemon.url, credential: credentials.payroll, agent: 'payroll-bot' });
  training = connect({ url: daemon.url, credential: credentials.training, agent: 'training-bot' });
  olivia = connect({ url: daemon.url, credential: oliviaToken });
});

afterAll(async () => {
  await daemon.stop('SIGKILL');
  node.remove();
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args, '--kernel', daemon.url, '--token', oliviaToken], {
    encoding: 'utf8',
    env: cleanEnv,
    timeout: 30_000,
  });
}

function decided(action: string): { body: Record<string, unknown> }[] {
  const r = node.agentos(['audit', 'query', '--type', 'action.decided', '--json']);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { body: Record<string, unknown> })
    .filter((r) => r.body.action === action);
}

describe('shadow policies', () => {
  let shadowHash = '';

  it('applies a candidate set in shadow mode, leaving the enforced version in force', () => {
    const r = cli(['policy', 'apply', candidate, '--shadow', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { applied: boolean; version: { version: number }; shadow: string };
    expect(out).toMatchObject({ applied: true, version: { version: 1 } });
    expect(out.shadow).toMatch(/^[0-9a-f]{64}$/);
    shadowHash = out.shadow;
    const human = cli(['policy', 'apply', candidate, '--shadow']);
    expect(human.stdout).toContain('which stays in force');
  });

  it('records what the shadow set would have decided, and blocks nothing', async () => {
    const result = await payroll.execute({
      action: 'payroll.update',
      resource: 'employee/1042',
      args: { salary: 90_000 },
    });
    expect(result.status).toBe('allowed');
    const records = decided(result.id);
    expect(records.map((r) => [r.body.mode, r.body.effect])).toEqual([
      ['enforce', 'allow'],
      ['shadow', 'deny'],
    ]);
    expect(records[1]?.body.shadow).toBe(shadowHash);
    // the action's history tells the enforced decision
    const shown = node.agentos(['explain', result.id, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ recorded: { effect: 'allow' } });
  });

  it('records nothing extra where the shadow set agrees', async () => {
    const result = await training.execute({
      action: 'lms.enroll',
      args: { person: 'jdoe', course: 'security-basics' },
    });
    expect(result.status).toBe('allowed');
    expect(decided(result.id).map((r) => r.body.mode)).toEqual(['enforce']);
  });

  it('ends shadow mode when cleared, recorded', async () => {
    expect(await olivia.clearShadow()).toEqual({ cleared: true });
    expect(await olivia.clearShadow()).toEqual({ cleared: false });
    const result = await payroll.execute({
      action: 'payroll.update',
      resource: 'employee/1042',
      args: { salary: 91_000 },
    });
    expect(decided(result.id).map((r) => r.body.mode)).toEqual(['enforce']);
    const r = node.agentos(['audit', 'query', '--type', 'policy.shadowed', '--json']);
    const bodies = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { body: Record<string, unknown> }).body);
    expect(bodies).toHaveLength(3);
    expect(bodies[0]).toMatchObject({ hash: shadowHash, by: 'olivia@acme.test', documents: 5 });
    expect(bodies[2]).toMatchObject({ cleared: true, by: 'olivia@acme.test' });
  });

  it('refuses a shadow apply from someone who is not an admin (a token minted while the daemon runs)', async () => {
    // `token create` records in the node's admin stream, so it never races the daemon's own stream
    const fiona = connect({ url: daemon.url, credential: node.token('fiona@acme.test', 'approver') });
    await expect(fiona.applyPolicies([{ file: 'x.yaml', text: '' }], { shadow: true })).rejects.toMatchObject(
      {
        code: 'AOS_FORBIDDEN',
      },
    );
  });
});
