/**
 * The storage contract: one suite, run against every `Store` adapter (sqlite.test.ts, postgres.test.ts).
 * Every test gets a fresh, empty database; `open` makes another instance (connection) on the same database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isAgentOsError, type ErrorCode } from '../../src/kernel/errors.js';
import type { JsonValue, LedgerRecord, RecordType } from '../../src/kernel/ledger/record.js';
import type { LedgerQuery, Store } from '../../src/governor/store.js';

/** A fresh database for one test. */
export interface StoreDatabase {
  /** A new, unmigrated store instance on this database. */
  open(): Promise<Store>;
  /** A migrated store instance on this database whose connection may read but not write. */
  openReadOnly(): Promise<Store>;
  /**
   * Brings the empty database to schema `version` only, as an older build would have left it, and stores
   * `records` in its ledger straight through the driver (the columns of that version only).
   */
  legacy(version: number, records: readonly LedgerRecord[]): Promise<void>;
  /** Tries to change a stored ledger row straight through the driver; must reject (append-only). */
  tamper(): Promise<unknown>;
}

/** How an adapter's test file plugs into the contract. */
export interface StoreHarness {
  /** A new empty database; cleaned up by the harness itself. */
  fresh(): Promise<StoreDatabase>;
}

/** A well-formed record (the chain fields are placeholders: the store does not verify MACs). */
export function record(
  stream: string,
  seq: number,
  body: JsonValue = { n: seq },
  type?: RecordType,
): LedgerRecord {
  const ms = Date.UTC(2026, 0, 1) + seq * 1000;
  return {
    stream,
    seq,
    time: new Date(ms).toISOString(),
    type: type ?? 'action.requested',
    body,
    prev: (seq - 1).toString(16).padStart(64, '0'),
    keyId: 'k1',
    mac: seq.toString(16).padStart(64, '0'),
  };
}

/** The records `from`…`to` of a stream. */
export function records(stream: string, from: number, to: number): LedgerRecord[] {
  return Array.from({ length: to - from + 1 }, (_, i) => record(stream, from + i));
}

/** A body's indexed field as the stores define it: a top-level string without U+0000, else none. */
function indexed(body: JsonValue, key: 'agent' | 'episode'): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const v = (body as Record<string, JsonValue>)[key];
  return typeof v === 'string' && !v.includes('\u0000') ? v : undefined;
}

/** What `read(query)` must return from `stored` (every record in the store), computed independently. */
export function model(stored: readonly LedgerRecord[], q: LedgerQuery): LedgerRecord[] {
  const byKey = (a: LedgerRecord, b: LedgerRecord): number =>
    a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.seq - b.seq;
  return [...stored]
    .sort(byKey)
    .filter(
      (r) =>
        (q.stream === undefined || r.stream === q.stream) &&
        (q.fromSeq === undefined || r.seq >= q.fromSeq) &&
        (q.since === undefined || r.time >= q.since) &&
        (q.until === undefined || r.time < q.until) &&
        (q.type === undefined || r.type === q.type) &&
        (q.agent === undefined || indexed(r.body, 'agent') === q.agent) &&
        (q.episode === undefined || indexed(r.body, 'episode') === q.episode),
    )
    .slice(0, q.limit ?? Infinity);
}

/**
 * Records whose bodies exercise the indexed fields: agents and episodes that are strings, numbers, arrays,
 * nested or absent; bodies that are arrays, strings or null; U+0000 inside and outside the fields.
 */
export function indexedRecords(stream: string, count: number): LedgerRecord[] {
  const bodies = (seq: number): JsonValue => {
    switch (seq % 8) {
      case 0:
        return { agent: 'ag-A', episode: `ep-${seq % 3}`, n: seq };
      case 1:
        return { agent: 'ag-A', n: seq };
      case 2:
        return { agent: 'ag-B', episode: 'ep-1' };
      case 3:
        return { agent: 7, episode: ['ep-1'], nested: { agent: 'ag-A', episode: 'ep-1' } };
      case 4:
        return ['agent', 'ag-A'];
      case 5:
        return { note: 'nul\u0000 elsewhere', agent: 'ag-A', episode: 'ep-2' };
      case 6:
        return seq % 16 === 6 ? 'ag-A' : null;
      default:
        return { agent: 'ag-\u0000A', episode: 'ep-\u0000' };
    }
  };
  return Array.from({ length: count }, (_, i) =>
    record(stream, i + 1, bodies(i + 1), i % 5 === 0 ? 'action.decided' : 'action.requested'),
  );
}

/** Queries over `indexedRecords` that combine the indexed filters with every other one. */
export function indexedQueries(stream: string): LedgerQuery[] {
  const t = (seq: number): string => record(stream, seq).time;
  return [
    { agent: 'ag-A' },
    { agent: 'ag-B' },
    { episode: 'ep-1' },
    { agent: 'ag-A', episode: 'ep-2' },
    { agent: 'ag-A', stream },
    { agent: 'ag-A', stream: 'other' },
    { agent: 'ag-A', type: 'action.decided' },
    { agent: 'ag-A', since: t(100), until: t(700) },
    { agent: 'ag-A', fromSeq: 50, limit: 501 },
    { episode: 'ep-0', fromSeq: 9, limit: 3 },
    { agent: 'ag-A', limit: 0 },
    { agent: 'nobody' },
    { agent: 'ag-\u0000A' }, // U+0000 is never indexed
    { episode: 'ep-\u0000' },
  ];
}

/** Collects an async iterable. */
export async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Asserts a promise rejects with an AgentOsError of `code` and returns it. */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isAgentOsError(e)) throw new Error(`expected ${code}, got ${e === undefined ? 'success' : String(e)}`);
  expect(e.code).toBe(code);
  return e;
}

/** Registers the contract suite for one adapter. */
export function storeContract(name: string, harness: StoreHarness): void {
  describe(`store contract: ${name}`, () => {
    const opened: Store[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    async function setup(): Promise<{ db: StoreDatabase; store: Store; another: () => Promise<Store> }> {
      const db = await harness.fresh();
      const another = async (): Promise<Store> => {
        const s = await db.open();
        opened.push(s);
        await s.migrate();
        return s;
      };
      return { db, store: await another(), another };
    }

    describe('migrations', () => {
      it('migrate brings an empty database up once, then is a no-op from any instance', async () => {
        const db = await harness.fresh();
        const a = await db.open();
        opened.push(a);
        const first = await a.migrate();
        expect(first.from).toBe(0);
        expect(first.to).toBeGreaterThan(0);
        expect(await a.migrate()).toEqual({ from: first.to, to: first.to });
        const b = await db.open();
        opened.push(b);
        expect(await b.migrate()).toEqual({ from: first.to, to: first.to });
      });

      it('concurrent migrations from two instances both succeed', async () => {
        const db = await harness.fresh();
        const [a, b] = [await db.open(), await db.open()];
        opened.push(a, b);
        const results = await Promise.all([a.migrate(), b.migrate()]);
        expect(results.map((r) => r.to)).toEqual([results[0]?.to, results[0]?.to]);
        await a.ledger.append([record('s', 1)]);
        expect((await b.ledger.last('s'))?.seq).toBe(1);
      });
    });

    describe('ledger', () => {
      it('starts empty', async () => {
        const { store } = await setup();
        expect(await store.ledger.last('s')).toBeUndefined();
        expect(await store.ledger.streams()).toEqual([]);
        expect(await all(store.ledger.read())).toEqual([]);
      });

      it('reads back exactly what was appended, and last() is the newest', async () => {
        const { store } = await setup();
        const batch = [
          record('node-a', 1, { a: [1, 2.5, -3e-7, true, null], nested: { z: 'x', a: {} } }),
          record('node-a', 2, 'a string body', 'action.decided'),
          record('node-a', 3, 42, 'checkpoint'),
        ];
        await store.ledger.append(batch);
        expect(await all(store.ledger.read())).toEqual(batch);
        expect(await store.ledger.last('node-a')).toEqual(batch[2]);
        await store.ledger.append([]); // an empty batch is a no-op
        expect(await all(store.ledger.read())).toHaveLength(3);
      });

      it('returns records in (stream, seq) order whatever the append order', async () => {
        const { store } = await setup();
        await store.ledger.append(records('b', 1, 3));
        await store.ledger.append([record('a', 1), record('c', 1), record('a', 2)]);
        await store.ledger.append(records('B', 1, 1)); // byte order: uppercase before lowercase
        const got = (await all(store.ledger.read())).map((r) => `${r.stream}#${r.seq}`);
        expect(got).toEqual(['B#1', 'a#1', 'a#2', 'b#1', 'b#2', 'b#3', 'c#1']);
        expect(await store.ledger.streams()).toEqual(['B', 'a', 'b', 'c']);
      });

      it('filters by stream, fromSeq, time window, type and limit, across pages', async () => {
        const { store } = await setup();
        await store.ledger.append(records('x', 1, 1200)); // more than one read page
        await store.ledger.append([record('y', 1, null, 'signal.stop'), record('y', 2)]);
        const read = async (q: Parameters<Store['ledger']['read']>[0]): Promise<string[]> =>
          (await all(store.ledger.read(q))).map((r) => `${r.stream}#${r.seq}`);
        expect(await read({ stream: 'x' })).toHaveLength(1200);
        expect(await read({ stream: 'x', fromSeq: 1199 })).toEqual(['x#1199', 'x#1200']);
        expect(await read({ limit: 3 })).toEqual(['x#1', 'x#2', 'x#3']);
        expect(await read({ stream: 'x', fromSeq: 100, limit: 501 })).toHaveLength(501);
        expect((await read({ stream: 'x', fromSeq: 100, limit: 501 })).at(-1)).toBe('x#600');
        expect(await read({ type: 'signal.stop' })).toEqual(['y#1']);
        const window = { since: record('x', 10).time, until: record('x', 12).time };
        expect(await read(window)).toEqual(['x#10', 'x#11']); // since inclusive, until exclusive
        expect(await read({ ...window, since: record('y', 1).time })).toEqual([
          'x#1',
          'x#2',
          'x#3',
          'x#4',
          'x#5',
          'x#6',
          'x#7',
          'x#8',
          'x#9',
          'x#10',
          'x#11',
          'y#1',
          'y#2',
        ]);
        expect(await read({ stream: 'z' })).toEqual([]);
        expect(await read({ limit: 0 })).toEqual([]);
      });

      it('filters by agent and episode (top-level strings of the body) with the other filters, across pages', async () => {
        const { store } = await setup();
        const stored = [...indexedRecords('x', 1300), ...indexedRecords('w', 40), ...indexedRecords('y', 9)];
        await store.ledger.append(stored.slice(0, 1300));
        await store.ledger.append(stored.slice(1300));
        for (const q of [...indexedQueries('x'), { agent: 'ag-A', stream: 'w' }]) {
          expect(await all(store.ledger.read(q)), JSON.stringify(q)).toEqual(model(stored, q));
        }
        // more than one read page of one agent, in (stream, seq) order
        expect((await all(store.ledger.read({ agent: 'ag-A' }))).length).toBeGreaterThan(500);
      });

      it('migrates a populated ledger from schema 1: fills agent and episode, stays append-only', async () => {
        const db = await harness.fresh();
        const old = [...indexedRecords('x', 1100), ...indexedRecords('y', 20)];
        await db.legacy(1, old);
        const store = await db.open();
        opened.push(store);
        const migrated = await store.migrate();
        expect(migrated.from).toBe(1);
        expect(migrated.to).toBeGreaterThan(1);
        expect(await all(store.ledger.read())).toEqual(model(old, {}));
        for (const q of indexedQueries('x')) {
          expect(await all(store.ledger.read(q)), JSON.stringify(q)).toEqual(model(old, q));
        }
        await expect(db.tamper()).rejects.toThrow(/append-only/);
        const next = record('x', 1101, { agent: 'ag-A', episode: 'ep-new' });
        await store.ledger.append([next]);
        expect(await all(store.ledger.read({ episode: 'ep-new' }))).toEqual([next]);
        expect(await store.migrate()).toEqual({ from: migrated.to, to: migrated.to });
      });

      it('refuses a duplicate seq, a gap and a wrong first seq, with AOS_LEDGER_CONFLICT', async () => {
        const { store } = await setup();
        await rejectsWith(store.ledger.append([record('s', 2)]), 'AOS_LEDGER_CONFLICT');
        await rejectsWith(store.ledger.append([record('s', 0)]), 'AOS_LEDGER_CONFLICT');
        await store.ledger.append(records('s', 1, 2));
        await rejectsWith(store.ledger.append([record('s', 2)]), 'AOS_LEDGER_CONFLICT');
        await rejectsWith(store.ledger.append([record('s', 1)]), 'AOS_LEDGER_CONFLICT');
        const gap = await rejectsWith(store.ledger.append([record('s', 4)]), 'AOS_LEDGER_CONFLICT');
        expect(gap.message).toContain('expected seq 3');
        await rejectsWith(store.ledger.append([record('s', 3), record('s', 3)]), 'AOS_LEDGER_CONFLICT');
        await rejectsWith(store.ledger.append([record('s', 3), record('s', 5)]), 'AOS_LEDGER_CONFLICT');
        expect((await store.ledger.last('s'))?.seq).toBe(2);
      });

      it('writes a batch all or nothing, across streams', async () => {
        const { store } = await setup();
        await store.ledger.append([record('a', 1)]);
        const bad = [record('b', 1), record('b', 2), record('a', 2), record('a', 4)];
        await rejectsWith(store.ledger.append(bad), 'AOS_LEDGER_CONFLICT');
        expect(await store.ledger.streams()).toEqual(['a']);
        expect(await all(store.ledger.read())).toEqual([record('a', 1)]);
        await store.ledger.append([record('b', 1), record('a', 2), record('b', 2)]);
        expect((await all(store.ledger.read())).map((r) => `${r.stream}#${r.seq}`)).toEqual([
          'a#1',
          'a#2',
          'b#1',
          'b#2',
        ]);
      });

      it('lets exactly one of two instances racing for the same seq win; the other gets a conflict', async () => {
        const { store: a, another } = await setup();
        const b = await another();
        for (let round = 1; round <= 10; round++) {
          const seq = ((await a.ledger.last('s'))?.seq ?? 0) + 1;
          const results = await Promise.allSettled([
            a.ledger.append([record('s', seq, { by: 'a' })]),
            b.ledger.append([record('s', seq, { by: 'b' }), record('s', seq + 1, { by: 'b' })]),
          ]);
          const won = results.filter((r) => r.status === 'fulfilled');
          const lost = results.filter((r) => r.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          const reason = (lost[0] as PromiseRejectedResult).reason as unknown;
          expect(isAgentOsError(reason) && reason.code).toBe('AOS_LEDGER_CONFLICT');
        }
        const seqs = (await all(b.ledger.read({ stream: 's' }))).map((r) => r.seq);
        expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // contiguous: no gap, no duplicate
      });

      it('stores large bodies', async () => {
        const { store } = await setup();
        const big = {
          text: 'x'.repeat(2 * 1024 * 1024),
          list: Array.from({ length: 20_000 }, (_, i) => ({ i, s: `item ${i}` })),
        };
        await store.ledger.append([record('big', 1, big)]);
        expect((await store.ledger.last('big'))?.body).toEqual(big);
      });

      it('round-trips unicode in streams and bodies, including NUL and lone surrogates', async () => {
        const { store } = await setup();
        const body = {
          emoji: '🦀👩🏽‍💻',
          cjk: '台帳の記録',
          rtl: 'סֵפֶר חֶשְׁבּוֹנוֹת',
          combining: 'e\u0301 vs \u00e9',
          controls: 'nul\u0000tab\tnl\n',
          lone: '\ud800 and \udfff',
          'ключ 🔑': 'значение',
        };
        await store.ledger.append([record('节点-α', 1, body)]);
        const [got] = await all(store.ledger.read({ stream: '节点-α' }));
        expect(got?.body).toEqual(body);
        expect(await store.ledger.streams()).toEqual(['节点-α']);
      });

      it('keeps what was acknowledged after close and reopen; a closed store refuses with a code', async () => {
        const { db, store } = await setup();
        await store.ledger.append(records('s', 1, 5));
        await store.close();
        await rejectsWith(store.ledger.append([record('s', 6)]), 'AOS_LEDGER_UNAVAILABLE');
        await rejectsWith(store.ledger.last('s'), 'AOS_LEDGER_UNAVAILABLE');
        await store.close(); // idempotent
        const again = await db.open();
        opened.push(again);
        expect(await again.migrate()).toMatchObject({ from: expect.any(Number) as number });
        expect(await all(again.ledger.read())).toEqual(records('s', 1, 5));
        await again.ledger.append([record('s', 6)]);
        expect((await again.ledger.last('s'))?.seq).toBe(6);
      });

      it('fails closed with AOS_LEDGER_UNAVAILABLE when the connection cannot write, and writes nothing', async () => {
        const { db, store } = await setup();
        await store.ledger.append(records('s', 1, 2));
        const ro = await db.openReadOnly();
        opened.push(ro);
        expect((await ro.ledger.last('s'))?.seq).toBe(2);
        await rejectsWith(ro.ledger.append([record('s', 3), record('s', 4)]), 'AOS_LEDGER_UNAVAILABLE');
        await rejectsWith(ro.ledger.append([record('new', 1)]), 'AOS_LEDGER_UNAVAILABLE');
        expect(await all(store.ledger.read())).toEqual(records('s', 1, 2));
        await rejectsWith(ro.agents.put({ agent: 'a', state: 'active', time: 't' }), 'AOS_STORE_UNAVAILABLE');
      });
    });

    describe('versions', () => {
      it('numbers org and policy versions separately and stores content once per hash', async () => {
        const { store, another } = await setup();
        expect(await store.versions.latest('org')).toBeUndefined();
        const v1 = await store.versions.put({ kind: 'org', content: 'org: 1 🏢', time: 't1' });
        const p1 = await store.versions.put({ kind: 'policy', content: 'org: 1 🏢', time: 't2' });
        const v2 = await store.versions.put({ kind: 'org', content: 'org: 2', time: 't3' });
        const v3 = await store.versions.put({ kind: 'org', content: 'org: 1 🏢', time: 't4' });
        expect([v1.version, v2.version, v3.version, p1.version]).toEqual([1, 2, 3, 1]);
        expect(v1.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(v3.hash).toBe(v1.hash);
        expect(p1.hash).toBe(v1.hash);
        const b = await another();
        expect(await b.versions.get('org', 1)).toEqual(v1);
        expect(await b.versions.latest('org')).toEqual(v3);
        expect(await b.versions.latest('policy')).toEqual(p1);
        expect(await b.versions.get('org', 9)).toBeUndefined();
      });
    });

    describe('agents', () => {
      it('keeps each agent current lifecycle state', async () => {
        const { store } = await setup();
        expect(await store.agents.get('ag_1')).toBeUndefined();
        await store.agents.put({ agent: 'ag_1', state: 'active', time: 't1' });
        await store.agents.put({ agent: 'ag_2', state: 'suspended', time: 't1' });
        await store.agents.put({ agent: 'ag_1', state: 'stopped', time: 't2' });
        expect(await store.agents.get('ag_1')).toEqual({ agent: 'ag_1', state: 'stopped', time: 't2' });
        expect(await store.agents.get('ag_2')).toEqual({ agent: 'ag_2', state: 'suspended', time: 't1' });
      });
    });

    describe('credentials', () => {
      it('stores hashed credentials, finds them by id and hash, revokes once, refuses duplicates', async () => {
        const { store } = await setup();
        const c = { id: 'cred_1', agent: 'ag_1', hash: 'a'.repeat(64), createdAt: 't1', expiresAt: 't9' };
        await store.credentials.put(c);
        await store.credentials.put({ id: 'cred_2', agent: 'ag_1', hash: 'b'.repeat(64), createdAt: 't1' });
        expect(await store.credentials.get('cred_1')).toEqual(c);
        expect(await store.credentials.byHash('b'.repeat(64))).toEqual({
          id: 'cred_2',
          agent: 'ag_1',
          hash: 'b'.repeat(64),
          createdAt: 't1',
        });
        expect(await store.credentials.byHash('c'.repeat(64))).toBeUndefined();
        await rejectsWith(store.credentials.put({ ...c, hash: 'd'.repeat(64) }), 'AOS_STORE_CONFLICT');
        await rejectsWith(store.credentials.put({ ...c, id: 'cred_3' }), 'AOS_STORE_CONFLICT');
        expect(await store.credentials.revoke('cred_1', 't5')).toBe(true);
        expect(await store.credentials.revoke('cred_1', 't6')).toBe(false);
        expect(await store.credentials.revoke('nope', 't6')).toBe(false);
        expect(await store.credentials.get('cred_1')).toEqual({ ...c, revokedAt: 't5' });
      });
    });
  });
}
