/**
 * The embedded store: SQLite through better-sqlite3, in WAL mode with `synchronous=FULL`, so a committed
 * append has been fsynced before `append` resolves (docs/storage.md explains why not NORMAL).
 */
import Database from 'better-sqlite3';
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
  describe,
  matchesNothing,
  PAGE_SIZE,
  planAppend,
  toCredential,
  toRecord,
  type CredentialRow,
  type LedgerRow,
} from '../store-sql/rows.js';
import {
  Prepared,
  SqliteActions,
  SqliteAgentRevocation,
  SqliteApprovals,
  SqliteSignals,
  SqliteTokens,
} from './daemon-tables.js';
import { MIGRATIONS } from './migrations.js';

/** Where and how to open the database. */
export interface SqliteStoreOptions {
  /** The database file (created when missing unless `readonly`). */
  readonly file: string;
  /** Opens the file read-only: every write fails with a coded error. */
  readonly readonly?: boolean;
  /** How long a writer waits for another connection's lock before failing (ms, default 5000). */
  readonly busyTimeoutMs?: number;
}

const LATEST = MIGRATIONS.at(-1)?.version ?? 0;

/** Wraps a driver failure in a coded error; coded errors pass through. */
function wrap(e: unknown, code: ErrorCode, what: string): AgentOsError {
  if (isAgentOsError(e)) return e;
  const sqliteCode = (e as { code?: unknown }).code;
  if (typeof sqliteCode === 'string' && sqliteCode.startsWith('SQLITE_CONSTRAINT')) {
    code = code === 'AOS_LEDGER_UNAVAILABLE' ? 'AOS_LEDGER_CONFLICT' : 'AOS_STORE_CONFLICT';
  }
  return new AgentOsError(code, `${what}: ${describe(e)}`, { cause: e });
}

/** Opens (without migrating) a SQLite store; `AOS_STORE_UNAVAILABLE` when the file cannot be opened. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  let db: Database.Database | undefined;
  try {
    db = new Database(options.file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (!options.readonly) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`journal mode is \`${String(mode)}\`, not \`wal\``);
    }
    // INVARIANT: FULL syncs the WAL on every commit, so an acknowledged append survives power loss.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  } catch (e) {
    try {
      db?.close(); // a half-opened connection would keep the file open for the life of the process
    } catch {
      // keep the first error: it says why the store could not be opened
    }
    throw wrap(e, 'AOS_STORE_UNAVAILABLE', `cannot open the sqlite store \`${options.file}\``);
  }
  return new SqliteStore(db, options.file);
}

/** A `Store` over one SQLite connection. */
export class SqliteStore implements Store {
  readonly ledger: LedgerStore;
  readonly versions: VersionStore;
  readonly agents: AgentStateStore;
  readonly credentials: Store['credentials'];
  readonly tokens: TokenStore;
  readonly actions: ActionStore;
  readonly approvals: ApprovalStore;
  readonly signals: SignalStore;
  private closed = false;
  private readonly pending: {
    run: (db: Database.Database) => unknown;
    resolve: (value: unknown) => void;
    reject: (e: unknown) => void;
    code: ErrorCode;
    what: string;
  }[] = [];

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {
    this.ledger = new SqliteLedger(this);
    this.versions = new SqliteVersions(this);
    this.agents = new SqliteAgents(this);
    this.credentials = new SqliteCredentials(this);
    this.tokens = new SqliteTokens(this);
    this.actions = new SqliteActions(this);
    this.approvals = new SqliteApprovals(this);
    this.signals = new SqliteSignals(this);
  }

  /** Runs `fn` on the open connection, turning every failure into `code`. */
  run<T>(code: ErrorCode, what: string, fn: (db: Database.Database) => T): Promise<T> {
    try {
      if (this.closed) throw new Error('the store is closed');
      return Promise.resolve(fn(this.db));
    } catch (e) {
      return Promise.reject(wrap(e, code, `${what} (sqlite \`${this.file}\`)`));
    }
  }

  /**
   * Runs a small write in the next shared transaction (group commit for the daemon's state): writes queued
   * in the same turn of the event loop commit together, with one fsync, each in its own savepoint, so one
   * that fails (a conflict) rolls back alone and the others still commit. Resolves once the shared
   * transaction is committed, so acknowledged still means durable.
   */
  write<T>(code: ErrorCode, what: string, fn: (db: Database.Database) => T): Promise<T> {
    if (this.closed)
      return Promise.reject(
        wrap(new Error('the store is closed'), code, `${what} (sqlite \`${this.file}\`)`),
      );
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run: fn, resolve: resolve as (v: unknown) => void, reject, code, what });
      if (this.pending.length === 1) setImmediate(() => this.flushWrites());
    });
  }

  private flushWrites(): void {
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      if (this.closed) throw new Error('the store is closed');
      this.db.transaction(() => {
        for (const w of batch) {
          try {
            results.push({ ok: true, value: this.db.transaction(() => w.run(this.db))() });
          } catch (e) {
            results.push({ ok: false, error: e });
          }
        }
      })();
    } catch (e) {
      // The shared commit failed: nothing in the batch is durable.
      for (const w of batch) w.reject(wrap(e, w.code, `${w.what} (sqlite \`${this.file}\`)`));
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i];
      if (r?.ok) w.resolve(r.value);
      else w.reject(wrap(r?.error, w.code, `${w.what} (sqlite \`${this.file}\`)`));
    });
  }

  migrate(): Promise<MigrationResult> {
    return this.run('AOS_STORE_UNAVAILABLE', 'cannot migrate', (db) => {
      const from = schemaVersion(db);
      if (from > LATEST) {
        throw new AgentOsError(
          'AOS_STORE_SCHEMA',
          `the sqlite store \`${this.file}\` has schema version ${from}; this build knows up to ${LATEST}`,
        );
      }
      if (from === LATEST) return { from, to: from };
      db.transaction(() => {
        db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
        const now = schemaVersion(db); // re-read under the write lock: another process may have migrated
        const record = db.prepare(
          "INSERT INTO schema_migrations VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        );
        for (const m of MIGRATIONS) {
          if (m.version <= now) continue;
          db.exec(m.sql);
          record.run(m.version, m.name);
        }
      }).immediate();
      return { from, to: LATEST };
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.flushWrites(); // queued writes commit (or fail) before the connection closes
      this.closed = true;
      this.db.close();
    }
    return Promise.resolve();
  }
}

function schemaVersion(db: Database.Database): number {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!table) return 0;
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

const LEDGER_COLUMNS = 'stream, seq, time, type, body, prev, key_id, mac';

class SqliteLedger implements LedgerStore {
  // The append transaction, built once per connection: preparing its statements and wrapping it in
  // `db.transaction` cost more than the inserts of a small batch.
  private readonly appenders = new WeakMap<
    Database.Database,
    Database.Transaction<(records: readonly LedgerRecord[]) => void>
  >();

  constructor(private readonly store: SqliteStore) {}

  append(records: readonly LedgerRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.store.run('AOS_LEDGER_UNAVAILABLE', 'cannot append to the ledger', (db) => {
      let append = this.appenders.get(db);
      if (!append) {
        const last = db.prepare('SELECT max(seq) AS seq FROM ledger WHERE stream = ?');
        const insert = db.prepare(
          `INSERT INTO ledger (${LEDGER_COLUMNS}, agent, episode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        append = db.transaction((batch: readonly LedgerRecord[]) => {
          const rows = planAppend(batch, (s) => (last.get(s) as { seq: number | null }).seq ?? 0);
          for (const r of rows) {
            insert.run(r.stream, r.seq, r.time, r.type, r.body, r.prev, r.key_id, r.mac, r.agent, r.episode);
          }
        });
        this.appenders.set(db, append);
      }
      // IMMEDIATE takes the write lock before reading `last`, so no other connection can append in between.
      append.immediate(records);
    });
  }

  async last(stream: string): Promise<LedgerRecord | undefined> {
    const row = await this.store.run('AOS_LEDGER_UNAVAILABLE', 'cannot read the ledger', (db) =>
      db
        .prepare(`SELECT ${LEDGER_COLUMNS} FROM ledger WHERE stream = ? ORDER BY seq DESC LIMIT 1`)
        .get(stream),
    );
    return row ? toRecord(row as LedgerRow) : undefined;
  }

  async *read(query: LedgerQuery = {}): AsyncIterable<LedgerRecord> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (cond: string, value: string | number): void => {
      where.push(cond);
      params.push(value);
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
    // Keyset pages: better-sqlite3 cannot keep a cursor open across awaits. Within one stream the key is
    // `seq` alone: with `stream = ?` SQLite would not seek on `(stream, seq) > (?, ?)` but rescan the stream.
    const keyset = query.stream === undefined ? '(stream, seq) > (?, ?)' : 'seq > ?';
    while (remaining > 0) {
      const size = Math.min(PAGE_SIZE, remaining);
      const conds = after ? [...where, keyset] : where;
      const sql = `SELECT ${LEDGER_COLUMNS} FROM ledger ${conds.length ? 'WHERE ' + conds.join(' AND ') : ''}
        ORDER BY stream, seq LIMIT ?`;
      const page = (await this.store.run('AOS_LEDGER_UNAVAILABLE', 'cannot read the ledger', (db) =>
        db.prepare(sql).all(...params, ...(after ?? []), size),
      )) as LedgerRow[];
      for (const row of page) yield toRecord(row);
      const tail = page.at(-1);
      if (!tail || page.length < size) return;
      remaining -= page.length;
      after = query.stream === undefined ? [tail.stream, Number(tail.seq)] : [Number(tail.seq)];
    }
  }

  streams(): Promise<string[]> {
    return this.store.run('AOS_LEDGER_UNAVAILABLE', 'cannot read the ledger', (db) =>
      (db.prepare('SELECT DISTINCT stream FROM ledger ORDER BY stream').all() as { stream: string }[]).map(
        (r) => r.stream,
      ),
    );
  }
}

interface VersionRow {
  kind: VersionKind;
  version: number;
  hash: string;
  time: string;
  content: string;
}

const VERSION_SELECT =
  'SELECT v.kind, v.version, v.hash, v.time, b.content FROM versions v JOIN blobs b ON b.hash = v.hash';

class SqliteVersions implements VersionStore {
  constructor(private readonly store: SqliteStore) {}

  put(input: { kind: VersionKind; content: string; time: string }): Promise<StoredVersion> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot store a ${input.kind} version`, (db) => {
      const hash = contentHash(input.content);
      return db
        .transaction((): StoredVersion => {
          db.prepare('INSERT INTO blobs (hash, content) VALUES (?, ?) ON CONFLICT DO NOTHING').run(
            hash,
            input.content,
          );
          const row = db.prepare('SELECT max(version) AS v FROM versions WHERE kind = ?').get(input.kind) as {
            v: number | null;
          };
          const version = (row.v ?? 0) + 1;
          db.prepare('INSERT INTO versions (kind, version, hash, time) VALUES (?, ?, ?, ?)').run(
            input.kind,
            version,
            hash,
            input.time,
          );
          return { kind: input.kind, version, hash, time: input.time, content: input.content };
        })
        .immediate();
    });
  }

  get(kind: VersionKind, version: number): Promise<StoredVersion | undefined> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot read a ${kind} version`, (db) =>
      db.prepare(`${VERSION_SELECT} WHERE v.kind = ? AND v.version = ?`).get(kind, version),
    ) as Promise<VersionRow | undefined>;
  }

  latest(kind: VersionKind): Promise<StoredVersion | undefined> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot read a ${kind} version`, (db) =>
      db.prepare(`${VERSION_SELECT} WHERE v.kind = ? ORDER BY v.version DESC LIMIT 1`).get(kind),
    ) as Promise<VersionRow | undefined>;
  }
}

class SqliteAgents implements AgentStateStore {
  constructor(private readonly store: SqliteStore) {}

  get(agent: string): Promise<AgentState | undefined> {
    return this.store.run('AOS_STORE_UNAVAILABLE', 'cannot read agent state', (db) =>
      db.prepare('SELECT agent, state, time FROM agents WHERE agent = ?').get(agent),
    ) as Promise<AgentState | undefined>;
  }

  put(s: AgentState): Promise<void> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot store the state of \`${s.agent}\``, (db) => {
      db.prepare(
        `INSERT INTO agents (agent, state, time) VALUES (?, ?, ?)
         ON CONFLICT (agent) DO UPDATE SET state = excluded.state, time = excluded.time`,
      ).run(s.agent, s.state, s.time);
    });
  }
}

// Authentication looks a credential up on every request: prepared once per connection.
const CREDENTIAL_LOOKUPS = new Prepared({
  id: 'SELECT * FROM credentials WHERE id = ?',
  hash: 'SELECT * FROM credentials WHERE hash = ?',
});

class SqliteCredentials implements CredentialStore {
  private readonly revocation: SqliteAgentRevocation;

  constructor(private readonly store: SqliteStore) {
    this.revocation = new SqliteAgentRevocation(store);
  }

  revokeAgent(agent: string, time: string): Promise<number> {
    return this.revocation.revokeAgent(agent, time);
  }

  put(c: Omit<StoredCredential, 'revokedAt'>): Promise<void> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot store credential \`${c.id}\``, (db) => {
      db.prepare(
        'INSERT INTO credentials (id, agent, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      ).run(c.id, c.agent, c.hash, c.createdAt, c.expiresAt ?? null);
    });
  }

  get(id: string): Promise<StoredCredential | undefined> {
    return this.find('id', id);
  }

  byHash(hash: string): Promise<StoredCredential | undefined> {
    return this.find('hash', hash);
  }

  revoke(id: string, time: string): Promise<boolean> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot revoke credential \`${id}\``, (db) => {
      const r = db
        .prepare('UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
        .run(time, id);
      return r.changes === 1;
    });
  }

  private async find(column: 'id' | 'hash', value: string): Promise<StoredCredential | undefined> {
    const row = (await this.store.run('AOS_STORE_UNAVAILABLE', 'cannot read credentials', (db) =>
      CREDENTIAL_LOOKUPS.on(db, column).get(value),
    )) as CredentialRow | undefined;
    return row ? toCredential(row) : undefined;
  }
}
