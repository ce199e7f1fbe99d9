/**
 * The store contract against the machine's PostgreSQL (`AGENTOS_TEST_POSTGRES_URL`, default
 * `postgres://postgres@127.0.0.1:5432/test`), each test in its own `agentos_test_<random>` schema, all dropped
 * afterwards; plus PostgreSQL's own fault checks. Never skipped: no server is a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_MIGRATIONS } from '../../src/adapters/store-postgres/migrations.js';
import { openPostgresStore, type PostgresStore } from '../../src/adapters/store-postgres/store.js';
import type { LedgerRecord } from '../../src/kernel/ledger/record.js';
import { all, record, records, rejectsWith, storeContract } from './store.contract.js';

const url = process.env.AGENTOS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = randomBytes(4).toString('hex');
const readOnlyRole = `agentos_test_ro_${run}`;
const schemas: string[] = [];
let admin: pg.Client;

function urlAs(user: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = '';
  return u.toString();
}

function freshSchema(): string {
  const schema = `agentos_test_${run}_${schemas.length + 1}`;
  schemas.push(schema);
  return schema;
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: url });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(
      `the postgres contract tests need a server at ${url} (set AGENTOS_TEST_POSTGRES_URL): ${String(e)}`,
      { cause: e },
    );
  }
  await admin.query(`CREATE ROLE ${readOnlyRole} LOGIN`);
});

afterAll(async () => {
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.query(`DROP OWNED BY ${readOnlyRole}`);
  await admin.query(`DROP ROLE IF EXISTS ${readOnlyRole}`);
  await admin.end();
});

storeContract('postgres', {
  fresh() {
    const schema = freshSchema();
    return Promise.resolve({
      open: () => Promise.resolve(openPostgresStore({ connectionString: url, schema, poolSize: 2 })),
      // A role that may read the schema but holds no INSERT, UPDATE or DELETE privilege.
      openReadOnly: async () => {
        await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${readOnlyRole}`);
        await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA "${schema}" TO ${readOnlyRole}`);
        const s = openPostgresStore({ connectionString: urlAs(readOnlyRole), schema, poolSize: 1 });
        await s.migrate();
        return s;
      },
      legacy: async (version: number, stored: readonly LedgerRecord[]) => {
        const s = `"${schema}"`;
        await admin.query(`CREATE SCHEMA ${s}`);
        await admin.query(`CREATE TABLE ${s}.schema_migrations (
          version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
        for (const m of PG_MIGRATIONS.filter((m) => m.version <= version)) {
          await admin.query(m.sql.replaceAll('$S', s));
          await m.then?.(admin, s);
          await admin.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [
            m.version,
            m.name,
          ]);
        }
        await admin.query(
          `INSERT INTO ${s}.ledger SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[],
             $5::text[], $6::text[], $7::text[], $8::text[])`,
          [
            stored.map((r) => r.stream),
            stored.map((r) => r.seq),
            stored.map((r) => r.time),
            stored.map((r) => r.type),
            stored.map((r) => JSON.stringify(r.body)),
            stored.map((r) => r.prev),
            stored.map((r) => r.keyId),
            stored.map((r) => r.mac),
          ],
        );
      },
      tamper: () => admin.query(`UPDATE "${schema}".ledger SET body = '{}'`),
    });
  },
});

describe('postgres store', () => {
  async function migrated(applicationName?: string): Promise<PostgresStore> {
    const store = openPostgresStore({ connectionString: url, schema: freshSchema(), applicationName });
    await store.migrate();
    return store;
  }

  it('fails closed with AOS_LEDGER_UNAVAILABLE when its connection is killed mid-append', async () => {
    const app = `agentos_test_kill_${run}`;
    const store = await migrated(app);
    await store.ledger.append([record('s', 1)]);
    // Hold a lock that blocks INSERT (not SELECT), so the append is caught inside its transaction.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE "${store.schema}".ledger IN EXCLUSIVE MODE`);
    const pending = store.ledger.append([record('s', 2), record('s', 3)]);
    pending.catch(() => undefined); // it rejects while we look for the backend; asserted below
    let killed = 0;
    for (let i = 0; i < 200 && killed === 0; i++) {
      const r = await admin.query(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [app],
      );
      killed = r.rowCount ?? 0;
      if (killed === 0) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(killed).toBe(1);
    await rejectsWith(pending, 'AOS_LEDGER_UNAVAILABLE');
    await locker.query('ROLLBACK');
    await locker.end();
    expect(await all(store.ledger.read())).toEqual(records('s', 1, 1)); // nothing partial
    await store.ledger.append([record('s', 2)]); // the pool replaces the dead connection
    expect((await store.ledger.last('s'))?.seq).toBe(2);
    await store.close();
  });

  it('fails closed with coded errors when the server is unreachable', async () => {
    const store = openPostgresStore({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      schema: 'x',
    });
    await rejectsWith(store.migrate(), 'AOS_STORE_UNAVAILABLE');
    await rejectsWith(store.ledger.append([record('s', 1)]), 'AOS_LEDGER_UNAVAILABLE');
    await rejectsWith(store.ledger.last('s'), 'AOS_LEDGER_UNAVAILABLE');
    await store.close();
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => openPostgresStore({ connectionString: url, schema: 'x"; DROP TABLE y; --' })).toThrow(
      expect.objectContaining({ code: 'AOS_STORE_UNAVAILABLE' }) as Error,
    );
  });

  it('refuses a schema newer than this build, with AOS_STORE_SCHEMA', async () => {
    const store = await migrated();
    await admin.query(
      `INSERT INTO "${store.schema}".schema_migrations (version, name) VALUES (999, 'future')`,
    );
    await rejectsWith(store.migrate(), 'AOS_STORE_SCHEMA');
    await store.close();
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the ledger table itself', async () => {
    const store = await migrated();
    await store.ledger.append([record('s', 1)]);
    const t = `"${store.schema}".ledger`;
    await expect(admin.query(`UPDATE ${t} SET body = '{}'`)).rejects.toThrow(/append-only/);
    await expect(admin.query(`DELETE FROM ${t}`)).rejects.toThrow(/append-only/);
    await expect(admin.query(`TRUNCATE ${t}`)).rejects.toThrow(/append-only/);
    await store.close();
  });
});
