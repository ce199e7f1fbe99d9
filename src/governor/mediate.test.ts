/**
 * mediate(): how a gateway's call is admitted, waited on, run and recorded, on a real kernel (SQLite, the
 * writer, the example org). The gateway's own work is a counter here, so a call that must not run is seen
 * not to.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { kernelFixture } from '../../test/support/kernel.js';
import { AgentOsError } from '../kernel/errors.js';
import { mediate, refusal, type Mediated } from './mediate.js';

const kernels = kernelFixture();
afterEach(kernels.closeAll);
afterAll(kernels.dispose);

const payroll = (salary: number) => ({
  agent: 'payroll-bot',
  action: 'payroll.update',
  resource: 'employee/1042',
  args: { salary },
});

/** A gateway's work: counts its runs and answers with the salary it set. */
function work() {
  const calls: string[] = [];
  const run = (view: { id: string }): Promise<Mediated<string>> => {
    calls.push(view.id);
    return Promise.resolve({ value: 'done', outcome: { status: 200 } });
  };
  return { calls, run };
}

describe('mediate', () => {
  it('runs an allowed call once and records its outcome as the gateway', async () => {
    const k = await kernels.kernel();
    const bot = await k.agent('payroll-bot');
    const w = work();
    const r = await mediate(k.actions, bot, payroll(90_000), 'test', w.run);
    expect(r).toMatchObject({ ran: true, value: 'done', view: { status: 'executed' } });
    expect(w.calls).toEqual([r.view.id]);
    const completed = await k.records('action.completed');
    expect(completed.map((c) => c.body)).toEqual([
      expect.objectContaining({ action: r.view.id, executor: 'gateway:test', outcome: { status: 200 } }),
    ]);
  });

  it('never runs a denied call, and says why with a code', async () => {
    const k = await kernels.kernel();
    const bot = await k.agent('payroll-bot');
    const w = work();
    const r = await mediate(k.actions, bot, { ...payroll(1), resource: 'building/7' }, 'test', w.run);
    expect(r.ran).toBe(false);
    expect(w.calls).toEqual([]);
    expect(refusal(r.view)).toMatchObject({ code: 'AOS_DENIED' });
    expect(refusal(r.view).message).toContain(r.view.id);
    expect(await k.records('action.completed')).toEqual([]);
  });

  it('gives up on an approval not granted in time, telling onWait, and leaves the action waiting', async () => {
    const k = await kernels.kernel();
    const bot = await k.agent('payroll-bot');
    const w = work();
    const seen: string[] = [];
    const r = await mediate(k.actions, bot, payroll(250_000), 'test', w.run, {
      waitMs: 50,
      pollMs: 10,
      onWait: (v) => seen.push(v.status),
    });
    expect(r.ran).toBe(false);
    expect(w.calls).toEqual([]);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.every((s) => s === 'pending_approval')).toBe(true);
    expect(refusal(r.view)).toMatchObject({ code: 'AOS_APPROVAL_PENDING' });
    expect(refusal(r.view).message).toContain('fiona@acme.test');
  });

  it('runs a call once it is approved while waiting', async () => {
    const k = await kernels.kernel();
    const bot = await k.agent('payroll-bot');
    const fiona = await k.person('fiona@acme.test');
    const w = work();
    const pending = mediate(k.actions, bot, payroll(250_000), 'test', w.run, {
      waitMs: 10_000,
      onWait: (v) => {
        if (v.approval) void k.actions.approvals.vote(fiona, v.approval.id, 'approve', 'signed');
      },
    });
    const r = await pending;
    expect(r.ran).toBe(true);
    expect(w.calls).toHaveLength(1);
  });

  it('holds the call of a stopped agent and does not run it', async () => {
    const k = await kernels.kernel();
    const bot = await k.agent('payroll-bot');
    await k.signals.send(await k.person('gina@acme.test'), 'stop', 'agent', 'payroll-bot', 'audit');
    const w = work();
    const r = await mediate(k.actions, bot, payroll(1), 'test', w.run);
    expect(r.ran).toBe(false);
    expect(refusal(r.view)).toMatchObject({ code: 'AOS_HELD' });
    expect(w.calls).toEqual([]);
  });

  it('records a failed run as the action error and rethrows it', async () => {
    const k = await kernels.kernel();
    const bot = await k.agent('payroll-bot');
    const failing = () => Promise.reject(new AgentOsError('AOS_UPSTREAM_FAILED', 'upstream refused'));
    await expect(mediate(k.actions, bot, payroll(1), 'test', failing)).rejects.toThrow('upstream refused');
    const failed = await k.records('action.failed');
    expect(failed.map((c) => c.body)).toEqual([
      expect.objectContaining({
        executor: 'gateway:test',
        error: { code: 'AOS_UPSTREAM_FAILED', message: 'upstream refused' },
      }),
    ]);
  });

  it('stops waiting as soon as the daemon closes, long before the deadline', async () => {
    const k = await kernels.kernel();
    const bot = await k.agent('payroll-bot');
    const w = work();
    let ended = false;
    const pending = mediate(k.actions, bot, payroll(250_000), 'test', w.run, {
      waitMs: 600_000,
      onWait: () => {
        if (!ended) {
          ended = true;
          setTimeout(() => k.actions.endWaits(), 20);
        }
      },
    });
    // the test's own timeout (5 s) is far below the wait: it passes only if closing ends the wait
    const r = await pending;
    expect(r.ran).toBe(false);
    expect(r.view.status).toBe('pending_approval');
    expect(w.calls).toEqual([]);
  });

  it('refuses to act for another agent than the caller', async () => {
    const k = await kernels.kernel();
    const bot = await k.agent('payroll-bot');
    const r = mediate(k.actions, bot, { ...payroll(1), agent: 'someone-else' }, 'test', work().run);
    await expect(r).rejects.toMatchObject({ code: 'AOS_FORBIDDEN' });
  });
});
