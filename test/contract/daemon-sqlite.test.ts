/**
 * The daemon tables' contract against SQLite on temporary files: the real store, migrated, plus the daemon's
 * schema (`DAEMON_TABLES_SQL`) until it is one of the store's migrations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import {
  DAEMON_TABLES_SQL,
  SqliteActions,
  SqliteAgentRevocation,
  SqliteApprovals,
  SqliteSignals,
  SqliteTokens,
} from '../../src/adapters/store-sqlite/daemon-tables.js';
import { MIGRATIONS } from '../../src/adapters/store-sqlite/migrations.js';
import { openSqliteStore, type SqliteStore } from '../../src/adapters/store-sqlite/store.js';
import { daemonContract, type DaemonTables } from './daemon.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'agentos-daemon-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The daemon's tables over one store instance, as `SqliteStore` will hold them once wired. */
function tables(store: SqliteStore): DaemonTables {
  const revocation = new SqliteAgentRevocation(store);
  return {
    credentials: {
      put: (c) => store.credentials.put(c),
      get: (id) => store.credentials.get(id),
      byHash: (hash) => store.credentials.byHash(hash),
      revoke: (id, time) => store.credentials.revoke(id, time),
      revokeAgent: (agent, time) => revocation.revokeAgent(agent, time),
    },
    tokens: new SqliteTokens(store),
    actions: new SqliteActions(store),
    approvals: new SqliteApprovals(store),
    signals: new SqliteSignals(store),
    close: () => store.close(),
  };
}

daemonContract('sqlite', {
  async fresh() {
    const file = join(dir, `store-${++n}.db`);
    const first = openSqliteStore({ file });
    try {
      await first.migrate();
      if (!MIGRATIONS.some((m) => m.sql === DAEMON_TABLES_SQL)) {
        await first.run('AOS_STORE_UNAVAILABLE', 'cannot create the daemon tables', (db) =>
          db.transaction(() => db.exec(DAEMON_TABLES_SQL)).immediate(),
        );
      }
    } finally {
      await first.close();
    }
    return {
      open: () => Promise.resolve(tables(openSqliteStore({ file }))),
    };
  },
});
