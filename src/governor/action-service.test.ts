/**
 * The daemon's use cases on a real SQLite store with the real writer and the example organisation:
 * authentication, the pipeline, approvals routed by the org (quorum, timeout, separation of duties,
 * a changed request), signals, and the ledger records every step leaves — refusals included.
 */
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { kernelFixture } from '../../test/support/kernel.js';
import { isAgentOsError, type ErrorCode } from '../kernel/errors.js';
import { authenticate, createCredential } from './auth.js';

const HOUR = 3_600_000;
const kernels = kernelFixture();
afterEach(kernels.closeAll);
afterAll(kernels.dispose);
const kernel = kernels.kernel;

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'resolved'> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    if (isAgentOsError(e)) return e.code;
    throw e;
  }
}

const payroll = (salary: number) => ({
  agent: 'payroll-bot',
  action: 'payroll.update',
  resource: 'employee/1042',
  args: { salary },
});

describe('ActionService: the pipeline over the API', () => {
  it('allows, then records the reported outcome (advisory)', async () => {
    const k = await kernel();
    const bot = await k.agent('payroll-bot');
    const view = await k.actions.submit(bot, payroll(90_000));
    expect(view.status).toBe('allowed');
    const done = await k.actions.report(bot, view.id, { outcome: { ok: true } }, 12);
    expect(done).toMatchObject({ status: 'executed', outcome: { ok: true } });
    const completed = await k.records('action.completed');
    expect(completed.map((r) => r.body)).toEqual([
      { action: view.id, agent: 'payroll-bot', executor: 'report', outcome: { ok: true }, durationMs: 12 },
    ]);
    expect(await codeOf(k.actions.report(bot, view.id, { outcome: null }, 0))).toBe('AOS_CONFLICT');
  });

  it('lets an agent act only as itself, and records the refusal', async () => {
    const k = await kernel();
    const bot = await k.agent('identity-bot');
    expect(await codeOf(k.actions.submit(bot, payroll(1)))).toBe('AOS_FORBIDDEN');
    const denied = await k.records('access.denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]?.body).toMatchObject({
      who: { kind: 'agent', id: 'identity-bot' },
      agent: 'payroll-bot',
      code: 'AOS_FORBIDDEN',
    });
    expect(await k.records('action.requested')).toEqual([]);
  });

  it('refuses revoked and unknown secrets', async () => {
    const k = await kernel();
    const cred = await createCredential(k.auth, k.org, 'payroll-bot');
    await k.store.credentials.revoke(cred.id, new Date().toISOString());
    expect(await codeOf(authenticate(k.auth, k.org, `Bearer ${cred.secret}`))).toBe('AOS_UNAUTHENTICATED');
    expect(await codeOf(authenticate(k.auth, k.org, 'Bearer aosa_nothing-like-this-exists'))).toBe(
      'AOS_UNAUTHENTICATED',
    );
    expect(await codeOf(authenticate(k.auth, k.org, undefined))).toBe('AOS_UNAUTHENTICATED');
  });
});

describe('ActionService: approvals', () => {
  it('routes to the department approver, waits, and allows once approved', async () => {
    const k = await kernel();
    const bot = await k.agent('payroll-bot');
    const view = await k.actions.submit(bot, payroll(250_000));
    expect(view.status).toBe('pending_approval');
    // finance-payroll has no approvers; finance's is fiona
    expect(view.approval?.approvers).toEqual(['fiona@acme.test']);
    const waiting = k.actions.view(bot, view.id, 5_000);
    const fiona = await k.person('fiona@acme.test');
    const approval = await k.actions.approvals.vote(
      fiona,
      view.approval?.id ?? '',
      'approve',
      'offer signed',
    );
    expect(approval.status).toBe('granted');
    expect((await waiting).status).toBe('allowed');
    const types = (await k.records()).map((r) => r.type).filter((t) => t.startsWith('approval.'));
    expect(types).toEqual(['approval.requested', 'approval.voted', 'approval.granted']);
  });

  it('reminds the people asked once, when a quarter of the wait is left, and tells live listeners', async () => {
    const k = await kernel();
    const bot = await k.agent('payroll-bot');
    const view = await k.actions.submit(bot, payroll(250_000)); // 4h to answer
    const heard: string[] = [];
    k.actions.subscribe((e) => {
      if (e.type === 'approval') heard.push(e.approval.id);
    });
    k.clock.t += 2 * HOUR;
    await k.actions.approvals.sweep();
    expect(await k.records('approval.reminded')).toEqual([]);
    k.clock.t += HOUR + 60_000; // 59 minutes left
    await k.actions.approvals.sweep();
    const sent = await k.records('approval.reminded');
    expect(sent.map((r) => r.body)).toEqual([
      {
        approval: view.approval?.id,
        action: view.id,
        agent: 'payroll-bot',
        approvers: ['fiona@acme.test'],
        expiresAt: view.approval?.expiresAt,
      },
    ]);
    expect(heard).toEqual([view.approval?.id]);
    k.clock.t += 30_000;
    await k.actions.approvals.sweep();
    expect(await k.records('approval.reminded')).toHaveLength(1);
    // the approval still works as before
    const fiona = await k.person('fiona@acme.test');
    expect((await k.actions.approvals.vote(fiona, view.approval?.id ?? '', 'approve')).status).toBe(
      'granted',
    );
  });

  it('refuses people outside the route, the owner, a second vote and a changed request', async () => {
    const k = await kernel();
    const view = await k.actions.submit(await k.agent('payroll-bot'), payroll(250_000));
    const id = view.approval?.id ?? '';
    expect(await codeOf(k.actions.approvals.vote(await k.person('dana@acme.test'), id, 'approve'))).toBe(
      'AOS_FORBIDDEN',
    );
    expect(await codeOf(k.actions.approvals.vote(await k.person('gina@acme.test'), id, 'approve'))).toBe(
      'AOS_FORBIDDEN',
    );
    expect(
      await codeOf(k.actions.approvals.vote(await k.person('kim@acme.test', 'viewer'), id, 'approve')),
    ).toBe('AOS_FORBIDDEN');
    // the stored request changes under the approval: the vote no longer matches its hash
    const db = new Database(k.file);
    db.prepare('UPDATE actions SET request = replace(request, ?, ?) WHERE id = ?').run(
      '250000',
      '990000',
      view.id,
    );
    db.close();
    expect(await codeOf(k.actions.approvals.vote(await k.person('fiona@acme.test'), id, 'approve'))).toBe(
      'AOS_FORBIDDEN',
    );
    const refusals = (await k.records('access.denied')).map((r) => (r.body as { reason: string }).reason);
    expect(refusals).toHaveLength(4);
    expect(refusals[3]).toMatch(/another version of the request/);
  });

  it('escalates a silent manager up the chain, and a long-poll sees who is asked now', async () => {
    const k = await kernel();
    const bot = await k.agent('access-bot'); // assisted: every action goes to kim's manager, ivan
    const view = await k.actions.submit(bot, {
      agent: 'access-bot',
      action: 'app.access.grant',
      args: { app: 'slack' },
    });
    expect(view.approval?.approvers).toEqual(['ivan@acme.test']);
    const waiting = k.actions.view(bot, view.id, 5_000);
    k.clock.t += 24 * HOUR + 1;
    expect(await k.actions.approvals.sweep()).toBe(1);
    const seen = await waiting;
    expect(seen.status).toBe('pending_approval');
    expect(seen.approval?.approvers).toEqual(['olivia@acme.test']);
    const expired = await k.records('approval.expired');
    expect(expired[0]?.body).toMatchObject({ escalated: true, approvers: ['olivia@acme.test'] });
  });

  it('times out into a denial', async () => {
    const k = await kernel();
    const bot = await k.agent('payroll-bot');
    const view = await k.actions.submit(bot, payroll(250_000));
    k.clock.t += 4 * HOUR + 1; // the rule's timeout is 4h
    expect(await k.actions.approvals.sweep()).toBe(1);
    expect(await k.actions.view(bot, view.id)).toMatchObject({
      status: 'denied',
      approval: { status: 'expired' },
    });
    expect((await k.records('approval.expired'))[0]?.body).toMatchObject({
      action: view.id,
      escalated: false,
    });
  });
});

describe('SignalService', () => {
  it('stop holds new actions, cont decides them', async () => {
    const k = await kernel();
    const bot = await k.agent('payroll-bot');
    const gina = await k.person('gina@acme.test', 'viewer'); // the owner may stop their own agent
    await k.signals.send(gina, 'stop', 'agent', 'payroll-bot', 'audit');
    const held = await k.actions.submit(bot, payroll(90_000));
    expect(held.status).toBe('held');
    const report = await k.signals.send(gina, 'cont', 'agent', 'payroll-bot');
    expect(report.released).toBe(1);
    expect((await k.actions.view(bot, held.id)).status).toBe('allowed');
    expect(
      (await k.records()).map((r) => r.type).filter((t) => t.startsWith('signal.') || t === 'action.held'),
    ).toEqual(['signal.stop', 'action.held', 'signal.cont']);
  });

  it('kill refuses, revokes credentials and cancels pending approvals; only admins kill departments', async () => {
    const k = await kernel();
    const bot = await k.agent('payroll-bot');
    const pending = await k.actions.submit(bot, payroll(250_000));
    expect(
      await codeOf(k.signals.send(await k.person('fiona@acme.test'), 'kill', 'department', 'finance')),
    ).toBe('AOS_FORBIDDEN');
    const report = await k.signals.send(
      await k.person('olivia@acme.test', 'admin'),
      'kill',
      'department',
      'finance',
    );
    expect(report.agents).toEqual(['payroll-bot']);
    expect(report.revoked).toBe(1);
    expect((await k.actions.view(await k.person('olivia@acme.test', 'viewer'), pending.id)).status).toBe(
      'denied',
    );
    const again = await k.agent('payroll-bot'); // a new credential minted after the kill still acts for a killed agent
    const refused = await k.actions.submit(again, payroll(1));
    expect(refused.status).toBe('denied');
    expect(refused.decision).toMatchObject({ rules: ['signal.kill'] });
  });
});
