/**
 * The read API the console uses, over real HTTP on loopback: `agentos serve` as a real process on the
 * example organisation, tokens and credentials minted by the real CLI. Every refusal is `403` coded and
 * recorded as `access.denied`; `POST /v1/explain` records nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExampleNode, type Daemon } from '../support/daemon.js';

const node = new ExampleNode('agentos-read-');
let daemon: Daemon;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  tokens.payroll = node.credential('payroll-bot');
  tokens.olivia = node.token('olivia@acme.test', 'admin');
  tokens.auditor = node.token('sec@acme.test', 'auditor');
  tokens.viewer = node.token('kim@acme.test', 'viewer');
  daemon = await node.serve();
});

afterAll(async () => {
  await daemon.stop('SIGKILL');
  node.remove();
});

async function call(method: string, path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(daemon.url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

type Rec = { seq: number; type: string; body: Record<string, unknown> };
const records = async (query = '') =>
  (await call('GET', `/v1/ledger?limit=1000${query}`, tokens.auditor)).body.records as Rec[];

describe('the console read API', () => {
  it('says who the caller is', async () => {
    expect((await call('GET', '/v1/me', tokens.viewer)).body).toMatchObject({
      kind: 'person',
      id: 'kim@acme.test',
      role: 'viewer',
      name: 'Kim (identity admin)',
      permissions: ['actions.read', 'approvals.read', 'agents.read'],
    });
    expect((await call('GET', '/v1/me', tokens.payroll)).body).toMatchObject({
      kind: 'agent',
      id: 'payroll-bot',
      department: 'finance-payroll',
    });
    expect((await call('GET', '/v1/me')).status).toBe(401);
  });

  it('lists agents with their state and why: suspended when the owner left, stopped by a signal', async () => {
    const stop = await call('POST', '/v1/signals', tokens.olivia, {
      signal: 'stop',
      scope: 'department',
      target: 'it-hardware',
      reason: 'audit',
    });
    expect(stop.status).toBe(200);
    const { agents } = (await call('GET', '/v1/agents', tokens.viewer)).body as {
      agents: { id: string; state: string; reason?: string; signal?: { scope: string } }[];
    };
    const by = new Map(agents.map((a) => [a.id, a]));
    expect(by.get('legacy-sync-bot')).toMatchObject({
      state: 'suspended',
      contractRule: 'contract.owner-inactive',
    });
    expect(by.get('hardware-bot')).toMatchObject({ state: 'stopped', signal: { scope: 'department' } });
    expect(by.get('hardware-bot')?.reason).toMatch(/department `it-hardware`.*audit/);
    expect(by.get('payroll-bot')).toMatchObject({ state: 'active', owner: 'gina@acme.test', autonomy: 2 });
    expect(by.get('planner-bot')).toMatchObject({
      state: 'active',
      contractRule: 'contract.autonomy-observe',
    });
    await call('POST', '/v1/signals', tokens.olivia, {
      signal: 'cont',
      scope: 'department',
      target: 'it-hardware',
    });
  });

  it('shows the org with the policies that apply to each department and agent', async () => {
    const org = (await call('GET', '/v1/org', tokens.viewer)).body as {
      departments: { id: string; effectiveApprovers: string[]; policies: { name: string }[] }[];
      agents: { id: string; policies: { name: string }[] }[];
    };
    const payroll = org.departments.find((d) => d.id === 'finance-payroll');
    expect(payroll?.effectiveApprovers).toEqual(['fiona@acme.test']);
    expect(payroll?.policies.map((p) => p.name).sort()).toEqual(['finance-payroll', 'org-baseline']);
    const access = org.agents.find((a) => a.id === 'access-bot');
    expect(access?.policies.map((p) => p.name).sort()).toEqual(['app-access', 'it', 'org-baseline']);
  });

  it('explains a decision without recording anything', async () => {
    const before = await records();
    const r = await call('POST', '/v1/explain', tokens.viewer, {
      agent: 'payroll-bot',
      action: 'payroll.update',
      resource: 'employee/1042',
      args: { salary: 250_000 },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      explanation: {
        decision: { effect: 'require_approval', approvers: ['fiona@acme.test'] },
        contract: { ok: true },
      },
      route: { levels: [{ approvers: ['fiona@acme.test'], quorum: 1 }] },
    });
    expect(await records()).toEqual(before);
    const bad = await call('POST', '/v1/explain', tokens.viewer, { action: 'x' });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'AOS_REQUEST_INVALID' } } });
  });

  it('pages through the ledger with filters and verifies the chain', async () => {
    const first = (await call('GET', '/v1/ledger?limit=2', tokens.auditor)).body as {
      records: Rec[];
      next: number;
    };
    expect(first.records.map((r) => r.seq)).toEqual([1, 2]);
    const second = (await call('GET', `/v1/ledger?limit=2&after=${first.next}`, tokens.auditor)).body as {
      records: Rec[];
    };
    expect(second.records.map((r) => r.seq)).toEqual([3, 4]);
    const stops = await records('&type=signal.stop');
    expect(stops).toHaveLength(1);
    expect(stops[0]?.body).toMatchObject({ target: 'it-hardware', by: 'olivia@acme.test' });
    expect(await call('GET', '/v1/ledger/verify', tokens.auditor)).toMatchObject({
      status: 200,
      body: { ok: true, checked: { macs: true, signatures: true } },
    });
    const bad = await call('GET', '/v1/ledger?type=nope', tokens.auditor);
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'AOS_REQUEST_INVALID' } } });
  });

  it('lists actions in a status; an agent sees only its own', async () => {
    const held = await call('POST', '/v1/signals', tokens.olivia, {
      signal: 'stop',
      scope: 'agent',
      target: 'payroll-bot',
    });
    expect(held.status).toBe(200);
    const submitted = await call('POST', '/v1/actions', tokens.payroll, {
      agent: 'payroll-bot',
      action: 'payroll.update',
      resource: 'employee/1',
      args: { salary: 1 },
    });
    expect(submitted.body.status).toBe('held');
    const list = (await call('GET', '/v1/actions?status=held', tokens.viewer)).body.actions as {
      id: string;
    }[];
    expect(list.map((a) => a.id)).toEqual([submitted.body.id]);
    expect((await call('GET', '/v1/actions?status=held', tokens.payroll)).status).toBe(200);
    const other = await call('GET', '/v1/actions?status=held&agent=identity-bot', tokens.payroll);
    expect(other).toMatchObject({ status: 403, body: { error: { code: 'AOS_FORBIDDEN' } } });
    expect((await call('GET', '/v1/actions', tokens.viewer)).status).toBe(400);
    await call('POST', '/v1/signals', tokens.olivia, {
      signal: 'cont',
      scope: 'agent',
      target: 'payroll-bot',
    });
  });

  it('refuses callers without the permission with 403, and records each refusal', async () => {
    const refused = [
      await call('GET', '/v1/ledger', tokens.viewer),
      await call('GET', '/v1/ledger/verify', tokens.viewer),
      await call('GET', '/v1/agents', tokens.payroll),
      await call('POST', '/v1/explain', tokens.payroll, { agent: 'payroll-bot', action: 'payroll.update' }),
    ];
    for (const r of refused)
      expect(r).toMatchObject({ status: 403, body: { error: { code: 'AOS_FORBIDDEN' } } });
    const denied = (await records('&type=access.denied')).map((r) => r.body);
    expect(denied).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          who: { kind: 'person', id: 'kim@acme.test', role: 'viewer' },
          what: 'ledger.read',
        }),
        expect.objectContaining({ who: { kind: 'agent', id: 'payroll-bot' }, what: 'agents.read' }),
      ]),
    );
  });

  it('serves the console: `/` redirects, assets revalidate with an etag', async () => {
    const home = await fetch(daemon.url + '/', { redirect: 'manual' });
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/console/');
    const css = await fetch(daemon.url + '/console/console.css');
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.headers.get('cache-control')).toBe('no-cache');
    const etag = css.headers.get('etag') ?? '';
    const again = await fetch(daemon.url + '/console/console.css', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await fetch(daemon.url + '/console/../package.json')).status).toBe(404);
  });
});
