/**
 * HTTP executors end to end: a real `agentos serve` whose `agentos.yaml` hands `payroll.*` to a payroll
 * service on loopback (started here), with a bearer secret only the daemon holds. Allowed actions are run
 * by the kernel and recorded with their outcome; failures, approvals, denials and an agent trying to
 * report for the kernel's executor are all covered.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type AgentOsClient } from '../../src/index.js';
import { bin, cleanEnv, ExampleNode, type Daemon } from '../support/daemon.js';
import { listenLoopback } from '../support/loopback.js';

const SECRET = 'payroll-service-secret-0123456789';

interface Call {
  readonly headers: IncomingMessage['headers'];
  readonly body: {
    id: string;
    agent: string;
    request: { resource?: string; args?: unknown };
    decision: unknown;
  };
}
const calls: Call[] = [];

/** The payroll system: answers by resource (`employee/bad` fails, `employee/slow` never answers in time). */
function payrollService(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as Call['body'];
      calls.push({ headers: req.headers, body });
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.headers.authorization !== `Bearer ${SECRET}`)
        return reply(401, { error: { message: 'who are you' } });
      if (body.request.resource === 'employee/bad')
        return reply(500, { error: { message: 'employee 77 is locked' } });
      if (body.request.resource === 'employee/slow') return void setTimeout(() => reply(200, {}), 5_000);
      reply(200, { updated: body.request.resource, args: body.request.args });
    });
  });
  return listenLoopback(server).then((url) => ({ server, url: `${url}/execute` }));
}

const node = new ExampleNode('agentos-exec-');
let service: Server;
let daemon: Daemon;
let agent: AgentOsClient;
let fiona: AgentOsClient;
let credential = '';

beforeAll(async () => {
  const s = await payrollService();
  service = s.server;
  appendFileSync(
    join(node.data, 'agentos.yaml'),
    [
      'executors:',
      '  - name: payroll',
      '    actions: ["payroll.*"]',
      `    url: ${s.url}`,
      '    headers: { authorization: "Bearer ${env:PAYROLL_API_TOKEN}" }',
      '    timeout: 1s',
      '',
    ].join('\n'),
  );
  credential = node.credential('payroll-bot');
  const fionaToken = node.token('fiona@acme.test', 'approver');
  daemon = await node.serve({ PAYROLL_API_TOKEN: SECRET });
  agent = connect({ url: daemon.url, credential, agent: 'payroll-bot' });
  fiona = connect({ url: daemon.url, credential: fionaToken });
});

afterAll(async () => {
  await daemon.stop('SIGKILL');
  service.close();
  node.remove();
});

const update = (resource: string, salary: number) => ({
  action: 'payroll.update',
  resource,
  args: { salary },
});

/** Ledger records of one type, as `audit query --json` prints them. */
function ledger(type: string): { body: Record<string, unknown> }[] {
  const r = node.agentos(['audit', 'query', '--type', type, '--json']);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { body: Record<string, unknown> });
}

describe('HTTP executors', () => {
  it('runs an allowed action with the secret only the daemon holds, and records the outcome', async () => {
    const res = await fetch(`${daemon.url}/v1/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ agent: 'payroll-bot', ...update('employee/1042', 98_000) }),
    });
    expect(res.status).toBe(200);
    const view = (await res.json()) as { id: string; status: string; executor: string; outcome: unknown };
    expect(view).toMatchObject({
      status: 'executed',
      executor: 'payroll',
      outcome: { updated: 'employee/1042', args: { salary: 98_000 } },
    });
    const call = calls.find((c) => c.body.id === view.id);
    expect(call?.headers['agentos-action']).toBe(view.id);
    expect(call?.body).toMatchObject({ agent: 'payroll-bot', decision: { effect: 'allow' } });
    const done = ledger('action.completed').find((r) => r.body.action === view.id);
    expect(done?.body).toMatchObject({ executor: 'http:payroll', outcome: { updated: 'employee/1042' } });
  });

  it('records a failing executor as a failed action with its reason', async () => {
    const result = await agent.execute(update('employee/bad', 50_000));
    if (result.status !== 'failed') throw new Error(`expected failed, got ${result.status}`);
    expect(result.outcome).toMatchObject({ code: 'AOS_EXECUTOR_FAILED' });
    expect(JSON.stringify(result.outcome)).toContain('answered 500: employee 77 is locked');
    const failed = ledger('action.failed').find((r) => r.body.action === result.id);
    expect(failed?.body).toMatchObject({ executor: 'http:payroll', error: { code: 'AOS_EXECUTOR_FAILED' } });
  });

  it('fails an action whose executor does not answer in time', async () => {
    const result = await agent.execute(update('employee/slow', 50_000));
    if (result.status !== 'failed') throw new Error(`expected failed, got ${result.status}`);
    expect(JSON.stringify(result.outcome)).toContain('did not answer within 1s');
  });

  it('runs an approved action once it is granted, and the waiting agent gets the outcome', async () => {
    const waiting = agent.execute(update('employee/2001', 250_000), { timeoutMs: 30_000 });
    let approval: string | undefined;
    for (let i = 0; i < 200 && !approval; i++) {
      const open = await fiona.approvals.list({ mine: true });
      approval = open.find((a) => a.request?.resource === 'employee/2001')?.id;
      if (!approval) await new Promise((r) => setTimeout(r, 25));
    }
    expect(approval).toBeDefined();
    const before = calls.length;
    await fiona.approvals.approve(approval ?? '', 'offer signed');
    const result = await waiting;
    expect(result).toMatchObject({ status: 'executed', outcome: { updated: 'employee/2001' } });
    expect(calls.slice(before).map((c) => c.body.request.resource)).toEqual(['employee/2001']);
  });

  it('never calls the executor for a denied action', async () => {
    const before = calls.length;
    const result = await agent.execute({ action: 'payroll.update', resource: 'contractor/9', args: {} });
    expect(result.status).toBe('denied');
    expect(calls.length).toBe(before);
  });

  it("refuses an agent's own report for an action the kernel's executor runs", async () => {
    const result = await agent.execute(update('employee/1043', 60_000));
    const res = await fetch(`${daemon.url}/v1/actions/${result.id}/outcome`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: { forged: true } }),
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('AOS_CONFLICT');
  });

  it('refuses to start when a header names an environment variable that is not set', () => {
    const r = spawnSync(process.execPath, [bin, 'serve', '--data', node.data, '--port', '0', '--quiet'], {
      encoding: 'utf8',
      env: cleanEnv,
      timeout: 30_000,
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('needs the environment variable `PAYROLL_API_TOKEN`, which is not set');
    expect(r.stderr).toContain('[AOS_CONFIG_INVALID]');
  });
});
