/**
 * PostgreSQL schema migrations: the same logical schema as `store-sqlite/migrations.ts`, inside the schema
 * the caller names (`$S` below, already quoted). Keys are `COLLATE "C"` so ordering is byte order, as in
 * SQLite. Bodies are `text`, not `jsonb`: the JSON is kept exactly as appended (jsonb reorders keys and
 * refuses `\u0000`).
 */
import type { Migration } from '../store-sqlite/migrations.js';

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger, versions, agents, credentials',
    sql: `
      CREATE TABLE $S.ledger (
        stream text COLLATE "C" NOT NULL,
        seq bigint NOT NULL CHECK (seq >= 1),
        time text COLLATE "C" NOT NULL,
        type text COLLATE "C" NOT NULL,
        body text NOT NULL,
        prev text NOT NULL,
        key_id text NOT NULL,
        mac text NOT NULL,
        PRIMARY KEY (stream, seq)
      );
      CREATE INDEX ledger_time ON $S.ledger (time);
      -- Defence in depth; tamper evidence comes from the chain, not from this trigger.
      CREATE FUNCTION $S.ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS
        $fn$ BEGIN RAISE EXCEPTION 'the ledger is append-only'; END $fn$;
      CREATE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON $S.ledger
        FOR EACH ROW EXECUTE FUNCTION $S.ledger_append_only();
      CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON $S.ledger
        FOR EACH STATEMENT EXECUTE FUNCTION $S.ledger_append_only();

      CREATE TABLE $S.blobs (hash text COLLATE "C" PRIMARY KEY, content text NOT NULL);
      CREATE TABLE $S.versions (
        kind text COLLATE "C" NOT NULL CHECK (kind IN ('org', 'policy')),
        version integer NOT NULL CHECK (version >= 1),
        hash text COLLATE "C" NOT NULL REFERENCES $S.blobs (hash),
        time text NOT NULL,
        PRIMARY KEY (kind, version)
      );

      CREATE TABLE $S.agents (
        agent text COLLATE "C" PRIMARY KEY,
        state text NOT NULL CHECK (state IN ('active', 'stopped', 'suspended', 'killed')),
        time text NOT NULL
      );
      CREATE INDEX agents_state ON $S.agents (state);

      CREATE TABLE $S.credentials (
        id text COLLATE "C" PRIMARY KEY,
        agent text COLLATE "C" NOT NULL,
        hash text COLLATE "C" NOT NULL UNIQUE,
        created_at text NOT NULL,
        expires_at text,
        revoked_at text
      );
      CREATE INDEX credentials_agent ON $S.credentials (agent);
    `,
  },
];
