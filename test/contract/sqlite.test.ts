/**
 * The store contract against SQLite on temporary files, plus SQLite's own fault and durability checks.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/adapters/store-sqlite/migrations.js';
import { openSqliteStore } from '../../src/adapters/store-sqlite/store.js';
import type { LedgerRecord } from '../../src/kernel/ledger/record.js';
import { all, record, records, rejectsWith, storeContract } from './store.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'agentos-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freshFile(): string {
  return join(dir, `store-${++n}.db`);
}

storeContract('sqlite', {
  fresh() {
    const file = freshFile();
    return Promise.resolve({
      open: () => Promise.resolve(openSqliteStore({ file })),
      // Running as root, chmod cannot stop a write; a read-only connection can.
      openReadOnly: async () => {
        const s = openSqliteStore({ file, readonly: true });
        await s.migrate();
        return s;
      },
      legacy: (version: number, stored: readonly LedgerRecord[]) => {
        const db = new Database(file);
        try {
          db.pragma('journal_mode = WAL');
          db.exec(
            'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
          );
          for (const m of MIGRATIONS.filter((m) => m.version <= version)) {
            db.exec(m.sql);
            db.prepare("INSERT INTO schema_migrations VALUES (?, ?, 'then')").run(m.version, m.name);
          }
          const insert = db.prepare('INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
          db.transaction(() => {
            for (const r of stored) {
              insert.run(r.stream, r.seq, r.time, r.type, JSON.stringify(r.body), r.prev, r.keyId, r.mac);
            }
          })();
        } finally {
          db.close();
        }
        return Promise.resolve();
      },
      tamper: () => {
        const db = new Database(file);
        try {
          return Promise.resolve(db.prepare("UPDATE ledger SET body = '{}'").run());
        } catch (e) {
          return Promise.reject(e as Error);
        } finally {
          db.close();
        }
      },
    });
  },
});

describe('sqlite store', () => {
  it('runs in WAL mode with synchronous=FULL', async () => {
    const file = freshFile();
    const store = openSqliteStore({ file });
    await store.migrate();
    await store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(
      (db.prepare('SELECT version, name FROM schema_migrations').all() as { version: number }[]).map(
        (r) => r.version,
      ),
    ).toEqual(MIGRATIONS.map((m) => m.version));
    db.close();
  });

  it('fails closed with AOS_LEDGER_UNAVAILABLE while another connection holds the write lock', async () => {
    const file = freshFile();
    const store = openSqliteStore({ file, busyTimeoutMs: 50 });
    await store.migrate();
    await store.ledger.append([record('s', 1)]);
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const e = await rejectsWith(store.ledger.append([record('s', 2)]), 'AOS_LEDGER_UNAVAILABLE');
      expect(e.message).toMatch(/locked|busy/i);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await store.ledger.append([record('s', 2)]); // recovers once the lock is gone
    expect(await all(store.ledger.read())).toEqual(records('s', 1, 2));
    await store.close();
  });

  it('refuses to open a missing file read-only, with AOS_STORE_UNAVAILABLE', () => {
    expect(() => openSqliteStore({ file: join(dir, 'missing.db'), readonly: true })).toThrow(
      expect.objectContaining({ code: 'AOS_STORE_UNAVAILABLE' }) as Error,
    );
  });

  it('refuses a schema newer than this build, with AOS_STORE_SCHEMA', async () => {
    const file = freshFile();
    const store = openSqliteStore({ file });
    await store.migrate();
    const db = new Database(file);
    db.prepare("INSERT INTO schema_migrations VALUES (999, 'from the future', 'now')").run();
    db.close();
    await rejectsWith(store.migrate(), 'AOS_STORE_SCHEMA');
    await store.close();
  });

  it('refuses UPDATE and DELETE on the ledger table itself', async () => {
    const file = freshFile();
    const store = openSqliteStore({ file });
    await store.migrate();
    await store.ledger.append([record('s', 1)]);
    await store.close();
    const db = new Database(file);
    expect(() => db.prepare("UPDATE ledger SET body = '{}'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM ledger').run()).toThrow(/append-only/);
    db.close();
  });
});
