/**
 * SQLite schema migrations. Same logical schema as `store-postgres/migrations.ts`; append only: a released
 * migration never changes, a new one gets the next version.
 */

/** One schema step. */
import { DAEMON_TABLES_SQL } from './daemon-tables.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger, versions, agents, credentials',
    sql: `
      CREATE TABLE ledger (
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL CHECK (seq >= 1),
        time TEXT NOT NULL,
        type TEXT NOT NULL,
        body TEXT NOT NULL,
        prev TEXT NOT NULL,
        key_id TEXT NOT NULL,
        mac TEXT NOT NULL,
        PRIMARY KEY (stream, seq)
      ) WITHOUT ROWID;
      CREATE INDEX ledger_time ON ledger (time);
      -- Defence in depth; tamper evidence comes from the chain, not from this trigger.
      CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
      CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

      CREATE TABLE blobs (hash TEXT PRIMARY KEY, content TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE versions (
        kind TEXT NOT NULL CHECK (kind IN ('org', 'policy')),
        version INTEGER NOT NULL CHECK (version >= 1),
        hash TEXT NOT NULL REFERENCES blobs (hash),
        time TEXT NOT NULL,
        PRIMARY KEY (kind, version)
      ) WITHOUT ROWID;

      CREATE TABLE agents (
        agent TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('active', 'stopped', 'suspended', 'killed')),
        time TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX agents_state ON agents (state);

      CREATE TABLE credentials (
        id TEXT PRIMARY KEY,
        agent TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT
      ) WITHOUT ROWID;
      CREATE INDEX credentials_agent ON credentials (agent);
    `,
  },
  {
    version: 2,
    name: 'ledger agent and episode columns',
    // The backfill must UPDATE, which the append-only trigger refuses: the trigger is dropped and created
    // again inside the migration's transaction (under the write lock), so no other connection ever sees the
    // ledger without it. A value holding U+0000 is not indexed (store-sql/rows.ts `indexedColumns`).
    sql: `
      ALTER TABLE ledger ADD COLUMN agent TEXT;
      ALTER TABLE ledger ADD COLUMN episode TEXT;
      DROP TRIGGER ledger_no_update;
      UPDATE ledger SET
        agent = CASE WHEN json_type(body, '$.agent') = 'text' AND instr(json_extract(body, '$.agent'), char(0)) = 0
          THEN json_extract(body, '$.agent') END,
        episode = CASE WHEN json_type(body, '$.episode') = 'text' AND instr(json_extract(body, '$.episode'), char(0)) = 0
          THEN json_extract(body, '$.episode') END
        WHERE json_type(body, '$.agent') = 'text' OR json_type(body, '$.episode') = 'text';
      CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
      -- "The records of one agent (episode) in (stream, seq) order": an equality prefix, then the read order,
      -- so keyset pages are index range scans. Partial: records without the field cost no index entry.
      CREATE INDEX ledger_agent ON ledger (agent, stream, seq) WHERE agent IS NOT NULL;
      CREATE INDEX ledger_episode ON ledger (episode, stream, seq) WHERE episode IS NOT NULL;
    `,
  },
  { version: 3, name: 'daemon: tokens, actions, approvals, signals', sql: DAEMON_TABLES_SQL },
];
