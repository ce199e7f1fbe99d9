/**
 * The contract of the daemon's tables (tokens, actions, approvals, signals, and revoking an agent's
 * credentials): one suite, run against every store (daemon-sqlite.test.ts, daemon-postgres.test.ts).
 * Every test gets a fresh, migrated, empty database; `open` makes another instance (connection) on it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type {
  ActionStatus,
  DaemonStore,
  StandingSignal,
  StoredAction,
  StoredApproval,
  StoredToken,
} from '../../src/governor/store.js';
import { rejectsWith } from './store.contract.js';

/** What the suite exercises: the daemon's part of a store, and closing it. */
export type DaemonTables = Pick<
  DaemonStore,
  'credentials' | 'tokens' | 'actions' | 'approvals' | 'signals'
> & {
  /** Closes the instance's connection(s); later calls reject with a coded error. */
  close(): Promise<void>;
};

/** A fresh database whose schema includes the daemon's tables. */
export interface DaemonDatabase {
  /** A new instance on this database. */
  open(): Promise<DaemonTables>;
}

/** How an adapter's test file plugs into the contract. */
export interface DaemonHarness {
  /** A new, migrated, empty database; cleaned up by the harness itself. */
  fresh(): Promise<DaemonDatabase>;
}

/** ISO-8601 UTC `n` seconds after a fixed instant. */
export function at(n: number): string {
  return new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString();
}

function token(id: string, person: string, created: number): Omit<StoredToken, 'revokedAt'> {
  return { id, person, role: 'approver', hash: `hash-${id}`, createdAt: at(created) };
}

function action(
  id: string,
  agent: string,
  status: ActionStatus,
  created: number,
): Omit<StoredAction, 'revision'> {
  return {
    id,
    agent,
    status,
    request: JSON.stringify({ agent, tool: 'shell.exec', input: { command: `echo ${id}` } }),
    createdAt: at(created),
    updatedAt: at(created),
  };
}

function approval(
  id: string,
  status: StoredApproval['status'],
  expires: number,
): Omit<StoredApproval, 'revision'> {
  return {
    id,
    action: `act_${id}`,
    agent: 'ag-1',
    status,
    state: JSON.stringify({ id, level: 0, votes: [] }),
    expiresAt: at(expires),
    updatedAt: at(0),
  };
}

function signal(
  scope: StandingSignal['scope'],
  target: string,
  kind: StandingSignal['signal'],
  by = 'p-ops',
): StandingSignal {
  return { scope, target, signal: kind, by, time: at(1), reason: `${kind} by ${by}` };
}

/** Registers the contract suite for one adapter. */
export function daemonContract(name: string, harness: DaemonHarness): void {
  describe(`daemon tables contract: ${name}`, () => {
    const opened: DaemonTables[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((t) => t.close()));
    });

    async function setup(): Promise<{ store: DaemonTables; another: () => Promise<DaemonTables> }> {
      const db = await harness.fresh();
      const another = async (): Promise<DaemonTables> => {
        const t = await db.open();
        opened.push(t);
        return t;
      };
      return { store: await another(), another };
    }

    describe('tokens', () => {
      it('stores a token and finds it by id and by hash, never with a revocation it does not have', async () => {
        const { store } = await setup();
        const t = token('tok_1', 'p-alice', 1);
        await store.tokens.put(t);
        expect(await store.tokens.get('tok_1')).toEqual(t);
        expect(await store.tokens.byHash('hash-tok_1')).toEqual(t);
        expect(await store.tokens.get('tok_2')).toBeUndefined();
        expect(await store.tokens.byHash('hash-tok_2')).toBeUndefined();
        expect(await store.tokens.byHash('')).toBeUndefined();
      });

      it('refuses a duplicate id or hash with AOS_STORE_CONFLICT and keeps the first', async () => {
        const { store } = await setup();
        const t = token('tok_1', 'p-alice', 1);
        await store.tokens.put(t);
        await rejectsWith(store.tokens.put({ ...t, hash: 'other' }), 'AOS_STORE_CONFLICT');
        await rejectsWith(store.tokens.put({ ...t, id: 'tok_2', person: 'p-bob' }), 'AOS_STORE_CONFLICT');
        expect(await store.tokens.list()).toEqual([t]);
        expect(await store.tokens.byHash('other')).toBeUndefined();
      });

      it('revokes a token once: true, then false; an unknown token is false', async () => {
        const { store } = await setup();
        await store.tokens.put(token('tok_1', 'p-alice', 1));
        await store.tokens.put(token('tok_2', 'p-alice', 2));
        expect(await store.tokens.revoke('tok_1', at(10))).toBe(true);
        expect(await store.tokens.revoke('tok_1', at(11))).toBe(false);
        expect(await store.tokens.revoke('tok_9', at(11))).toBe(false);
        // a revoked token is still found (the caller refuses it), with the first revocation time
        expect(await store.tokens.byHash('hash-tok_1')).toEqual({
          ...token('tok_1', 'p-alice', 1),
          revokedAt: at(10),
        });
        expect((await store.tokens.get('tok_2'))?.revokedAt).toBeUndefined();
      });

      it('lists tokens newest first, of one person or of all', async () => {
        const { store } = await setup();
        const tokens = [
          token('tok_b', 'p-alice', 2),
          token('tok_a', 'p-bob', 1),
          token('tok_d', 'p-alice', 4),
          token('tok_c', 'p-alice', 3),
        ];
        for (const t of tokens) await store.tokens.put(t);
        await store.tokens.revoke('tok_c', at(5));
        const ids = (list: StoredToken[]): string[] => list.map((t) => t.id);
        expect(ids(await store.tokens.list())).toEqual(['tok_d', 'tok_c', 'tok_b', 'tok_a']);
        expect(ids(await store.tokens.list('p-alice'))).toEqual(['tok_d', 'tok_c', 'tok_b']);
        expect(await store.tokens.list('p-bob')).toEqual([tokens[1]]);
        expect(await store.tokens.list('p-nobody')).toEqual([]);
        expect((await store.tokens.list('p-alice'))[1]?.revokedAt).toBe(at(5));
      });
    });

    describe('actions', () => {
      it('stores a new action at revision 1 and reads it back', async () => {
        const { store, another } = await setup();
        const a = action('act_1', 'ag-1', 'held', 1);
        const stored = await store.actions.put(a);
        expect(stored).toEqual({ ...a, revision: 1 });
        expect(await store.actions.get('act_1')).toEqual(stored);
        expect(await (await another()).actions.get('act_1')).toEqual(stored);
        expect(await store.actions.get('act_2')).toBeUndefined();
        const full = {
          ...action('act_2', 'ag-1', 'pending_approval', 2),
          decision: '{"effect":"approve"}',
          approval: 'apr_1',
        };
        expect(await store.actions.put(full)).toEqual({ ...full, revision: 1 });
        expect(await store.actions.get('act_2')).toEqual({ ...full, revision: 1 });
      });

      it('refuses a duplicate id with AOS_STORE_CONFLICT and keeps the first', async () => {
        const { store } = await setup();
        const first = await store.actions.put(action('act_1', 'ag-1', 'held', 1));
        await rejectsWith(store.actions.put(action('act_1', 'ag-2', 'allowed', 2)), 'AOS_STORE_CONFLICT');
        expect(await store.actions.get('act_1')).toEqual(first);
      });

      it('writes sent together each stand alone: a conflicting one fails, the others are stored', async () => {
        const { store } = await setup();
        const [a, b, c] = await Promise.allSettled([
          store.actions.put(action('act_1', 'ag-1', 'held', 1)),
          store.actions.put(action('act_1', 'ag-2', 'allowed', 2)),
          store.actions.put(action('act_2', 'ag-3', 'denied', 3)),
        ]);
        // Which of the two act_1 writes wins may depend on the store (a pool commits in any order); one does.
        const winner = a?.status === 'fulfilled' ? a : b;
        const loser = a?.status === 'fulfilled' ? b : a;
        expect([winner?.status, loser?.status, c?.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((loser as PromiseRejectedResult).reason).toMatchObject({ code: 'AOS_STORE_CONFLICT' });
        const stored = (winner as PromiseFulfilledResult<StoredAction>).value;
        expect(await store.actions.get('act_1')).toEqual(stored);
        expect((await store.actions.get('act_2'))?.agent).toBe('ag-3');
      });

      it('updates at the current revision: bumps it, changes the given fields, keeps the others', async () => {
        const { store } = await setup();
        const a = action('act_1', 'ag-1', 'held', 1);
        await store.actions.put(a);
        const decided = await store.actions.update('act_1', 1, {
          status: 'pending_approval',
          decision: '{"effect":"approve"}',
          approval: 'apr_1',
          updatedAt: at(2),
        });
        expect(decided).toEqual({
          ...a,
          status: 'pending_approval',
          decision: '{"effect":"approve"}',
          approval: 'apr_1',
          updatedAt: at(2),
          revision: 2,
        });
        const finished = await store.actions.update('act_1', 2, {
          status: 'executed',
          outcome: '{"exit":0}',
        });
        expect(finished).toEqual({ ...decided, status: 'executed', outcome: '{"exit":0}', revision: 3 });
        expect(await store.actions.get('act_1')).toEqual(finished);
      });

      it('changes nothing at a stale revision or for an unknown action, and resolves undefined', async () => {
        const { store } = await setup();
        await store.actions.put(action('act_1', 'ag-1', 'held', 1));
        const current = await store.actions.update('act_1', 1, { status: 'allowed', updatedAt: at(2) });
        expect(current?.revision).toBe(2);
        expect(await store.actions.update('act_1', 1, { status: 'denied', outcome: 'x' })).toBeUndefined();
        expect(await store.actions.update('act_1', 3, { status: 'denied' })).toBeUndefined();
        expect(await store.actions.update('act_9', 1, { status: 'denied' })).toBeUndefined();
        expect(await store.actions.get('act_1')).toEqual(current);
        expect(await store.actions.get('act_9')).toBeUndefined();
      });

      it('lets exactly one of two instances updating the same revision win', async () => {
        const { store: a, another } = await setup();
        const b = await another();
        await a.actions.put(action('act_1', 'ag-1', 'held', 1));
        for (let revision = 1; revision <= 10; revision++) {
          const results = await Promise.all([
            a.actions.update('act_1', revision, { outcome: `a${revision}` }),
            b.actions.update('act_1', revision, { outcome: `b${revision}` }),
          ]);
          const won = results.filter((r) => r !== undefined);
          expect(won).toHaveLength(1);
          expect(await a.actions.get('act_1')).toEqual(won[0]);
        }
        expect((await b.actions.get('act_1'))?.revision).toBe(11);
      });

      it('lists the actions in one status, oldest first, of one agent or all, up to a limit', async () => {
        const { store } = await setup();
        await store.actions.put(action('act_4', 'ag-1', 'held', 4));
        await store.actions.put(action('act_1', 'ag-2', 'held', 1));
        await store.actions.put(action('act_3', 'ag-1', 'held', 3));
        await store.actions.put(action('act_2', 'ag-1', 'allowed', 2));
        await store.actions.put(action('act_5', 'ag-1', 'held', 5));
        await store.actions.update('act_5', 1, { status: 'denied' });
        const ids = (list: StoredAction[]): string[] => list.map((a) => a.id);
        expect(ids(await store.actions.withStatus('held'))).toEqual(['act_1', 'act_3', 'act_4']);
        expect(ids(await store.actions.withStatus('held', { agent: 'ag-1' }))).toEqual(['act_3', 'act_4']);
        expect(ids(await store.actions.withStatus('held', { limit: 2 }))).toEqual(['act_1', 'act_3']);
        expect(ids(await store.actions.withStatus('held', { agent: 'ag-1', limit: 1 }))).toEqual(['act_3']);
        expect(await store.actions.withStatus('held', { limit: 0 })).toEqual([]);
        expect(ids(await store.actions.withStatus('denied'))).toEqual(['act_5']);
        expect(await store.actions.withStatus('executed')).toEqual([]);
        expect(await store.actions.withStatus('held', { agent: 'ag-9' })).toEqual([]);
        expect((await store.actions.withStatus('allowed'))[0]).toEqual({
          ...action('act_2', 'ag-1', 'allowed', 2),
          revision: 1,
        });
      });

      it('round-trips large and unicode JSON exactly', async () => {
        const { store } = await setup();
        const request = JSON.stringify({
          agent: 'агент-🦀',
          input: { text: 'x'.repeat(256 * 1024), nul: 'a\u0000b', lone: '\ud800', rtl: 'סֵפֶר' },
        });
        const a = { ...action('act_ü', 'агент-🦀', 'held', 1), request };
        await store.actions.put(a);
        expect(await store.actions.get('act_ü')).toEqual({ ...a, revision: 1 });
        expect((await store.actions.withStatus('held', { agent: 'агент-🦀' }))[0]?.request).toBe(request);
      });
    });

    describe('approvals', () => {
      it('stores a new approval at revision 1, refuses a duplicate id, and reads it back', async () => {
        const { store } = await setup();
        const a = approval('apr_1', 'pending', 10);
        const stored = await store.approvals.put(a);
        expect(stored).toEqual({ ...a, revision: 1 });
        expect(await store.approvals.get('apr_1')).toEqual(stored);
        expect(await store.approvals.get('apr_2')).toBeUndefined();
        await rejectsWith(store.approvals.put({ ...a, state: '{}' }), 'AOS_STORE_CONFLICT');
        expect(await store.approvals.get('apr_1')).toEqual(stored);
      });

      it('updates at the current revision only; a stale one changes nothing', async () => {
        const { store } = await setup();
        const a = approval('apr_1', 'pending', 10);
        await store.approvals.put(a);
        const change = {
          status: 'pending' as const,
          state: '{"level":1}',
          expiresAt: at(20),
          updatedAt: at(5),
        };
        const next = await store.approvals.update('apr_1', 1, change);
        expect(next).toEqual({ ...a, ...change, revision: 2 });
        const stale = { status: 'granted' as const, state: '{}', expiresAt: at(30), updatedAt: at(6) };
        expect(await store.approvals.update('apr_1', 1, stale)).toBeUndefined();
        expect(await store.approvals.update('apr_9', 1, stale)).toBeUndefined();
        expect(await store.approvals.get('apr_1')).toEqual(next);
        const granted = await store.approvals.update('apr_1', 2, stale);
        expect(granted).toEqual({ ...a, ...stale, revision: 3 });
      });

      it('lists pending approvals only, soonest to expire first, due before a time, up to a limit', async () => {
        const { store } = await setup();
        await store.approvals.put(approval('apr_c', 'pending', 30));
        await store.approvals.put(approval('apr_a', 'pending', 10));
        await store.approvals.put(approval('apr_x', 'granted', 5));
        await store.approvals.put(approval('apr_y', 'expired', 1));
        await store.approvals.put(approval('apr_b', 'pending', 20));
        await store.approvals.put(approval('apr_d', 'pending', 40));
        // finishing one takes it out of the pending list
        await store.approvals.update('apr_d', 1, {
          status: 'denied',
          state: '{}',
          expiresAt: at(40),
          updatedAt: at(2),
        });
        const ids = (list: StoredApproval[]): string[] => list.map((a) => a.id);
        expect(ids(await store.approvals.pending())).toEqual(['apr_a', 'apr_b', 'apr_c']);
        expect(ids(await store.approvals.pending({ dueBefore: at(20) }))).toEqual(['apr_a']); // before: exclusive
        expect(ids(await store.approvals.pending({ dueBefore: at(21) }))).toEqual(['apr_a', 'apr_b']);
        expect(ids(await store.approvals.pending({ limit: 2 }))).toEqual(['apr_a', 'apr_b']);
        expect(ids(await store.approvals.pending({ dueBefore: at(100), limit: 1 }))).toEqual(['apr_a']);
        expect(await store.approvals.pending({ dueBefore: at(10) })).toEqual([]);
        expect(await store.approvals.pending({ limit: 0 })).toEqual([]);
        expect((await store.approvals.pending())[0]).toEqual({
          ...approval('apr_a', 'pending', 10),
          revision: 1,
        });
      });
    });

    describe('signals', () => {
      it('raises a stop, and a kill replaces it; a stop never replaces a kill', async () => {
        const { store } = await setup();
        const stop = signal('agent', 'ag-1', 'stop');
        expect(await store.signals.raise(stop)).toEqual(stop);
        const newer = { ...signal('agent', 'ag-1', 'stop', 'p-bob'), time: at(2) };
        expect(await store.signals.raise(newer)).toEqual(newer); // a stop over a stop is set again
        const kill = { ...signal('agent', 'ag-1', 'kill'), time: at(3) };
        expect(await store.signals.raise(kill)).toEqual(kill);
        const late = { ...signal('agent', 'ag-1', 'stop', 'p-bob'), time: at(4) };
        expect(await store.signals.raise(late)).toEqual(kill); // what stands: the kill
        expect(await store.signals.list()).toEqual([kill]);
      });

      it('clears a stop but not a kill, resolving with what stands afterwards', async () => {
        const { store } = await setup();
        await store.signals.raise(signal('agent', 'ag-1', 'stop'));
        const kill = signal('department', 'ops', 'kill');
        await store.signals.raise(kill);
        expect(await store.signals.clear('agent', 'ag-1')).toBeUndefined();
        expect(await store.signals.clear('department', 'ops')).toEqual(kill);
        expect(await store.signals.clear('agent', 'ag-9')).toBeUndefined();
        expect(await store.signals.list()).toEqual([kill]);
      });

      it('keeps one signal per (scope, target) and lists them all', async () => {
        const { store, another } = await setup();
        const all = signal('all', '*', 'stop');
        const dept = {
          scope: 'department' as const,
          target: 'ops',
          signal: 'stop' as const,
          by: 'p-x',
          time: at(1),
        };
        const agent = signal('agent', 'ops', 'kill'); // same target string, other scope
        for (const s of [all, dept, agent]) await store.signals.raise(s);
        const listed = await (await another()).signals.list();
        expect(listed).toHaveLength(3);
        expect(listed).toEqual(expect.arrayContaining([all, dept, agent]));
        expect(listed.find((s) => s.scope === 'department')).toEqual(dept); // no reason: none stored
        expect(await store.signals.clear('department', 'ops')).toBeUndefined();
        expect(await store.signals.list()).toEqual(expect.arrayContaining([all, agent]));
        expect(await store.signals.list()).toHaveLength(2);
      });
    });

    describe('credentials', () => {
      it('revokes every unrevoked credential of one agent and counts them; other agents keep theirs', async () => {
        const { store } = await setup();
        const cred = (id: string, agent: string): Parameters<DaemonTables['credentials']['put']>[0] => ({
          id,
          agent,
          hash: `hash-${id}`,
          createdAt: at(1),
        });
        for (const c of [cred('c1', 'ag-1'), cred('c2', 'ag-1'), cred('c3', 'ag-1'), cred('c4', 'ag-2')]) {
          await store.credentials.put(c);
        }
        expect(await store.credentials.revoke('c3', at(2))).toBe(true);
        expect(await store.credentials.revokeAgent('ag-1', at(5))).toBe(2);
        expect((await store.credentials.get('c1'))?.revokedAt).toBe(at(5));
        expect((await store.credentials.byHash('hash-c2'))?.revokedAt).toBe(at(5));
        expect((await store.credentials.get('c3'))?.revokedAt).toBe(at(2)); // keeps its first revocation
        expect(await store.credentials.get('c4')).toEqual(cred('c4', 'ag-2'));
        expect(await store.credentials.revokeAgent('ag-1', at(6))).toBe(0);
        expect(await store.credentials.revokeAgent('ag-9', at(6))).toBe(0);
        expect(await store.credentials.revokeAgent('ag-2', at(7))).toBe(1);
      });
    });

    it('fails closed with AOS_STORE_UNAVAILABLE once closed', async () => {
      const { store } = await setup();
      await store.actions.put(action('act_1', 'ag-1', 'held', 1));
      await store.close();
      const code = 'AOS_STORE_UNAVAILABLE';
      await rejectsWith(store.tokens.put(token('tok_1', 'p', 1)), code);
      await rejectsWith(store.tokens.list(), code);
      await rejectsWith(store.actions.get('act_1'), code);
      await rejectsWith(store.actions.update('act_1', 1, { status: 'allowed' }), code);
      await rejectsWith(store.actions.withStatus('held'), code);
      await rejectsWith(store.approvals.put(approval('apr_1', 'pending', 1)), code);
      await rejectsWith(store.approvals.pending(), code);
      await rejectsWith(store.signals.raise(signal('all', '*', 'kill')), code);
      await rejectsWith(store.signals.clear('all', '*'), code);
      await rejectsWith(store.signals.list(), code);
      await rejectsWith(store.credentials.revokeAgent('ag-1', at(1)), code);
    });
  });
}
