/**
 * Outgoing webhooks end to end: a real `agentos serve` whose `agentos.yaml` sends approval records to a
 * receiver on loopback (started here) as signed CloudEvents. Covers the event's shape and signature, the
 * order of an approval's steps, retries of a failing receiver, a refusal for good, and catching up after a
 * restart from the cursor without sending anything twice.
 */
import { createHmac } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type AgentOsClient } from '../../src/index.js';
import { ExampleNode, type Daemon } from '../support/daemon.js';
import { listenLoopback } from '../support/loopback.js';

const KEY = Buffer.from('webhook signing key of the receiver, 32+ bytes long');
const SECRET = `whsec_${KEY.toString('base64')}`;
const TOKEN = 'receiver-bearer-0123456789';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly event: {
    specversion: string;
    id: string;
    source: string;
    type: string;
    subject?: string;
    time: string;
    datacontenttype: string;
    data: { stream: string; seq: number; type: string; mac: string; body: Record<string, unknown> };
  };
  /** The status the receiver answered. */
  readonly status: number;
}

const received: Received[] = [];
/** What the receiver answers next: a queue of statuses, then 204. */
const answers: number[] = [];

function receiver(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const status = answers.shift() ?? 204;
      received.push({ headers: req.headers, text, event: JSON.parse(text) as Received['event'], status });
      res.writeHead(status).end();
    });
  });
  return listenLoopback(server).then((url) => ({ server, url: `${url}/hooks` }));
}

const node = new ExampleNode('agentos-webhooks-');
let hooks: Server;
let daemon: Daemon;
let fiona: AgentOsClient;
let credential = '';
let fionaToken = '';
const env = { HOOK_TOKEN: TOKEN, HOOK_SECRET: SECRET };

beforeAll(async () => {
  const r = await receiver();
  hooks = r.server;
  appendFileSync(
    join(node.data, 'agentos.yaml'),
    [
      'webhooks:',
      '  - name: inbox',
      `    url: ${r.url}`,
      '    events: ["approval.*"]',
      '    headers: { authorization: "Bearer ${env:HOOK_TOKEN}" }',
      '    secret: "${env:HOOK_SECRET}"',
      '    timeout: 2s',
      '',
    ].join('\n'),
  );
  credential = node.credential('payroll-bot');
  fionaToken = node.token('fiona@acme.test', 'approver');
  await start();
});

afterAll(async () => {
  await daemon.stop('SIGKILL');
  hooks.close();
  node.remove();
});

async function start(): Promise<void> {
  daemon = await node.serve(env);
  fiona = connect({ url: daemon.url, credential: fionaToken });
}

/** Submits a salary change that needs Fiona's approval; resolves with its action and approval ids. */
async function pendingSalary(resource: string): Promise<{ action: string; approval: string }> {
  const res = await fetch(`${daemon.url}/v1/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      agent: 'payroll-bot',
      action: 'payroll.update',
      resource,
      args: { salary: 250_000 },
    }),
  });
  const view = (await res.json()) as { id: string; status: string; approval?: { id: string } };
  expect(view.status).toBe('pending_approval');
  return { action: view.id, approval: view.approval?.id ?? '' };
}

/** Waits until `test` holds of what was received (10 s at most). */
async function until(what: string, test: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}; received ${received.map((r) => r.event.type).join(', ')}`);
}

/** Deliveries the receiver acknowledged, about one approval, in arrival order. */
const acknowledged = (approval: string) =>
  received.filter((r) => r.status < 300 && r.event.data.body.approval === approval);

describe('webhooks', () => {
  it('sends each step of an approval as a signed CloudEvent, in ledger order', async () => {
    const { action, approval } = await pendingSalary('employee/3001');
    await fiona.approvals.approve(approval, 'budgeted');
    await until('the grant', () => acknowledged(approval).some((r) => r.event.type.endsWith('granted')));
    const got = acknowledged(approval);
    expect(got.map((r) => r.event.type)).toEqual([
      'agentos.approval.requested',
      'agentos.approval.voted',
      'agentos.approval.granted',
    ]);
    const seqs = got.map((r) => r.event.data.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

    const first = got[0] as Received;
    const stream = first.event.data.stream;
    expect(first.event).toMatchObject({
      specversion: '1.0',
      id: `${stream}/${first.event.data.seq}`,
      source: `urn:agentos:${stream}`,
      subject: approval,
      datacontenttype: 'application/json',
      data: { type: 'approval.requested', body: { approval, action, agent: 'payroll-bot' } },
    });
    expect(first.event.time).toBe(new Date(first.event.time).toISOString());
    expect(first.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(first.headers.authorization).toBe(`Bearer ${TOKEN}`);

    // Standard Webhooks: v1,base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")).
    const id = String(first.headers['webhook-id']);
    const timestamp = String(first.headers['webhook-timestamp']);
    expect(id).toBe(first.event.id);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(300);
    const mac = createHmac('sha256', KEY).update(`${id}.${timestamp}.${first.text}`).digest('base64');
    expect(first.headers['webhook-signature']).toBe(`v1,${mac}`);
    const forged = createHmac('sha256', Buffer.from('another key'))
      .update(`${id}.${timestamp}.${first.text}`)
      .digest('base64');
    expect(first.headers['webhook-signature']).not.toBe(`v1,${forged}`);

    // The event carries the record as the ledger holds it: the same MAC as `audit query` shows.
    const stored = node
      .run(['audit', 'query', '--type', 'approval.requested', '--json'])
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; mac: string })
      .find((r) => r.seq === first.event.data.seq);
    expect(stored?.mac).toBe(first.event.data.mac);

    // Only the types asked for: no action records went out.
    expect(received.some((r) => !r.event.data.type.startsWith('approval.'))).toBe(false);
  });

  it('retries a failing receiver with the same event id, and keeps the order', async () => {
    answers.push(503, 500);
    const { approval } = await pendingSalary('employee/3002');
    await until('the request after retries', () => acknowledged(approval).length === 1);
    const attempts = received.filter((r) => r.event.data.body.approval === approval);
    expect(attempts.map((r) => r.status)).toEqual([503, 500, 204]);
    expect(new Set(attempts.map((r) => r.headers['webhook-id'])).size).toBe(1);
    await fiona.approvals.deny(approval, 'not this year');
    await until('the denial', () => acknowledged(approval).length === 3);
    expect(acknowledged(approval).map((r) => r.event.type)).toEqual([
      'agentos.approval.requested',
      'agentos.approval.voted',
      'agentos.approval.denied',
    ]);
  });

  it('skips an event the receiver refuses for good, and sends the next', async () => {
    answers.push(422);
    const { approval } = await pendingSalary('employee/3003');
    await until('the refusal', () => received.some((r) => r.event.data.body.approval === approval));
    await fiona.approvals.approve(approval);
    await until('the grant', () => acknowledged(approval).some((r) => r.event.type.endsWith('granted')));
    expect(acknowledged(approval).map((r) => r.event.type)).toEqual([
      'agentos.approval.voted',
      'agentos.approval.granted',
    ]);
    const refused = received.filter((r) => r.event.data.body.approval === approval && r.status === 422);
    expect(refused).toHaveLength(1);
  });

  it('catches up after a restart from its cursor, sending nothing twice', async () => {
    // The receiver is down (every answer 503) while an approval is asked for; the daemon then stops.
    answers.push(...Array<number>(1000).fill(503));
    const { approval } = await pendingSalary('employee/3004');
    await until('a failed attempt', () => received.some((r) => r.event.data.body.approval === approval));
    expect(await daemon.stop('SIGTERM')).toBe(0);
    const cursor = JSON.parse(readFileSync(join(node.data, 'webhooks', 'inbox.cursor'), 'utf8')) as {
      seq: number;
    };
    answers.length = 0;

    await start();
    await until('the request after the restart', () => acknowledged(approval).length === 1);
    expect(acknowledged(approval)[0]?.event.data.seq).toBeGreaterThan(cursor.seq);
    await fiona.approvals.approve(approval);
    await until('the grant', () => acknowledged(approval).some((r) => r.event.type.endsWith('granted')));

    const ids = received.filter((r) => r.status < 300).map((r) => r.event.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('webhook configuration', () => {
  it('refuses to start when a referenced variable is not set, naming it', () => {
    const other = new ExampleNode('agentos-webhooks-bad-');
    try {
      appendFileSync(
        join(other.data, 'agentos.yaml'),
        'webhooks:\n  - name: x\n    url: http://127.0.0.1:9/\n    secret: "${env:NOT_SET_ANYWHERE}"\n',
      );
      const r = other.agentos(['serve', '--port', '0']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/webhook `x`: secret needs the environment variable `NOT_SET_ANYWHERE`/);
    } finally {
      other.remove();
    }
  });

  it('refuses two webhooks of the same name, at their place in agentos.yaml', () => {
    const other = new ExampleNode('agentos-webhooks-dup-');
    try {
      appendFileSync(
        join(other.data, 'agentos.yaml'),
        'webhooks:\n  - { name: a, url: "http://127.0.0.1:9/" }\n  - { name: a, url: "http://127.0.0.1:9/" }\n',
      );
      const r = other.agentos(['serve', '--port', '0']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/agentos\.yaml:\d+:\d+.*webhook `a` is defined twice/);
    } finally {
      other.remove();
    }
  });
});
