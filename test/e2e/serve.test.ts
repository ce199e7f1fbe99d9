/**
 * End-to-end over real HTTP on loopback: `agentos serve` as a real process on a data directory holding the
 * example organisation, tokens and credentials minted by the real CLI, and the ledger verified after a
 * graceful shutdown. Every refusal is coded and recorded.
 */
import { readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example, ExampleNode, type Daemon } from '../support/daemon.js';

const node = new ExampleNode('agentos-serve-');
const agentos = (args: string[]) => node.agentos(args);

let daemon: Daemon;
let url = '';
const tokens: Record<string, string> = {};

beforeAll(async () => {
  tokens.payroll = node.credential('payroll-bot');
  tokens.fiona = node.token('fiona@acme.test', 'approver');
  tokens.olivia = node.token('olivia@acme.test', 'admin');
  tokens.viewer = node.token('kim@acme.test', 'viewer');
  daemon = await node.serve();
  url = daemon.url;
});

afterAll(async () => {
  await daemon.stop('SIGKILL');
  node.remove();
});

async function call(method: string, path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
/**
 * Announces a body of `length` bytes and sends only its start: the daemon must answer 413 from the
 * headers alone. (Sending the whole body races the daemon closing the socket, and the client sees EPIPE.)
 */
function oversized(path: string, token: string, length: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connectTcp(Number(port), hostname, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${token}\r\n` +
          `content-type: application/json\r\ncontent-length: ${length}\r\n\r\n{"agent":"`,
      );
    });
    let answer = '';
    socket.on('data', (b: Buffer) => {
      answer += b.toString();
      if (answer.includes('}}')) socket.destroy();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}
const payroll = (salary: number) => ({
  agent: 'payroll-bot',
  action: 'payroll.update',
  resource: 'employee/1042',
  args: { salary },
});

describe('agentos serve', () => {
  it('answers health', async () => {
    const r = await call('GET', '/healthz');
    expect(r).toMatchObject({ status: 200, body: { ok: true, org: 1, policy: 1 } });
  });

  it('allows an action and records the outcome the agent reports', async () => {
    const r = await call('POST', '/v1/actions', tokens.payroll, payroll(90_000));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'allowed', decision: { effect: 'allow' } });
    const done = await call('POST', `/v1/actions/${String(r.body.id)}/outcome`, tokens.payroll, {
      outcome: { updated: true },
      durationMs: 5,
    });
    expect(done).toMatchObject({ status: 200, body: { status: 'executed', outcome: { updated: true } } });
  });

  it('waits for approval, long-polls, and continues once approved', async () => {
    const r = await call('POST', '/v1/actions', tokens.payroll, payroll(250_000));
    expect(r.status).toBe(202);
    const approval = r.body.approval as { id: string; approvers: string[]; expiresAt: string };
    expect(approval.approvers).toEqual(['fiona@acme.test']);
    expect(Date.parse(approval.expiresAt)).toBeGreaterThan(Date.now());
    const polled = call('GET', `/v1/actions/${String(r.body.id)}?wait=10s`, tokens.payroll);
    const inbox = await call('GET', '/v1/approvals?mine=true', tokens.fiona);
    expect((inbox.body.approvals as { id: string }[]).map((a) => a.id)).toContain(approval.id);
    const voted = await call('POST', `/v1/approvals/${approval.id}/approve`, tokens.fiona, {
      comment: 'signed',
    });
    expect(voted).toMatchObject({ status: 200, body: { status: 'granted' } });
    expect(await polled).toMatchObject({ status: 200, body: { status: 'allowed' } });
  });

  it('streams action and approval events (SSE): people see the inbox, an agent only its own actions', async () => {
    const fiona = await events(String(tokens.fiona));
    const bot = await events(String(tokens.payroll));
    const r = await call('POST', '/v1/actions', tokens.payroll, payroll(260_000));
    const id = String(r.body.id);
    const approval = await fiona.next((e) => e.event === 'approval' && e.data.action === id);
    expect(approval.data).toMatchObject({
      status: 'pending',
      approvers: ['fiona@acme.test'],
      request: payroll(260_000),
    });
    expect((await bot.next((e) => e.event === 'action' && e.data.id === id)).data).toMatchObject({
      status: 'pending_approval',
    });
    await call('POST', `/v1/approvals/${String(approval.data.id)}/approve`, tokens.fiona, {});
    expect((await bot.next((e) => e.event === 'action' && e.data.id === id)).data).toMatchObject({
      status: 'allowed',
    });
    expect(bot.seen.every((e) => e.event === 'action')).toBe(true);
    fiona.close();
    bot.close();
    expect((await fetch(`${url}/v1/events`)).status).toBe(401);
  });

  it('refuses with codes: no token, another agent, a viewer voting, bad input', async () => {
    expect(await call('POST', '/v1/actions', undefined, payroll(1))).toMatchObject({
      status: 401,
      body: { error: { code: 'AOS_UNAUTHENTICATED' } },
    });
    expect(
      await call('POST', '/v1/actions', tokens.payroll, { agent: 'identity-bot', action: 'x.y' }),
    ).toMatchObject({ status: 403, body: { error: { code: 'AOS_FORBIDDEN' } } });
    const pending = await call('POST', '/v1/actions', tokens.payroll, payroll(300_000));
    const id = (pending.body.approval as { id: string }).id;
    expect(await call('POST', `/v1/approvals/${id}/approve`, tokens.viewer, {})).toMatchObject({
      status: 403,
      body: { error: { code: 'AOS_FORBIDDEN' } },
    });
    for (const bad of ['{bad', JSON.stringify({ ...payroll(1), extra: 1 }), JSON.stringify([])]) {
      const r = await call('POST', '/v1/actions', tokens.payroll, bad);
      expect(r.status).toBe(400);
      expect((r.body.error as { code: string }).code).toBe('AOS_REQUEST_INVALID');
    }
    const huge = await oversized('/v1/actions', tokens.payroll ?? '', 1_100_000);
    expect(huge).toMatch(/^HTTP\/1\.1 413 /);
    expect(huge).toContain('"code":"AOS_REQUEST_INVALID"');
    expect(await call('GET', '/v1/actions/act_nothing', tokens.payroll)).toMatchObject({
      status: 404,
      body: { error: { code: 'AOS_NOT_FOUND' } },
    });
  });

  it('stop holds actions (202), cont decides them; only the owner or an admin signals', async () => {
    expect(
      await call('POST', '/v1/signals', tokens.viewer, {
        signal: 'stop',
        scope: 'agent',
        target: 'payroll-bot',
      }),
    ).toMatchObject({ status: 403 });
    const stop = await call('POST', '/v1/signals', tokens.olivia, {
      signal: 'stop',
      scope: 'agent',
      target: 'payroll-bot',
      reason: 'audit',
    });
    expect(stop).toMatchObject({
      status: 200,
      body: { agents: ['payroll-bot'], standing: { signal: 'stop' } },
    });
    const held = await call('POST', '/v1/actions', tokens.payroll, payroll(90_000));
    expect(held).toMatchObject({ status: 202, body: { status: 'held' } });
    const cont = await call('POST', '/v1/signals', tokens.olivia, {
      signal: 'cont',
      scope: 'agent',
      target: 'payroll-bot',
    });
    expect(cont).toMatchObject({ status: 200, body: { released: 1 } });
    const after = await call('GET', `/v1/actions/${String(held.body.id)}`, tokens.payroll);
    expect(after.body.status).toBe('allowed');
  });

  it('applies org changes at run time: a moved agent and a departed owner are governed at once', async () => {
    const orgText = readFileSync(join(example, 'org.yaml'), 'utf8');
    const moved = orgText.replace(/(id: payroll-bot[\s\S]*?department: )finance-payroll/, '$1hr-compliance');
    expect(moved).not.toBe(orgText);
    expect(await call('POST', '/v1/org', tokens.viewer, { text: moved })).toMatchObject({
      status: 403,
      body: { error: { code: 'AOS_FORBIDDEN' } },
    });
    const invalid = await call('POST', '/v1/org', tokens.olivia, {
      text: 'kind: Organization\n',
      file: 'x.yaml',
    });
    expect(invalid.status).toBe(400);
    expect((invalid.body.error as { code: string; message: string }).message).toMatch(/^x\.yaml:\d+:\d+: /);
    const dry = await call('POST', '/v1/org', tokens.olivia, { text: moved, dryRun: true });
    expect(dry).toMatchObject({
      status: 200,
      body: {
        applied: false,
        changes: [
          {
            kind: 'agent',
            id: 'payroll-bot',
            change: 'changed',
            fields: ['department: finance-payroll → hr-compliance'],
          },
        ],
      },
    });
    expect((await call('POST', '/v1/actions', tokens.payroll, payroll(90_000))).body.status).toBe('allowed');
    const applied = await call('POST', '/v1/org', tokens.olivia, { text: moved });
    expect(applied).toMatchObject({ status: 200, body: { applied: true, version: { version: 2 } } });
    // the finance-payroll policy no longer applies to it: default deny
    const after = await call('POST', '/v1/actions', tokens.payroll, payroll(90_000));
    expect(after.body).toMatchObject({ status: 'denied' });
    expect((await call('GET', '/healthz')).body).toMatchObject({ org: 2 });

    const left = orgText.replace(/(id: gina@acme\.test[^}]*?manager: fiona@acme\.test)/, '$1, active: false');
    expect(left).not.toBe(orgText);
    expect((await call('POST', '/v1/org', tokens.olivia, { text: left })).status).toBe(200);
    const suspended = await call('POST', '/v1/actions', tokens.payroll, payroll(90_000));
    expect(suspended.body).toMatchObject({
      status: 'denied',
      decision: { rules: ['contract.owner-inactive'] },
    });
  });

  it('shuts down gracefully on SIGTERM, and the ledger verifies with every refusal in it', async () => {
    await events(String(tokens.olivia)); // an open event stream must not hold the shutdown up
    expect(await daemon.stop('SIGTERM')).toBe(0);
    const v = agentos(['audit', 'verify']);
    expect(v.stdout).toMatch(/^ok: \d+ records/);
    const q = agentos(['audit', 'query', '--type', 'access.denied', '--json']);
    const denied = q.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { body: { code: string } });
    // another agent, a viewer voting, a viewer signalling, a viewer applying an org
    expect(denied.map((r) => r.body.code)).toEqual(Array(4).fill('AOS_FORBIDDEN'));
  });
});

interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Opens `GET /v1/events` and reads server-sent events from it. */
async function events(token: string) {
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const seen: StreamEvent[] = [];
  let buffer = '';
  let read = 0;
  return {
    seen,
    /** The next event (from where the last call stopped) that `match` accepts, within 10 s. */
    async next(match: (e: StreamEvent) => boolean): Promise<StreamEvent> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        while (read < seen.length) {
          const e = seen[read++] as StreamEvent;
          if (match(e)) return e;
        }
        if (Date.now() > deadline) throw new Error('no matching event');
        const chunk = await reader.read();
        if (chunk.done) throw new Error('the stream ended');
        buffer += decoder.decode(chunk.value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) seen.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    },
    close: () => controller.abort(),
  };
}
