/**
 * The ledger writer against the real stores: SQLite on temporary files and the machine's PostgreSQL
 * (`AGENTOS_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`), each test in its own schema.
 * Faults are real: a read-only SQLite connection, a held SQLite write lock, a PostgreSQL role without INSERT.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  generateMacKey,
  generateSigningKeyPair,
  NodeMacKeys,
  nodeHasher,
  NodeSignatureVerifier,
  NodeSigner,
} from '../adapters/crypto.js';
import { openPostgresStore } from '../adapters/store-postgres/store.js';
import { openSqliteStore } from '../adapters/store-sqlite/store.js';
import { AgentOsError, isAgentOsError, type ErrorCode } from '../kernel/errors.js';
import type { CheckpointPolicy } from '../kernel/ledger/checkpoint.js';
import type { JsonValue, LedgerRecord } from '../kernel/ledger/record.js';
import { verifyLedger, type VerifyResult } from '../kernel/ledger/verify.js';
import type { Clock } from '../kernel/ports.js';
import { LedgerWriter, type LedgerWriterOptions } from './ledger-writer.js';
import type { LedgerStore, Store } from './store.js';

const macKeys = new NodeMacKeys({ m1: generateMacKey() }, 'm1');
const pair = generateSigningKeyPair();
const signer = new NodeSigner({ s1: pair.privateKeyPem }, 's1');
const publicKeys = new NodeSignatureVerifier({ s1: pair.publicKeyPem });
const clock: Clock = { now: () => Date.now() };
const rarely: CheckpointPolicy = { everyRecords: 1_000_000, everyMs: 3_600_000 };

/** A thin wrapper around a real store's ledger that counts transactions; `target` may be swapped (reconnect). */
class CountingLedger implements LedgerStore {
  readonly batches: number[] = [];
  constructor(public target: LedgerStore) {}
  append(records: readonly LedgerRecord[]): Promise<void> {
    this.batches.push(records.length);
    return this.target.append(records);
  }
  last(stream: string): Promise<LedgerRecord | undefined> {
    return this.target.last(stream);
  }
  read(query?: Parameters<LedgerStore['read']>[0]): AsyncIterable<LedgerRecord> {
    return this.target.read(query);
  }
  streams(): Promise<string[]> {
    return this.target.streams();
  }
}

function writer(store: LedgerStore, more: Partial<LedgerWriterOptions> = {}): Promise<LedgerWriter> {
  return LedgerWriter.open({
    store,
    stream: 'node-a',
    macKeys,
    signer,
    hasher: nodeHasher,
    clock,
    checkpoints: rarely,
    ...more,
  });
}

async function all(store: LedgerStore): Promise<LedgerRecord[]> {
  const out: LedgerRecord[] = [];
  for await (const r of store.read()) out.push(r);
  return out;
}

function verify(records: LedgerRecord[], withMacs = true): VerifyResult {
  return verifyLedger(records, { hasher: nodeHasher, macKeys: withMacs ? macKeys : undefined, publicKeys });
}

async function codeOf(p: Promise<unknown>): Promise<{ code: ErrorCode; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isAgentOsError(e)) throw new Error(`expected a coded error, got ${String(e)}`);
  return { code: e.code, message: e.message };
}

/** Every acknowledged record is stored exactly as acknowledged; the stream is contiguous and verifies. */
function expectDurable(stored: LedgerRecord[], acked: LedgerRecord[]): void {
  const bySeq = new Map(stored.map((r) => [r.seq, r]));
  for (const r of acked) expect(bySeq.get(r.seq)).toEqual(r);
  expect(stored.map((r) => r.seq)).toEqual(stored.map((_, i) => i + 1));
  const v = verify(stored);
  expect(v).toMatchObject({ ok: true });
}

interface Backend {
  /** A fresh, migrated database; `open` makes another read-write connection to it. */
  fresh(): Promise<{ store: Store; open: () => Promise<Store> }>;
}

const opened: Store[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

// --- backends ---------------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'agentos-writer-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sqliteAt(file: string, readonly = false, busyTimeoutMs?: number): Promise<Store> {
  const s = openSqliteStore({ file, readonly, busyTimeoutMs });
  opened.push(s);
  await s.migrate();
  return s;
}

const sqlite: Backend = {
  async fresh() {
    const file = join(dir, `w-${++files}.db`);
    return { store: await sqliteAt(file), open: () => sqliteAt(file) };
  },
};

const url = process.env.AGENTOS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = randomBytes(4).toString('hex');
const schemas: string[] = [];
const roles: string[] = [];
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: url });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(`the writer tests need a postgres server at ${url}: ${String(e)}`, { cause: e });
  }
});

afterAll(async () => {
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  for (const r of roles) {
    await admin.query(`DROP OWNED BY ${r}`);
    await admin.query(`DROP ROLE IF EXISTS ${r}`);
  }
  await admin.end();
});

async function pgAt(schema: string, connectionString = url): Promise<Store> {
  const s = openPostgresStore({ connectionString, schema, poolSize: 2 });
  opened.push(s);
  await s.migrate();
  return s;
}

const postgres: Backend = {
  async fresh() {
    const schema = `agentos_writer_${run}_${schemas.length + 1}`;
    schemas.push(schema);
    return { store: await pgAt(schema), open: () => pgAt(schema) };
  },
};

// --- the same behaviour on both stores ----------------------------------------------------------------------

describe.each([
  ['sqlite', sqlite],
  ['postgres', postgres],
] as const)('ledger writer on %s', (_name, backend) => {
  it('acknowledges 1,000 concurrent appends as one contiguous, verifiable chain, in fewer transactions', async () => {
    const { store } = await backend.fresh();
    const counting = new CountingLedger(store.ledger);
    const w = await writer(counting, { checkpoints: { everyRecords: 100, everyMs: 3_600_000 } });
    const acked = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => w.append('action.requested', { i })),
    );
    await w.flush(); // a checkpoint may still be on its way after the last acknowledgement
    const stored = await all(store.ledger);
    expectDurable(stored, acked);
    // Every append is acknowledged once, with its own body, and in the order it was made.
    expect(acked.map((r) => (r.body as { i: number }).i)).toEqual(acked.map((_, i) => i));
    expect(new Set(acked.map((r) => r.seq)).size).toBe(1000);
    const checkpoints = stored.filter((r) => r.type === 'checkpoint');
    expect(stored).toHaveLength(1000 + checkpoints.length);
    expect(checkpoints.length).toBeGreaterThanOrEqual(3);
    // Batching happened: far fewer store transactions than records, each at most maxBatch.
    expect(counting.batches.reduce((a, b) => a + b, 0)).toBe(stored.length);
    expect(counting.batches.length).toBeLessThan(stored.length / 4);
    expect(Math.max(...counting.batches)).toBeLessThanOrEqual(256);
    expect(w.transactions).toBe(counting.batches.length);
    // The public auditor checks every checkpoint's signature over the content hash.
    const outsider = verify(stored, false);
    expect(outsider).toMatchObject({ ok: true, checked: { macs: false, signatures: true } });
    expect(outsider.ok && outsider.checkpoints).toBe(checkpoints.length);
    await w.close();
  });

  it('commits the appends of one turn of the event loop together, and a later turn in the next batch', async () => {
    const { store } = await backend.fresh();
    const counting = new CountingLedger(store.ledger);
    const w = await writer(counting); // the default wait: the end of the turn, no timer
    const first = [w.append('action.requested', { n: 1 }), w.append('action.decided', { n: 2 })];
    await new Promise((r) => setImmediate(r)); // the first batch is on its way: this one waits for it
    const second = [w.append('action.completed', { n: 3 })];
    const acked = await Promise.all([...first, ...second]);
    expect(counting.batches).toEqual([2, 1]);
    expectDurable(await all(store.ledger), acked);
    await w.close();
  });

  it('commits each record in its own transaction in per-event mode', async () => {
    const { store } = await backend.fresh();
    const counting = new CountingLedger(store.ledger);
    const w = await writer(counting, {
      mode: 'per-event',
      checkpoints: { everyRecords: 10, everyMs: 3_600_000 },
    });
    const acked = await Promise.all(Array.from({ length: 40 }, (_, i) => w.append('action.decided', { i })));
    await w.flush();
    const stored = await all(store.ledger);
    expectDurable(stored, acked);
    expect(counting.batches.every((n) => n === 1)).toBe(true);
    expect(counting.batches).toHaveLength(stored.length);
    expect(stored.filter((r) => r.type === 'checkpoint')).toHaveLength(4);
    await w.close();
  });

  it('resumes an existing stream from the store, through its last checkpoint', async () => {
    const { store, open } = await backend.fresh();
    const first = await writer(store.ledger, { checkpoints: { everyRecords: 7, everyMs: 3_600_000 } });
    const acked = await Promise.all(
      Array.from({ length: 30 }, (_, i) => first.append('action.requested', { i })),
    );
    for (let i = 0; i < 3; i++) acked.push(await first.append('action.decided', { i }));
    await first.flush(); // not closed: as if the process died here
    const before = await all(store.ledger);
    expect(before.at(-1)?.type).not.toBe('checkpoint'); // records after the last checkpoint
    const again = await open();
    const second = await writer(again.ledger, { checkpoints: { everyRecords: 7, everyMs: 3_600_000 } });
    expect(second.head).toEqual(first.head);
    acked.push(
      ...(await Promise.all(Array.from({ length: 30 }, (_, i) => second.append('action.completed', { i })))),
    );
    await second.close(); // a final checkpoint covers the tail
    const stored = await all(store.ledger);
    expectDurable(stored, acked);
    const v = verify(stored, false);
    expect(v.ok && v.uncovered).toBe(1); // only the checkpoint record itself
  });
});

// --- per-writer behaviour (SQLite) --------------------------------------------------------------------------

describe('ledger writer', () => {
  it('checkpoints an idle stream after everyMs, and signs what it covers', async () => {
    const { store } = await sqlite.fresh();
    const w = await writer(store.ledger, { checkpoints: { everyRecords: 1000, everyMs: 30 } });
    const acked = [await w.append('action.requested', { a: 1 }), await w.append('action.decided', { a: 2 })];
    await new Promise((resolve) => setTimeout(resolve, 120));
    await w.flush();
    const stored = await all(store.ledger);
    expectDurable(stored, acked);
    expect(stored.map((r) => r.type)).toEqual(['action.requested', 'action.decided', 'checkpoint']);
    expect(stored[2]?.body).toMatchObject({ seq: 2, mac: acked[1]?.mac, keyId: 's1' });
    const v = verify(stored, false);
    expect(v.ok && v.uncovered).toBe(1); // only the checkpoint record itself
    await w.close();
    expect(await all(store.ledger)).toHaveLength(3); // nothing new to cover: no second checkpoint
  });

  it('rejects a body that is not canonical JSON alone; the rest of its batch is written', async () => {
    const { store } = await sqlite.fresh();
    const w = await writer(store.ledger);
    const bad = { n: Number.NaN } as unknown as JsonValue;
    const results = await Promise.allSettled([
      w.append('action.requested', { i: 0 }),
      w.append('action.requested', bad),
      w.append('action.requested', { i: 2 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await codeOf(w.append('action.requested', bad))).toMatchObject({
      code: 'AOS_LEDGER_BODY_INVALID',
    });
    const acked = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expectDurable(await all(store.ledger), acked);
    expect(acked.map((r) => r.seq)).toEqual([1, 2]);
    await w.close();
    expect(await codeOf(w.append('action.requested', {}))).toMatchObject({ code: 'AOS_LEDGER_UNAVAILABLE' });
  });

  it('fails closed on a read-only connection and continues the chain once it can write again', async () => {
    const { store } = await sqlite.fresh();
    const file = join(dir, `w-${files}.db`);
    const w0 = await writer(store.ledger);
    const acked = await Promise.all(
      Array.from({ length: 5 }, (_, i) => w0.append('action.requested', { i })),
    );
    const readOnly = await sqliteAt(file, true);
    const ledger = new CountingLedger(readOnly.ledger);
    const w = await writer(ledger); // resumes read-only: reading works
    expect(w.head).toEqual(w0.head);
    const failed = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => w.append('action.requested', { failed: i })),
    );
    for (const r of failed) {
      expect(r.status).toBe('rejected');
      const e = (r as PromiseRejectedResult).reason as unknown;
      expect(isAgentOsError(e) && e.code).toBe('AOS_LEDGER_UNAVAILABLE');
      expect((e as Error).message).toMatch(/did not store \d+ record\(s\) \(seq 6.*readonly/);
    }
    expect(w.head).toEqual(w0.head); // the head did not move past the durable record
    ledger.target = (await sqliteAt(file)).ledger; // the store recovers (reopened read-write)
    acked.push(
      ...(await Promise.all(Array.from({ length: 20 }, (_, i) => w.append('action.completed', { i })))),
    );
    const stored = await all(store.ledger);
    expectDurable(stored, acked);
    expect(stored).toHaveLength(25);
    expect(stored.some((r) => JSON.stringify(r.body).includes('failed'))).toBe(false);
    expect(acked[5]?.seq).toBe(6);
  });

  it('fails closed while another connection holds the write lock, then carries on', async () => {
    const file = join(dir, `w-${++files}.db`);
    const store = await sqliteAt(file, false, 50);
    const w = await writer(store.ledger, { checkpoints: { everyRecords: 8, everyMs: 3_600_000 } });
    const acked = await Promise.all(
      Array.from({ length: 20 }, (_, i) => w.append('action.requested', { i })),
    );
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    let settled: PromiseSettledResult<LedgerRecord>[];
    try {
      settled = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => w.append('action.requested', { failed: i })),
      );
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    for (const r of settled) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'AOS_LEDGER_UNAVAILABLE' });
    }
    acked.push(
      ...(await Promise.all(Array.from({ length: 20 }, (_, i) => w.append('action.completed', { i })))),
    );
    await w.close();
    const stored = await all(store.ledger);
    expectDurable(stored, acked);
    expect(stored.some((r) => JSON.stringify(r.body).includes('failed'))).toBe(false);
  });

  it('rejects with AOS_LEDGER_CONFLICT when another writer took the next seq, then follows the store', async () => {
    const { store, open } = await sqlite.fresh();
    const w = await writer(store.ledger);
    const acked = [await w.append('action.requested', { i: 0 })];
    const other = await writer((await open()).ledger);
    acked.push(await other.append('action.requested', { other: true }));
    expect(await codeOf(w.append('action.requested', { i: 1 }))).toMatchObject({
      code: 'AOS_LEDGER_CONFLICT',
    });
    // The writer re-reads the store and continues the chain as stored.
    acked.push(await w.append('action.requested', { i: 2 }));
    expect(acked.map((r) => r.seq)).toEqual([1, 2, 3]);
    expectDurable(await all(store.ledger), acked);
  });
});

describe('ledger writer in doubt', () => {
  it('rejects a batch whose commit outcome is unknown, and follows the store when it did land', async () => {
    const { store } = await sqlite.fresh();
    // The one injected fault in this file: the real append runs, then its acknowledgement is lost, as when
    // the connection dies during COMMIT itself (docs/storage.md).
    let loseNext = false;
    const ledger = new CountingLedger(store.ledger);
    const lossy: LedgerStore = {
      append: async (records) => {
        await ledger.append(records);
        if (loseNext) {
          loseNext = false;
          throw new AgentOsError('AOS_LEDGER_UNAVAILABLE', 'connection lost during commit');
        }
      },
      last: (s) => ledger.last(s),
      read: (q) => ledger.read(q),
      streams: () => ledger.streams(),
    };
    const w = await writer(lossy, { checkpoints: { everyRecords: 5, everyMs: 3_600_000 } });
    const acked = [await w.append('action.requested', { i: 0 })];
    loseNext = true;
    expect(await codeOf(w.append('action.requested', { lost: 1 }))).toMatchObject({
      code: 'AOS_LEDGER_UNAVAILABLE',
    });
    for (let i = 1; i < 12; i++) acked.push(await w.append('action.requested', { i }));
    await w.flush();
    const stored = await all(store.ledger);
    expectDurable(stored, acked);
    expect(stored[1]?.body).toEqual({ lost: 1 }); // landed, never acknowledged: its action never ran
    expect(acked[1]?.seq).toBe(3);
  });
});

// --- PostgreSQL: a role without INSERT ----------------------------------------------------------------------

describe('ledger writer on postgres faults', () => {
  it('fails closed when its role loses INSERT and continues the chain once it is granted back', async () => {
    const { store } = await postgres.fresh();
    const schema = schemas.at(-1) as string;
    const role = `agentos_writer_${run}_${roles.length + 1}`;
    roles.push(role);
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
    await admin.query(`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
    const u = new URL(url);
    u.username = role;
    u.password = '';
    const limited = await pgAt(schema, u.toString());
    const w = await writer(limited.ledger, { checkpoints: { everyRecords: 10, everyMs: 3_600_000 } });
    const acked = await Promise.all(
      Array.from({ length: 25 }, (_, i) => w.append('action.requested', { i })),
    );
    await admin.query(`REVOKE INSERT ON ALL TABLES IN SCHEMA "${schema}" FROM ${role}`);
    const failed = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => w.append('action.requested', { failed: i })),
    );
    for (const r of failed) {
      expect(r.status).toBe('rejected');
      const e = (r as PromiseRejectedResult).reason as Error;
      expect(e).toMatchObject({ code: 'AOS_LEDGER_UNAVAILABLE' });
      expect(e.message).toMatch(/did not store .*permission denied/);
    }
    expect((await store.ledger.last('node-a'))?.seq).toBe(w.head.seq);
    await admin.query(`GRANT INSERT ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
    acked.push(
      ...(await Promise.all(Array.from({ length: 25 }, (_, i) => w.append('action.completed', { i })))),
    );
    await w.close();
    const stored = await all(store.ledger);
    expectDurable(stored, acked);
    expect(stored.some((r) => JSON.stringify(r.body).includes('failed'))).toBe(false);
    const v = verify(stored, false);
    expect(v.ok && v.uncovered).toBe(1); // only the checkpoint record itself
  });
});
