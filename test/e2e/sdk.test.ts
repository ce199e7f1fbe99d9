/**
 * The client SDK end to end: a real `agentos serve` on loopback with the example organisation, an agent's
 * credential and people's tokens minted by the real CLI, and the SDK speaking real HTTP to it. What the
 * agent reports is read back from the ledger with `agentos audit query`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActionDeniedError,
  AgentOsApiError,
  ApprovalTimeoutError,
  connect,
  type ActionInput,
  type AgentOsClient,
} from '../../src/index.js';
import { ExampleNode, type Daemon } from '../support/daemon.js';
import { closedPort } from '../support/loopback.js';

const node = new ExampleNode('agentos-sdk-');
const agentos = (args: string[]) => node.agentos(args);

let daemon: Daemon;
let url = '';
let agent: AgentOsClient;
let fiona: AgentOsClient;
const tokens = { payroll: '', fiona: '' };

beforeAll(async () => {
  tokens.payroll = node.credential('payroll-bot');
  tokens.fiona = node.token('fiona@acme.test', 'approver');
  daemon = await node.serve();
  url = daemon.url;
  agent = connect({ url, credential: tokens.payroll, agent: 'payroll-bot' });
  fiona = connect({ url, credential: tokens.fiona });
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

/** The approval fiona is asked to vote on for this action, once it is open. */
async function approvalFor(action: () => string | undefined): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const id = action();
    const found = id && (await fiona.approvals.list({ mine: true })).find((a) => a.action === id);
    if (found) return found.id;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no approval opened');
}

/** Records of one type in the ledger, as `audit query --json` prints them. */
function ledger(type: string): { body: Record<string, unknown> }[] {
  const r = agentos(['audit', 'query', '--type', type, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { body: Record<string, unknown> });
}

describe('execute', () => {
  it('allows an action, and the reported outcome makes it executed', async () => {
    const result = await agent.execute(payroll(90_000));
    expect(result).toMatchObject({ status: 'allowed', decision: { effect: 'allow' } });
    const done = await agent.report(result.id, { outcome: { updated: true } }, 3);
    expect(done).toMatchObject({ id: result.id, status: 'executed', outcome: { updated: true } });
  });

  it('returns a denial as a result, with the decision', async () => {
    const result = await agent.execute({ action: 'payroll.update', resource: 'contract/7' });
    expect(result.status).toBe('denied');
    expect(result.decision).toMatchObject({ effect: 'deny' });
    expect(result.decision.reason).toMatch(/default deny/);
  });

  it('waits through approval: pending, approved by a person over the API, then allowed', async () => {
    let id: string | undefined;
    const sdkFetch = async (input: string, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (init?.method === 'POST' && input.endsWith('/v1/actions')) {
        id = ((await res.clone().json()) as { id: string }).id;
      }
      return res;
    };
    const watched = connect({ url, credential: tokens.payroll, agent: 'payroll-bot', fetch: sdkFetch });
    const pending = watched.execute(payroll(250_000), { timeoutMs: 20_000 });
    const approval = await approvalFor(() => id);
    expect(await fiona.approvals.approve(approval, 'signed')).toMatchObject({ status: 'granted' });
    const result = await pending;
    expect(result).toMatchObject({ id, status: 'allowed', approval: { id: approval } });
    expect(result.decision.effect).toBe('require_approval');
  });

  it('gives up with ApprovalTimeoutError when nobody votes in time; the action stays pending', async () => {
    const err: unknown = await agent.execute(payroll(260_000), { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApprovalTimeoutError);
    const view = (err as ApprovalTimeoutError).action;
    expect(view.status).toBe('pending_approval');
    expect((await agent.action(view.id)).status).toBe('pending_approval');
  });

  it('honours an abort signal while waiting', async () => {
    const controller = new AbortController();
    const waiting = agent.execute(payroll(270_000), { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 200);
    await expect(waiting).rejects.toThrow('shutting down');
  });
});

describe('tool', () => {
  it('runs the function only when allowed and records its outcome in the ledger', async () => {
    const calls: { employee: string; salary: number }[] = [];
    const update = agent.tool(
      'payroll.update',
      async (p: { employee: string; salary: number }) => {
        calls.push(p);
        return { employee: p.employee, salary: p.salary, updated: true };
      },
      { resource: (p) => `employee/${p.employee}` },
    );
    expect(await update({ employee: '2001', salary: 95_000 })).toEqual({
      employee: '2001',
      salary: 95_000,
      updated: true,
    });
    expect(calls).toHaveLength(1);
    const completed = ledger('action.completed').map((r) => r.body);
    expect(completed).toContainEqual(
      expect.objectContaining({
        agent: 'payroll-bot',
        executor: 'report',
        outcome: { employee: '2001', salary: 95_000, updated: true },
      }),
    );

    const denied = agent.tool('payroll.update', async () => calls.push({ employee: 'x', salary: 0 }), {
      resource: 'contract/7',
    });
    const err: unknown = await denied().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionDeniedError);
    expect((err as ActionDeniedError).decision.effect).toBe('deny');
    expect(calls).toHaveLength(1);
  });

  it('reports the error a tool throws, and rethrows it', async () => {
    const failing = agent.tool(
      'payroll.update',
      async (_p: { salary: number }) => {
        throw Object.assign(new Error('payroll system is down'), { code: 'PAYROLL_DOWN' });
      },
      { resource: 'employee/3003' },
    );
    await expect(failing({ salary: 80_000 })).rejects.toThrow('payroll system is down');
    const failed = ledger('action.failed').map((r) => r.body);
    expect(failed).toContainEqual(
      expect.objectContaining({
        executor: 'report',
        error: { code: 'PAYROLL_DOWN', message: 'payroll system is down' },
      }),
    );
  });

  it('waits through approval; a person denying it throws ActionDeniedError and the tool never runs', async () => {
    let ran = 0;
    let id: string | undefined;
    const watched = connect({
      url,
      credential: tokens.payroll,
      agent: 'payroll-bot',
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        if (init?.method === 'POST' && input.endsWith('/v1/actions')) {
          id = ((await res.clone().json()) as { id: string }).id;
        }
        return res;
      },
    });
    const raise = watched.tool('payroll.update', async (_p: { salary: number }) => ++ran, {
      resource: 'employee/1042',
      timeoutMs: 20_000,
    });
    const call = raise({ salary: 300_000 }).catch((e: unknown) => e);
    const approval = await approvalFor(() => id);
    expect(await fiona.approvals.deny(approval, 'too much')).toMatchObject({ status: 'denied' });
    const err = await call;
    expect(err).toBeInstanceOf(ActionDeniedError);
    expect((err as ActionDeniedError).action).toMatchObject({ id, status: 'denied' });
    expect(ran).toBe(0);
  });
});

describe('errors', () => {
  const codeOf = async (p: Promise<unknown>) => {
    const e: unknown = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AgentOsApiError);
    const { code, status } = e as AgentOsApiError;
    return { code, status };
  };

  it('carries the API code and status', async () => {
    const stranger = connect({ url, credential: 'aosa_not-a-real-credential-at-all', agent: 'payroll-bot' });
    expect(await codeOf(stranger.execute(payroll(1)))).toEqual({ code: 'AOS_UNAUTHENTICATED', status: 401 });
    expect(await codeOf(agent.execute({ ...payroll(1), agent: 'identity-bot' }))).toEqual({
      code: 'AOS_FORBIDDEN',
      status: 403,
    });
    expect(await codeOf(agent.action('act_nothing'))).toEqual({ code: 'AOS_NOT_FOUND', status: 404 });
    const denied = await agent.execute({ action: 'payroll.update', resource: 'contract/7' });
    expect(await codeOf(agent.report(denied.id, { outcome: null }))).toEqual({
      code: 'AOS_CONFLICT',
      status: 409,
    });
    expect(await codeOf(agent.approvals.list())).toEqual({ code: 'AOS_FORBIDDEN', status: 403 });
  });

  it('is refused before sending when no agent is known', async () => {
    const anonymous = connect({ url, credential: tokens.payroll });
    expect(await codeOf(anonymous.execute(payroll(1)))).toEqual({ code: 'AOS_USAGE', status: 0 });
    expect(() => anonymous.tool('payroll.update', async () => 1)).toThrow(AgentOsApiError);
  });

  it('wraps a network failure as AOS_IO with the URL and the cause', async () => {
    const port = await closedPort();
    const offline = connect({
      url: `http://127.0.0.1:${port}/`,
      credential: tokens.payroll,
      agent: 'payroll-bot',
    });
    const e: unknown = await offline.execute(payroll(1)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AgentOsApiError);
    expect(e).toMatchObject({ code: 'AOS_IO', status: 0 });
    expect((e as Error).message).toContain(`http://127.0.0.1:${port}`);
    expect((e as Error).cause).toBeInstanceOf(Error);
  });
});

/** A loopback port nobody listens on (just closed). */
