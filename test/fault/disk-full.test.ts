/**
 * Fault test: a real full disk under a SQLite ledger, no mocks. Each test mounts its own 2 MiB tmpfs (root
 * only; CI runs as root), puts a ledger on it and fills it, with ledger appends or with a filler file. The
 * writer must fail closed (docs/ledger.md "Fail closed", docs/storage.md "Faults"): every append that did not
 * fit rejects with AOS_LEDGER_UNAVAILABLE and SQLite's reason, nothing unacknowledged is stored, every
 * acknowledged record is, and once space is freed the same writer carries on and the whole ledger verifies.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statfsSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeHasher } from '../../src/adapters/crypto.js';
import { addKeys, loadKeyring, type Keyring } from '../../src/adapters/keys-fs.js';
import { openSqliteStore } from '../../src/adapters/store-sqlite/store.js';
import { LedgerWriter, type CommitMode } from '../../src/governor/ledger-writer.js';
import type { Store } from '../../src/governor/store.js';
import { isAgentOsError } from '../../src/kernel/errors.js';
import type { LedgerRecord } from '../../src/kernel/ledger/record.js';
import { verifyLedger } from '../../src/kernel/ledger/verify.js';

const SIZE = 2 * 1024 * 1024;
const base = mkdtempSync(join(tmpdir(), 'agentos-disk-full-'));
const mounts: string[] = [];
const opened: Store[] = [];
let keyring: Keyring;

beforeAll(async () => {
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new Error(
      `the disk-full tests mount a tmpfs and must run as root (CI does); running as uid ${String(uid)}`,
    );
  }
  const keys = join(base, 'keys');
  await addKeys(keys);
  keyring = await loadKeyring(keys);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

afterAll(() => {
  const stuck: string[] = [];
  for (const dir of mounts) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      // Busy: a connection on it is still open (a regression of the failed-open test below). Detach it; the
      // kernel frees it when the last file on it is closed, at the latest when this worker exits.
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      } catch (e) {
        stuck.push(`${dir}: ${String(e)}`);
      }
    }
  }
  rmSync(base, { recursive: true, force: true });
  if (stuck.length > 0) throw new Error(`could not unmount ${stuck.join('; ')}`);
});

/** A fresh, empty 2 MiB tmpfs; fails the test (never skips) when it cannot be mounted. */
function tmpfs(): string {
  const dir = join(base, `mnt-${mounts.length + 1}`);
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`cannot mount a tmpfs at ${dir}: ${stderr || String(e)}`, { cause: e });
  }
  mounts.push(dir);
  return dir;
}

/** Free bytes on the file system holding `dir`. */
const free = (dir: string): number => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

/** Writes `path` until the file system is full; returns the bytes written. */
function fillUp(path: string): number {
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (const size of [64 * 1024, 512]) {
      const chunk = Buffer.alloc(size, 0x5a);
      try {
        for (;;) written += writeSync(fd, chunk);
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

async function migrated(file: string): Promise<Store> {
  const s = openSqliteStore({ file });
  opened.push(s);
  await s.migrate();
  return s;
}

function writer(store: Store, mode: CommitMode, everyRecords = 25): Promise<LedgerWriter> {
  return LedgerWriter.open({
    store: store.ledger,
    stream: 'node-disk',
    macKeys: keyring.macKeys,
    signer: keyring.signer,
    hasher: nodeHasher,
    clock: { now: () => Date.now() },
    checkpoints: { everyRecords, everyMs: 3_600_000 },
    mode,
  });
}

async function all(store: Store): Promise<LedgerRecord[]> {
  const out: LedgerRecord[] = [];
  for await (const r of store.ledger.read()) out.push(r);
  return out;
}

/** Reads the ledger file back through a fresh connection and checks it as the full auditor would. */
async function expectWholeLedgerVerifies(file: string): Promise<LedgerRecord[]> {
  const db = new Database(file, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    db.close();
  }
  const store = openSqliteStore({ file, readonly: true });
  opened.push(store);
  const stored = await all(store);
  expect(stored.map((r) => r.seq)).toEqual(stored.map((_, i) => i + 1));
  const v = verifyLedger(stored, {
    hasher: nodeHasher,
    macKeys: keyring.macKeys,
    publicKeys: keyring.publicKeys,
  });
  expect(v).toMatchObject({ ok: true, records: stored.length, checked: { macs: true, signatures: true } });
  return stored;
}

/** The `n` of every ordinary record in `records`. */
const numbers = (records: readonly LedgerRecord[]): number[] =>
  records.filter((r) => r.type !== 'checkpoint').map((r) => (r.body as { n: number }).n);

const FULL = /database or disk is full/;

/** The SQLite error code at the bottom of an error's cause chain. */
function driverCode(e: unknown): unknown {
  let at = e as { cause?: unknown; code?: unknown } | undefined;
  while (at?.cause !== undefined) at = at.cause as typeof at;
  return at?.code;
}

describe.each([
  ['group', 20],
  ['per-event', 5],
] as const)('a ledger writer in %s mode on a disk that fills up', (mode, concurrency) => {
  it('rejects what does not fit with SQLite’s reason, keeps every acknowledged record, and recovers', async () => {
    const dir = tmpfs();
    const file = join(dir, 'ledger.db');
    // Room to free later, written before the ledger so that deleting it is what makes space again.
    writeFileSync(join(dir, 'reserve'), Buffer.alloc(512 * 1024, 0x5a));
    const store = await migrated(file);
    const w = await writer(store, mode);
    const acked: LedgerRecord[] = [];
    const refused = new Map<number, unknown>();
    let n = 0;
    let failingRounds = 0;
    // Bounded: 2 MiB holds a few thousand of these records; stop after three rounds in a row all fail.
    for (let round = 0; round < 2000 && failingRounds < 3; round++) {
      const ns = Array.from({ length: concurrency }, () => ++n);
      const settled = await Promise.allSettled(
        ns.map((i) => w.append('action.requested', { n: i, pad: 'x'.repeat(300) })),
      );
      settled.forEach((r, j) => {
        if (r.status === 'fulfilled') acked.push(r.value);
        else refused.set(ns[j]!, r.reason);
      });
      failingRounds = settled.every((r) => r.status === 'rejected') ? failingRounds + 1 : 0;
    }
    expect(failingRounds, 'the disk never filled up').toBe(3);
    expect(acked.length).toBeGreaterThan(50);
    expect(free(dir)).toBeLessThan(64 * 1024);

    // Every refusal is coded, names the stream and the seq range, and surfaces SQLite's full-disk error.
    expect(refused.size).toBeGreaterThanOrEqual(3 * concurrency);
    for (const e of refused.values()) {
      expect(isAgentOsError(e) && e.code).toBe('AOS_LEDGER_UNAVAILABLE');
      expect((e as Error).message).toMatch(
        /^ledger `node-disk` did not store \d+ record\(s\) \(seq \d+(–\d+)?\): cannot append to the ledger \(sqlite `.+ledger\.db`\): database or disk is full$/,
      );
      expect(driverCode(e)).toBe('SQLITE_FULL');
    }

    // The store holds exactly what was acknowledged, as acknowledged: nothing refused landed.
    const stored = await all(store);
    const bySeq = new Map(stored.map((r) => [r.seq, r]));
    for (const r of acked) expect(bySeq.get(r.seq)).toEqual(r);
    expect(numbers(stored).sort((a, b) => a - b)).toEqual(numbers(acked).sort((a, b) => a - b));
    for (const i of refused.keys()) expect(numbers(stored)).not.toContain(i);
    expect(w.head.seq).toBe(stored.at(-1)?.seq);

    // Space again: the same writer continues the chain right after its durable head.
    unlinkSync(join(dir, 'reserve'));
    const head = w.head.seq;
    const later = await Promise.all(
      // per-event mode spends a few WAL pages per record: the freed 512 KiB holds 10 of them with room to spare
      Array.from({ length: concurrency * 2 }, () => w.append('action.completed', { n: ++n, pad: 'after' })),
    );
    await w.close(); // a final checkpoint covers the tail
    await store.close();

    const after = await expectWholeLedgerVerifies(file);
    const afterBySeq = new Map(after.map((r) => [r.seq, r]));
    for (const r of [...acked, ...later]) expect(afterBySeq.get(r.seq)).toEqual(r);
    expect(numbers(after).sort((a, b) => a - b)).toEqual(numbers([...acked, ...later]).sort((a, b) => a - b));
    // After the durable head: the later records, in order, and checkpoints only.
    const tail = after.filter((r) => r.seq > head);
    expect(tail.filter((r) => r.type !== 'checkpoint')).toEqual(later);
    expect(after.at(-1)?.type).toBe('checkpoint');
    expect(after.filter((r) => r.type === 'checkpoint').length).toBeGreaterThan(2);
  });
});

describe('a ledger on a disk that is already full', () => {
  it('refuses the first append, stores nothing, and carries on once space is freed', async () => {
    const dir = tmpfs();
    const file = join(dir, 'ledger.db');
    const first = await migrated(file);
    const w0 = await writer(first, 'group', 5);
    const acked = await Promise.all(
      Array.from({ length: 12 }, (_, i) => w0.append('action.requested', { n: i })),
    );
    await w0.close();
    await first.close(); // the last connection checkpoints and removes the WAL: no slack left in it
    const store = await migrated(file); // now the -wal and -shm files exist, empty and sized
    expect(fillUp(join(dir, 'filler'))).toBeGreaterThan(SIZE / 2);
    expect(free(dir)).toBe(0);

    const w = await writer(store, 'group', 5); // reading needs no space
    expect(w.head).toEqual(w0.head);
    const before = await all(store);
    const next = before.length + 1;
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => w.append('action.requested', { n: 100 + i })),
    );
    for (const r of settled) {
      expect(r.status).toBe('rejected');
      const e = (r as PromiseRejectedResult).reason as Error;
      expect(e).toMatchObject({ code: 'AOS_LEDGER_UNAVAILABLE' });
      expect(e.message).toMatch(
        new RegExp(
          String.raw`^ledger \`node-disk\` did not store 10 record\(s\) \(seq ${next}–${next + 9}\): .*database or disk is full$`,
        ),
      );
    }
    expect(await all(store)).toEqual(before); // nothing was written
    expect(w.head).toEqual(w0.head);

    unlinkSync(join(dir, 'filler'));
    const later = await Promise.all(
      Array.from({ length: 10 }, (_, i) => w.append('action.completed', { n: 200 + i })),
    );
    expect(later[0]?.seq).toBe(next);
    await w.close();
    await store.close();
    const stored = await expectWholeLedgerVerifies(file);
    expect(numbers(stored)).toEqual([...acked, ...later].map((r) => (r.body as { n: number }).n));
  });

  it('cannot create a new ledger there, nor open an existing one: coded errors that say why', async () => {
    const dir = tmpfs();
    const existing = join(dir, 'ledger.db');
    const s = await migrated(existing);
    const w = await writer(s, 'group', 5);
    await Promise.all(Array.from({ length: 7 }, (_, i) => w.append('action.requested', { n: i })));
    await w.close();
    const head = w.head;
    await s.close(); // closed cleanly: the -shm file is gone and must be created again to open
    fillUp(join(dir, 'filler'));
    expect(free(dir)).toBe(0);

    const fresh = join(dir, 'fresh.db');
    expect(() => openSqliteStore({ file: fresh })).toThrow(
      expect.objectContaining({
        code: 'AOS_STORE_UNAVAILABLE',
        message: expect.stringMatching(
          /^cannot open the sqlite store `.+fresh\.db`: database or disk is full$/,
        ),
      }),
    );
    let refused: unknown;
    try {
      openSqliteStore({ file: existing });
    } catch (e) {
      refused = e;
    }
    // SQLite reports a shared-memory file it cannot size as an I/O error; its code says which one.
    expect(refused).toMatchObject({ code: 'AOS_STORE_UNAVAILABLE' });
    expect((refused as Error).message).toMatch(
      /^cannot open the sqlite store `.+ledger\.db`: disk I\/O error$/,
    );
    expect(driverCode(refused)).toBe('SQLITE_IOERR_SHMSIZE');

    unlinkSync(join(dir, 'filler'));
    const again = await migrated(existing);
    const w2 = await writer(again, 'group', 5);
    expect(w2.head).toEqual(head);
    await w2.append('action.completed', { n: 7 });
    await w2.close();
    await again.close();
    expect(numbers(await expectWholeLedgerVerifies(existing))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  // openSqliteStore closes the connection it opened when a pragma fails afterwards (a full disk), so a failed
  // open leaves no file open behind it.
  it('leaves no file open behind a failed open', () => {
    const dir = tmpfs();
    fillUp(join(dir, 'filler'));
    expect(() => openSqliteStore({ file: join(dir, 'fresh.db') })).toThrow(FULL);
    const open = readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        return [readlinkSync(join('/proc/self/fd', fd))];
      } catch {
        return [];
      }
    });
    expect(open.filter((p) => p.startsWith(dir + '/'))).toEqual([]);
  });
});
