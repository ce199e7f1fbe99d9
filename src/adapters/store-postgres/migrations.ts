/**
 * PostgreSQL schema migrations: the same logical schema as `store-sqlite/migrations.ts`, inside the schema
 * the caller names (`$S` below, already quoted). Keys are `COLLATE "C"` so ordering is byte order, as in
 * SQLite. Bodies are `text`, not `jsonb`: the JSON is kept exactly as appended (jsonb reorders keys and
 * refuses `\u0000`).
 */
import type pg from 'pg';
import type { JsonValue } from '../../kernel/ledger/record.js';
import { indexedColumns, PAGE_SIZE } from '../store-sql/rows.js';
import { PG_DAEMON_TABLES_SQL } from './daemon-tables.js';
import type { Migration } from '../store-sqlite/migrations.js';

/** A PostgreSQL schema step: its SQL, then (same transaction) what SQL alone cannot do. */
export interface PgMigration extends Migration {
  /** Runs after `sql` on the migrating connection; `s` is the quoted schema. */
  readonly then?: (c: pg.ClientBase, s: string) => Promise<void>;
}

/**
 * Fills `agent` and `episode` of the rows already stored, with the same function appends use, page by page.
 * Not in SQL: PostgreSQL's JSON functions refuse a whole document that holds `\u0000` anywhere, and the
 * ledger keeps such bodies. The append-only trigger is disabled only inside this transaction, which holds
 * the table's ACCESS EXCLUSIVE lock (from `ALTER TABLE`), so no other session sees the ledger without it.
 */
async function backfillIndexedColumns(c: pg.ClientBase, s: string): Promise<void> {
  await c.query(`ALTER TABLE ${s}.ledger DISABLE TRIGGER ledger_no_change`);
  let after: [string, string] = ['', '0'];
  for (;;) {
    // Only bodies that can hold the fields are parsed; keyset pages keep memory flat.
    const page = await c.query<{ stream: string; seq: string; body: string }>(
      `SELECT stream, seq, body FROM ${s}.ledger
        WHERE (stream, seq) > ($1, $2) AND (strpos(body, '"agent"') > 0 OR strpos(body, '"episode"') > 0)
        ORDER BY stream, seq LIMIT ${PAGE_SIZE}`,
      after,
    );
    const updates = page.rows
      .map((r) => ({ stream: r.stream, seq: r.seq, ...indexedColumns(JSON.parse(r.body) as JsonValue) }))
      .filter((u) => u.agent !== null || u.episode !== null);
    if (updates.length > 0) {
      await c.query(
        `UPDATE ${s}.ledger l SET agent = u.agent, episode = u.episode
           FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) AS u (stream, seq, agent, episode)
          WHERE l.stream = u.stream AND l.seq = u.seq`,
        [
          updates.map((u) => u.stream),
          updates.map((u) => u.seq),
          updates.map((u) => u.agent),
          updates.map((u) => u.episode),
        ],
      );
    }
    const tail = page.rows.at(-1);
    if (!tail || page.rows.length < PAGE_SIZE) break;
    after = [tail.stream, tail.seq];
  }
  await c.query(`ALTER TABLE ${s}.ledger ENABLE TRIGGER ledger_no_change`);
  // See store-sqlite/migrations.ts version 2 for the index shape.
  await c.query(`CREATE INDEX ledger_agent ON ${s}.ledger (agent, stream, seq) WHERE agent IS NOT NULL`);
  await c.query(
    `CREATE INDEX ledger_episode ON ${s}.ledger (episode, stream, seq) WHERE episode IS NOT NULL`,
  );
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
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
  {
    version: 2,
    name: 'ledger agent and episode columns',
    sql: `ALTER TABLE $S.ledger ADD COLUMN agent text COLLATE "C", ADD COLUMN episode text COLLATE "C";`,
    then: backfillIndexedColumns,
  },
  { version: 3, name: 'daemon: tokens, actions, approvals, signals', sql: PG_DAEMON_TABLES_SQL },
];
