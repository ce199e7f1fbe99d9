/**
 * The shared store: PostgreSQL through `pg`, in a schema the caller names, for several kernel nodes sharing
 * state. Appends commit with `synchronous_commit = on`, so an acknowledged append is in the flushed WAL.
 */
import pg from 'pg';
import { AgentOsError, isAgentOsError, type ErrorCode } from '../../kernel/errors.js';
import type { LedgerRecord } from '../../kernel/ledger/record.js';
import type {
  AgentState,
  ActionStore,
  AgentStateStore,
  ApprovalStore,
  CredentialStore,
  LedgerQuery,
  LedgerStore,
  MigrationResult,
  SignalStore,
  Store,
  StoredCredential,
  StoredVersion,
  TokenStore,
  VersionKind,
  VersionStore,
} from '../../governor/store.js';
import {
  contentHash,
  batchFirsts,
  describe,
  matchesNothing,
  PAGE_SIZE,
  planAppend,
  toCredential,
  toInsertRow,
  toRecord,
  type CredentialRow,
  type LedgerInsertRow,
  type LedgerRow,
} from '../store-sql/rows.js';
import { PgActions, PgAgentRevocation, PgApprovals, PgSignals, PgTokens } from './daemon-tables.js';
import { PG_MIGRATIONS } from './migrations.js';

/** Where to connect and which schema to use. */
export interface PostgresStoreOptions {
  /** e.g. `postgres://agentos@db.internal:5432/agentos`. */
  readonly connectionString: string;
  /** The schema that holds the tables (created by `migrate`); default `agentos`. */
  readonly schema?: string;
  /** Connections in the pool (default 4). */
  readonly poolSize?: number;
  /** Shown in `pg_stat_activity` (default `agentos`). */
  readonly applicationName?: string;
}

const LATEST = PG_MIGRATIONS.at(-1)?.version ?? 0;
const UNIQUE_VIOLATION = '23505';
const CONFLICTS = new Set([UNIQUE_VIOLATION, '40001', '40P01']); // unique, serialization, deadlock

function wrap(e: unknown, code: ErrorCode, what: string): AgentOsError {
  if (isAgentOsError(e)) return e;
  if (CONFLICTS.has(String((e as { code?: unknown }).code))) {
    code = code === 'AOS_LEDGER_UNAVAILABLE' ? 'AOS_LEDGER_CONFLICT' : 'AOS_STORE_CONFLICT';
  }
  return new AgentOsError(code, `${what}: ${describe(e)}`, { cause: e });
}

/** Opens (without connecting or migrating) a PostgreSQL store. */
export function openPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const schema = options.schema ?? 'agentos';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new AgentOsError(
      'AOS_STORE_UNAVAILABLE',
      `schema name \`${schema}\` is not a lowercase identifier`,
    );
  }
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 4,
    application_name: options.applicationName ?? 'agentos',
  });
  // An idle connection that dies (server restart, pg_terminate_backend) is dropped by the pool and replaced
  // on next use; without a listener the error would crash the process. In-flight work reports its own error.
  pool.on('error', ignore);
  return new PostgresStore(pool, schema);
}

type Client = pg.PoolClient;

function ignore(): void {}

/** A `Store` over a PostgreSQL connection pool. */
export class PostgresStore implements Store {
  readonly ledger: LedgerStore;
  readonly versions: VersionStore;
  readonly agents: AgentStateStore;
  readonly credentials: Store['credentials'];
  readonly tokens: TokenStore;
  readonly actions: ActionStore;
  readonly approvals: ApprovalStore;
  readonly signals: SignalStore;
  /** The quoted schema, for SQL text. */
  readonly s: string;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    readonly schema: string,
  ) {
    this.s = `"${schema}"`;
    this.ledger = new PgLedger(this);
    this.versions = new PgVersions(this);
    this.agents = new PgAgents(this);
    this.credentials = new PgCredentials(this);
    this.tokens = new PgTokens(this);
    this.actions = new PgActions(this);
    this.approvals = new PgApprovals(this);
    this.signals = new PgSignals(this);
  }

  /** Runs `fn` in one transaction on one connection, turning every failure into `code`. */
  async tx<T>(code: ErrorCode, what: string, fn: (c: Client) => Promise<T>): Promise<T> {
    let client: Client | undefined;
    try {
      if (this.closed) throw new Error('the store is closed');
      client = await this.pool.connect();
      // A checked-out client whose connection dies emits 'error' besides failing its query; without a
      // listener that event would crash the process. The failing query reports the error to the caller.
      client.on('error', ignore);
      await client.query('BEGIN');
      // INVARIANT: acknowledged means durable, whatever the server's default is.
      await client.query('SET LOCAL synchronous_commit TO on');
      const result = await fn(client);
      await client.query('COMMIT');
      client.off('error', ignore);
      client.release();
      return result;
    } catch (e) {
      if (client) {
        // A failed ROLLBACK means the connection is broken: release it destroyed, report the first error.
        const broken = await client.query('ROLLBACK').then(
          () => false,
          () => true,
        );
        client.off('error', ignore);
        client.release(broken);
      }
      throw wrap(e, code, `${what} (postgres schema \`${this.schema}\`)`);
    }
  }

  /** One statement outside an explicit transaction. */
  async query<R extends pg.QueryResultRow>(
    code: ErrorCode,
    what: string,
    sql: string | { readonly name: string; readonly text: string },
    params: unknown[] = [],
  ): Promise<R[]> {
    try {
      if (this.closed) throw new Error('the store is closed');
      const config = typeof sql === 'string' ? { text: sql } : sql;
      return (await this.pool.query<R>({ ...config, values: params })).rows;
    } catch (e) {
      throw wrap(e, code, `${what} (postgres schema \`${this.schema}\`)`);
    }
  }

  /** One statement outside an explicit transaction; resolves with the number of rows it changed. */
  async count(
    code: ErrorCode,
    what: string,
    sql: { readonly name: string; readonly text: string },
    params: unknown[],
  ): Promise<number> {
    try {
      if (this.closed) throw new Error('the store is closed');
      return (await this.pool.query({ ...sql, values: params })).rowCount ?? 0;
    } catch (e) {
      throw wrap(e, code, `${what} (postgres schema \`${this.schema}\`)`);
    }
  }

  private async schemaVersion(q: (sql: string) => Promise<pg.QueryResult>): Promise<number> {
    const t = await q(`SELECT to_regclass('${this.s}.schema_migrations') AS t`);
    if (t.rows[0]?.t === null) return 0;
    const v = await q(`SELECT max(version) AS v FROM ${this.s}.schema_migrations`);
    return (v.rows[0]?.v as number | null) ?? 0;
  }

  async migrate(): Promise<MigrationResult> {
    const what = 'cannot migrate';
    // Read first: an up-to-date schema needs no write (and no CREATE privilege).
    let from: number;
    try {
      if (this.closed) throw new Error('the store is closed');
      from = await this.schemaVersion((sql) => this.pool.query(sql));
    } catch (e) {
      throw wrap(e, 'AOS_STORE_UNAVAILABLE', `${what} (postgres schema \`${this.schema}\`)`);
    }
    if (from > LATEST) {
      throw new AgentOsError(
        'AOS_STORE_SCHEMA',
        `postgres schema \`${this.schema}\` has version ${from}; this build knows up to ${LATEST}`,
      );
    }
    if (from === LATEST) return { from, to: from };
    await this.tx('AOS_STORE_UNAVAILABLE', what, async (c) => {
      // Nodes migrating at once queue here; the loser then finds the work done.
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`agentos.migrate.${this.schema}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${this.s}.schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const now = await this.schemaVersion((sql) => c.query(sql));
      for (const m of PG_MIGRATIONS) {
        if (m.version <= now) continue;
        await c.query(m.sql.replaceAll('$S', this.s));
        await m.then?.(c, this.s);
        await c.query(`INSERT INTO ${this.s}.schema_migrations (version, name) VALUES ($1, $2)`, [
          m.version,
          m.name,
        ]);
      }
    });
    return { from, to: LATEST };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

const LEDGER_COLUMNS = 'stream, seq, time, type, body, prev, key_id, mac';

/**
 * One append is one `INSERT` (its own transaction, one round trip): the batch as arrays, unnested.
 *
 * INVARIANT: no gap and no duplicate can land. The store checks that the batch is contiguous within itself
 * before sending it; the statement inserts nothing unless, for each stream's first record in the batch
 * (`$11`, `$12`), the record before it is stored (seq 1 needs none); and the primary key `(stream, seq)`
 * refuses a duplicate, also from a writer racing for the same `seq` (the second waits for the first, then
 * fails). A batch goes in whole or not at all.
 *
 * INVARIANT: acknowledged means durable. `set_config(…, true)` is `SET LOCAL synchronous_commit TO on` for
 * this statement's transaction, whatever the server's or the role's default, so the commit returns only
 * after the WAL is flushed; it runs once (an init plan), and were it not `on` nothing would be inserted.
 */
const APPEND_SQL = `
  INSERT INTO $S.ledger (stream, seq, time, type, body, prev, key_id, mac, agent, episode)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
    $8::text[], $9::text[], $10::text[])
  WHERE (SELECT set_config('synchronous_commit', 'on', true)) = 'on'
    AND NOT EXISTS (
      SELECT 1 FROM unnest($11::text[], $12::bigint[]) AS f (stream, seq)
      WHERE f.seq > 1
        AND NOT EXISTS (SELECT 1 FROM $S.ledger x WHERE x.stream = f.stream COLLATE "C" AND x.seq = f.seq - 1))`;

/** Constraint violations an append can meet: a duplicate `(stream, seq)`, `seq < 1`. */
const SEQ_VIOLATIONS = new Set([UNIQUE_VIOLATION, '23514']);

class PgLedger implements LedgerStore {
  private readonly appendSql: string;

  constructor(private readonly store: PostgresStore) {
    this.appendSql = APPEND_SQL.replaceAll('$S', store.s);
  }

  async append(records: readonly LedgerRecord[]): Promise<void> {
    if (records.length === 0) return;
    const what = 'cannot append to the ledger';
    const firsts = batchFirsts(records) ?? (await this.refuse(records)); // not contiguous: nothing is sent
    const rows = records.map(toInsertRow);
    const column = <K extends keyof LedgerInsertRow>(k: K): LedgerInsertRow[K][] => rows.map((r) => r[k]);
    let inserted: number;
    try {
      inserted = await this.store.count(
        'AOS_LEDGER_UNAVAILABLE',
        what,
        // named: each pooled connection parses and plans it once
        { name: 'agentos_ledger_append', text: this.appendSql },
        [
          column('stream'),
          column('seq'),
          column('time'),
          column('type'),
          column('body'),
          column('prev'),
          column('key_id'),
          column('mac'),
          column('agent'),
          column('episode'),
          [...firsts.keys()],
          [...firsts.values()],
        ],
      );
    } catch (e) {
      const code = String((e as { cause?: { code?: unknown } }).cause?.code);
      if (SEQ_VIOLATIONS.has(code)) await this.refuse(records, e);
      throw e;
    }
    if (inserted === 0) await this.refuse(records); // a stream's first record has no stored predecessor
    if (inserted !== rows.length) {
      throw new AgentOsError(
        'AOS_LEDGER_UNAVAILABLE',
        `${what} (postgres schema \`${this.store.schema}\`): ${inserted} of ${rows.length} rows went in`,
      );
    }
  }

  /**
   * Throws the `AOS_LEDGER_CONFLICT` that names the record at fault, from the lasts as stored now; when they
   * no longer show one (another writer moved on), the conflict with the database's own reason.
   */
  private async refuse(records: readonly LedgerRecord[], cause?: unknown): Promise<never> {
    const lasts = await this.lasts([...new Set(records.map((r) => r.stream))]).catch(() => undefined);
    if (lasts) planAppend(records, (stream) => lasts.get(stream) ?? 0);
    throw new AgentOsError(
      'AOS_LEDGER_CONFLICT',
      `the batch does not continue its streams (postgres schema \`${this.store.schema}\`)` +
        (cause === undefined ? '' : `: ${describe(cause)}`),
      { cause },
    );
  }

  private async lasts(streams: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.store.query<{ stream: string; last: string }>(
      'AOS_LEDGER_UNAVAILABLE',
      'cannot read the ledger',
      `SELECT s AS stream, coalesce((SELECT max(seq) FROM ${this.store.s}.ledger WHERE stream = s COLLATE "C"), 0) AS last
         FROM unnest($1::text[]) AS s`,
      [streams],
    );
    return new Map(rows.map((r) => [r.stream, Number(r.last)]));
  }

  async last(stream: string): Promise<LedgerRecord | undefined> {
    const [row] = await this.store.query<LedgerRow>(
      'AOS_LEDGER_UNAVAILABLE',
      'cannot read the ledger',
      `SELECT ${LEDGER_COLUMNS} FROM ${this.store.s}.ledger WHERE stream = $1 ORDER BY seq DESC LIMIT 1`,
      [stream],
    );
    return row ? toRecord(row) : undefined;
  }

  async *read(query: LedgerQuery = {}): AsyncIterable<LedgerRecord> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (cond: string, value: unknown): void => {
      params.push(value);
      where.push(cond.replace('?', `$${params.length}`));
    };
    if (query.stream !== undefined) add('stream = ?', query.stream);
    if (query.fromSeq !== undefined) add('seq >= ?', query.fromSeq);
    if (query.since !== undefined) add('time >= ?', query.since);
    if (query.until !== undefined) add('time < ?', query.until);
    if (query.type !== undefined) add('type = ?', query.type);
    if (query.agent !== undefined) add('agent = ?', query.agent);
    if (query.episode !== undefined) add('episode = ?', query.episode);
    if (matchesNothing(query)) return;
    let remaining = query.limit ?? Infinity;
    let after: (string | number)[] | undefined;
    while (remaining > 0) {
      const size = Math.min(PAGE_SIZE, remaining);
      const n = params.length;
      // within one stream the key is `seq` alone (see store-sqlite)
      const keyset =
        query.stream === undefined ? `(stream, seq) > ($${n + 1}, $${n + 2})` : `seq > $${n + 1}`;
      const conds = after ? [...where, keyset] : where;
      const sql = `SELECT ${LEDGER_COLUMNS} FROM ${this.store.s}.ledger
        ${conds.length ? 'WHERE ' + conds.join(' AND ') : ''}
        ORDER BY stream, seq LIMIT $${n + (after?.length ?? 0) + 1}`;
      const page = await this.store.query<LedgerRow>(
        'AOS_LEDGER_UNAVAILABLE',
        'cannot read the ledger',
        sql,
        [...params, ...(after ?? []), size],
      );
      for (const row of page) yield toRecord(row);
      const tail = page.at(-1);
      if (!tail || page.length < size) return;
      remaining -= page.length;
      after = query.stream === undefined ? [tail.stream, Number(tail.seq)] : [Number(tail.seq)];
    }
  }

  async streams(): Promise<string[]> {
    const rows = await this.store.query<{ stream: string }>(
      'AOS_LEDGER_UNAVAILABLE',
      'cannot read the ledger',
      `SELECT DISTINCT stream FROM ${this.store.s}.ledger ORDER BY stream`,
    );
    return rows.map((r) => r.stream);
  }
}

const versionSelect = (s: string): string =>
  `SELECT v.kind, v.version, v.hash, v.time, b.content FROM ${s}.versions v JOIN ${s}.blobs b ON b.hash = v.hash`;

class PgVersions implements VersionStore {
  constructor(private readonly store: PostgresStore) {}

  put(input: { kind: VersionKind; content: string; time: string }): Promise<StoredVersion> {
    const s = this.store.s;
    return this.store.tx('AOS_STORE_UNAVAILABLE', `cannot store a ${input.kind} version`, async (c) => {
      const hash = contentHash(input.content);
      await c.query(`INSERT INTO ${s}.blobs (hash, content) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
        hash,
        input.content,
      ]);
      const r = await c.query(`SELECT max(version) AS v FROM ${s}.versions WHERE kind = $1`, [input.kind]);
      const version = Number(r.rows[0]?.v ?? 0) + 1;
      await c.query(`INSERT INTO ${s}.versions (kind, version, hash, time) VALUES ($1, $2, $3, $4)`, [
        input.kind,
        version,
        hash,
        input.time,
      ]);
      return { kind: input.kind, version, hash, time: input.time, content: input.content };
    });
  }

  async get(kind: VersionKind, version: number): Promise<StoredVersion | undefined> {
    const [row] = await this.store.query<StoredVersion>(
      'AOS_STORE_UNAVAILABLE',
      `cannot read a ${kind} version`,
      `${versionSelect(this.store.s)} WHERE v.kind = $1 AND v.version = $2`,
      [kind, version],
    );
    return row;
  }

  async latest(kind: VersionKind): Promise<StoredVersion | undefined> {
    const [row] = await this.store.query<StoredVersion>(
      'AOS_STORE_UNAVAILABLE',
      `cannot read a ${kind} version`,
      `${versionSelect(this.store.s)} WHERE v.kind = $1 ORDER BY v.version DESC LIMIT 1`,
      [kind],
    );
    return row;
  }
}

class PgAgents implements AgentStateStore {
  constructor(private readonly store: PostgresStore) {}

  async get(agent: string): Promise<AgentState | undefined> {
    const [row] = await this.store.query<AgentState>(
      'AOS_STORE_UNAVAILABLE',
      'cannot read agent state',
      `SELECT agent, state, time FROM ${this.store.s}.agents WHERE agent = $1`,
      [agent],
    );
    return row;
  }

  async put(st: AgentState): Promise<void> {
    await this.store.query(
      'AOS_STORE_UNAVAILABLE',
      `cannot store the state of \`${st.agent}\``,
      `INSERT INTO ${this.store.s}.agents (agent, state, time) VALUES ($1, $2, $3)
       ON CONFLICT (agent) DO UPDATE SET state = excluded.state, time = excluded.time`,
      [st.agent, st.state, st.time],
    );
  }
}

class PgCredentials implements CredentialStore {
  private readonly revocation: PgAgentRevocation;

  constructor(private readonly store: PostgresStore) {
    this.revocation = new PgAgentRevocation(store);
  }

  revokeAgent(agent: string, time: string): Promise<number> {
    return this.revocation.revokeAgent(agent, time);
  }

  async put(c: Omit<StoredCredential, 'revokedAt'>): Promise<void> {
    await this.store.query(
      'AOS_STORE_UNAVAILABLE',
      `cannot store credential \`${c.id}\``,
      `INSERT INTO ${this.store.s}.credentials (id, agent, hash, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [c.id, c.agent, c.hash, c.createdAt, c.expiresAt ?? null],
    );
  }

  get(id: string): Promise<StoredCredential | undefined> {
    return this.find('id', id);
  }

  byHash(hash: string): Promise<StoredCredential | undefined> {
    return this.find('hash', hash);
  }

  async revoke(id: string, time: string): Promise<boolean> {
    const rows = await this.store.query(
      'AOS_STORE_UNAVAILABLE',
      `cannot revoke credential \`${id}\``,
      `UPDATE ${this.store.s}.credentials SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id`,
      [time, id],
    );
    return rows.length === 1;
  }

  private async find(column: 'id' | 'hash', value: string): Promise<StoredCredential | undefined> {
    const [row] = await this.store.query<CredentialRow>(
      'AOS_STORE_UNAVAILABLE',
      'cannot read credentials',
      `SELECT * FROM ${this.store.s}.credentials WHERE ${column} = $1`,
      [value],
    );
    return row ? toCredential(row) : undefined;
  }
}
