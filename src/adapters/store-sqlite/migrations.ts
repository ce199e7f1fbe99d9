/**
 * SQLite schema migrations. Same logical schema as `store-postgres/migrations.ts`; append only: a released
 * migration never changes, a new one gets the next version.
 */

/** One schema step. */
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
];
