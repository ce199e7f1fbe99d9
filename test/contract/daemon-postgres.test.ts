/**
 * The daemon tables' contract against the machine's PostgreSQL (`AGENTOS_TEST_POSTGRES_URL`, default
 * `postgres://postgres@127.0.0.1:5432/test`): each test in its own `agentos_test_<random>` schema, migrated
 * by the real store plus the daemon's schema (`PG_DAEMON_TABLES_SQL`) until it is one of the store's
 * migrations, all dropped afterwards. Never skipped: no server is a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import {
  PG_DAEMON_TABLES_SQL,
  PgActions,
  PgAgentRevocation,
  PgApprovals,
  PgSignals,
  PgTokens,
} from '../../src/adapters/store-postgres/daemon-tables.js';
import { PG_MIGRATIONS } from '../../src/adapters/store-postgres/migrations.js';
import { openPostgresStore, type PostgresStore } from '../../src/adapters/store-postgres/store.js';
import { daemonContract, type DaemonTables } from './daemon.contract.js';

const url = process.env.AGENTOS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const run = randomBytes(4).toString('hex');
const schemas: string[] = [];
let admin: pg.Client;

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
});

afterAll(async () => {
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
});

/** The daemon's tables over one store instance, as `PostgresStore` will hold them once wired. */
function tables(store: PostgresStore): DaemonTables {
  const revocation = new PgAgentRevocation(store);
  return {
    credentials: {
      put: (c) => store.credentials.put(c),
      get: (id) => store.credentials.get(id),
      byHash: (hash) => store.credentials.byHash(hash),
      revoke: (id, time) => store.credentials.revoke(id, time),
      revokeAgent: (agent, time) => revocation.revokeAgent(agent, time),
    },
    tokens: new PgTokens(store),
    actions: new PgActions(store),
    approvals: new PgApprovals(store),
    signals: new PgSignals(store),
    close: () => store.close(),
  };
}

daemonContract('postgres', {
  async fresh() {
    const schema = `agentos_test_daemon_${run}_${schemas.length + 1}`;
    schemas.push(schema);
    const first = openPostgresStore({ connectionString: url, schema, poolSize: 1 });
    try {
      await first.migrate();
    } finally {
      await first.close();
    }
    if (!PG_MIGRATIONS.some((m) => m.sql === PG_DAEMON_TABLES_SQL)) {
      await admin.query(`BEGIN; ${PG_DAEMON_TABLES_SQL.replaceAll('$S', `"${schema}"`)}; COMMIT`);
    }
    return {
      open: () => Promise.resolve(tables(openPostgresStore({ connectionString: url, schema, poolSize: 2 }))),
    };
  },
});
