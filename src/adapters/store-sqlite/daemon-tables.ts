/**
 * The daemon's tables in the SQLite store (issue 4): people's API tokens, actions, approvals and standing
 * signals, plus revoking every credential of an agent at once. The schema is `DAEMON_TABLES_SQL`, the next
 * migration; the classes run on the store's connection through `SqliteStore.run`, so they share its closed
 * check and its coded errors (a constraint violation is `AOS_STORE_CONFLICT`, anything else
 * `AOS_STORE_UNAVAILABLE`).
 */
import type Database from 'better-sqlite3';
import type {
  ActionStatus,
  ActionStore,
  ApprovalStore,
  SignalScope,
  SignalStore,
  StandingSignal,
  StoredAction,
  StoredApproval,
  StoredToken,
  TokenStore,
} from '../../governor/store.js';
import {
  rowLimit,
  toAction,
  toApproval,
  toSignal,
  toToken,
  type ActionRow,
  type ApprovalRow,
  type SignalRow,
  type TokenRow,
} from '../store-sql/daemon-rows.js';
import type { SqliteStore } from './store.js';

/**
 * The schema of the daemon's tables (the migration after version 2). Times are ISO-8601 UTC text and
 * compare as text. Actions and approvals keep rowids: their JSON columns make rows too large for a
 * `WITHOUT ROWID` table to pay off. No foreign keys between actions and approvals: the daemon writes an
 * approval before the action that points at it, and the ledger, not these tables, is the record.
 */
export const DAEMON_TABLES_SQL = `
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    person TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'approver', 'auditor', 'viewer')),
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  ) WITHOUT ROWID;
  CREATE INDEX tokens_person ON tokens (person, created_at, id);

  CREATE TABLE actions (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    status TEXT NOT NULL
      CHECK (status IN ('held', 'pending_approval', 'allowed', 'executed', 'failed', 'denied')),
    request TEXT NOT NULL,
    decision TEXT,
    outcome TEXT,
    approval TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revision INTEGER NOT NULL CHECK (revision >= 1)
  );
  -- withStatus: an equality prefix, then the read order (oldest first), with or without an agent.
  CREATE INDEX actions_status ON actions (status, created_at, id);
  CREATE INDEX actions_agent ON actions (agent, status, created_at, id);

  CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    action TEXT NOT NULL,
    agent TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'granted', 'denied', 'expired')),
    state TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revision INTEGER NOT NULL CHECK (revision >= 1)
  );
  -- pending() is the only query by status: finished approvals, the bulk over time, cost no index entry.
  CREATE INDEX approvals_pending ON approvals (expires_at, id) WHERE status = 'pending';

  CREATE TABLE signals (
    scope TEXT NOT NULL CHECK (scope IN ('agent', 'department', 'all')),
    target TEXT NOT NULL,
    signal TEXT NOT NULL CHECK (signal IN ('stop', 'kill')),
    reason TEXT,
    sent_by TEXT NOT NULL,
    time TEXT NOT NULL,
    PRIMARY KEY (scope, target)
  ) WITHOUT ROWID;
`;

/** What the daemon's tables need of the store: a connection, its closed check and its coded errors. */
export type SqliteRunner = Pick<SqliteStore, 'run' | 'write'>;

/**
 * Statements prepared once per connection, on first use: they cannot be prepared with the store, because
 * their tables exist only once `migrate` has run.
 */
export class Prepared<K extends string> {
  private readonly byConnection = new WeakMap<Database.Database, Map<K, Database.Statement>>();

  constructor(private readonly sql: Readonly<Record<K, string>>) {}

  on(db: Database.Database, key: K): Database.Statement {
    let statements = this.byConnection.get(db);
    if (!statements) {
      statements = new Map();
      this.byConnection.set(db, statements);
    }
    let statement = statements.get(key);
    if (!statement) {
      statement = db.prepare(this.sql[key]);
      statements.set(key, statement);
    }
    return statement;
  }
}

const TOKEN_COLUMNS = 'id, person, role, hash, created_at, revoked_at';
const TOKENS = new Prepared({
  put: 'INSERT INTO tokens (id, person, role, hash, created_at) VALUES (?, ?, ?, ?, ?)',
  get: `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE id = ?`,
  byHash: `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = ?`,
  revoke: 'UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  list: `SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created_at DESC, id DESC`,
  listPerson: `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE person = ? ORDER BY created_at DESC, id DESC`,
});

/** People's API tokens. */
export class SqliteTokens implements TokenStore {
  constructor(private readonly store: SqliteRunner) {}

  put(t: Omit<StoredToken, 'revokedAt'>): Promise<void> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot store token \`${t.id}\``, (db) => {
      TOKENS.on(db, 'put').run(t.id, t.person, t.role, t.hash, t.createdAt);
    });
  }

  get(id: string): Promise<StoredToken | undefined> {
    return this.one('get', id);
  }

  byHash(hash: string): Promise<StoredToken | undefined> {
    return this.one('byHash', hash);
  }

  revoke(id: string, time: string): Promise<boolean> {
    return this.store.run(
      'AOS_STORE_UNAVAILABLE',
      `cannot revoke token \`${id}\``,
      (db) => TOKENS.on(db, 'revoke').run(time, id).changes === 1,
    );
  }

  list(person?: string): Promise<StoredToken[]> {
    return this.store.run('AOS_STORE_UNAVAILABLE', 'cannot read tokens', (db) => {
      const rows =
        person === undefined ? TOKENS.on(db, 'list').all() : TOKENS.on(db, 'listPerson').all(person);
      return (rows as TokenRow[]).map(toToken);
    });
  }

  private one(key: 'get' | 'byHash', value: string): Promise<StoredToken | undefined> {
    return this.store.run('AOS_STORE_UNAVAILABLE', 'cannot read tokens', (db) => {
      const row = TOKENS.on(db, key).get(value) as TokenRow | undefined;
      return row ? toToken(row) : undefined;
    });
  }
}

const ACTION_COLUMNS =
  'id, agent, status, request, decision, outcome, approval, created_at, updated_at, revision';
const ACTIONS = new Prepared({
  put: `INSERT INTO actions (${ACTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING ${ACTION_COLUMNS}`,
  get: `SELECT ${ACTION_COLUMNS} FROM actions WHERE id = ?`,
  // A field the change leaves out (NULL here) keeps its value.
  update: `UPDATE actions SET status = coalesce(?, status), decision = coalesce(?, decision),
      outcome = coalesce(?, outcome), approval = coalesce(?, approval), updated_at = coalesce(?, updated_at),
      revision = revision + 1
    WHERE id = ? AND revision = ? RETURNING ${ACTION_COLUMNS}`,
  // LIMIT -1: no limit.
  withStatus: `SELECT ${ACTION_COLUMNS} FROM actions WHERE status = ? ORDER BY created_at, id LIMIT ?`,
  withStatusOf: `SELECT ${ACTION_COLUMNS} FROM actions WHERE status = ? AND agent = ?
    ORDER BY created_at, id LIMIT ?`,
});

/** The daemon's actions, with optimistic concurrency on `revision`. */
export class SqliteActions implements ActionStore {
  constructor(private readonly store: SqliteRunner) {}

  put(a: Omit<StoredAction, 'revision'>): Promise<StoredAction> {
    return this.store.write('AOS_STORE_UNAVAILABLE', `cannot store action \`${a.id}\``, (db) => {
      const row = ACTIONS.on(db, 'put').get(
        a.id,
        a.agent,
        a.status,
        a.request,
        a.decision ?? null,
        a.outcome ?? null,
        a.approval ?? null,
        a.createdAt,
        a.updatedAt,
      );
      return toAction(row as ActionRow);
    });
  }

  get(id: string): Promise<StoredAction | undefined> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot read action \`${id}\``, (db) => {
      const row = ACTIONS.on(db, 'get').get(id) as ActionRow | undefined;
      return row ? toAction(row) : undefined;
    });
  }

  update(
    id: string,
    revision: number,
    change: Partial<Pick<StoredAction, 'status' | 'decision' | 'outcome' | 'approval' | 'updatedAt'>>,
  ): Promise<StoredAction | undefined> {
    return this.store.write('AOS_STORE_UNAVAILABLE', `cannot update action \`${id}\``, (db) => {
      const row = ACTIONS.on(db, 'update').get(
        change.status ?? null,
        change.decision ?? null,
        change.outcome ?? null,
        change.approval ?? null,
        change.updatedAt ?? null,
        id,
        revision,
      ) as ActionRow | undefined;
      return row ? toAction(row) : undefined;
    });
  }

  withStatus(
    status: ActionStatus,
    options: { agent?: string; limit?: number } = {},
  ): Promise<StoredAction[]> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot read ${status} actions`, (db) => {
      const limit = rowLimit(options.limit) ?? -1;
      const rows =
        options.agent === undefined
          ? ACTIONS.on(db, 'withStatus').all(status, limit)
          : ACTIONS.on(db, 'withStatusOf').all(status, options.agent, limit);
      return (rows as ActionRow[]).map(toAction);
    });
  }
}

const APPROVAL_COLUMNS = 'id, action, agent, status, state, expires_at, updated_at, revision';
const APPROVALS = new Prepared({
  put: `INSERT INTO approvals (${APPROVAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 1) RETURNING ${APPROVAL_COLUMNS}`,
  get: `SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE id = ?`,
  update: `UPDATE approvals SET status = ?, state = ?, expires_at = ?, updated_at = ?, revision = revision + 1
    WHERE id = ? AND revision = ? RETURNING ${APPROVAL_COLUMNS}`,
  // `status = 'pending'` spelled out, so the partial index applies.
  pending: `SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE status = 'pending'
    ORDER BY expires_at, id LIMIT ?`,
  pendingDue: `SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE status = 'pending' AND expires_at < ?
    ORDER BY expires_at, id LIMIT ?`,
});

/** Approvals, with optimistic concurrency on `revision`. */
export class SqliteApprovals implements ApprovalStore {
  constructor(private readonly store: SqliteRunner) {}

  put(a: Omit<StoredApproval, 'revision'>): Promise<StoredApproval> {
    return this.store.write('AOS_STORE_UNAVAILABLE', `cannot store approval \`${a.id}\``, (db) => {
      const row = APPROVALS.on(db, 'put').get(
        a.id,
        a.action,
        a.agent,
        a.status,
        a.state,
        a.expiresAt,
        a.updatedAt,
      );
      return toApproval(row as ApprovalRow);
    });
  }

  get(id: string): Promise<StoredApproval | undefined> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot read approval \`${id}\``, (db) => {
      const row = APPROVALS.on(db, 'get').get(id) as ApprovalRow | undefined;
      return row ? toApproval(row) : undefined;
    });
  }

  update(
    id: string,
    revision: number,
    change: Pick<StoredApproval, 'status' | 'state' | 'expiresAt' | 'updatedAt'>,
  ): Promise<StoredApproval | undefined> {
    return this.store.write('AOS_STORE_UNAVAILABLE', `cannot update approval \`${id}\``, (db) => {
      const row = APPROVALS.on(db, 'update').get(
        change.status,
        change.state,
        change.expiresAt,
        change.updatedAt,
        id,
        revision,
      ) as ApprovalRow | undefined;
      return row ? toApproval(row) : undefined;
    });
  }

  pending(options: { dueBefore?: string; limit?: number } = {}): Promise<StoredApproval[]> {
    return this.store.run('AOS_STORE_UNAVAILABLE', 'cannot read pending approvals', (db) => {
      const limit = rowLimit(options.limit) ?? -1;
      const rows =
        options.dueBefore === undefined
          ? APPROVALS.on(db, 'pending').all(limit)
          : APPROVALS.on(db, 'pendingDue').all(options.dueBefore, limit);
      return (rows as ApprovalRow[]).map(toApproval);
    });
  }
}

const SIGNAL_COLUMNS = 'scope, target, signal, reason, sent_by, time';
const SIGNALS = new Prepared({
  // INVARIANT: a kill is never replaced by a stop; any other signal replaces what stands.
  raise: `INSERT INTO signals (${SIGNAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (scope, target) DO UPDATE SET signal = excluded.signal, reason = excluded.reason,
      sent_by = excluded.sent_by, time = excluded.time
    WHERE signals.signal = 'stop' OR excluded.signal = 'kill'`,
  clear: "DELETE FROM signals WHERE scope = ? AND target = ? AND signal = 'stop'",
  get: `SELECT ${SIGNAL_COLUMNS} FROM signals WHERE scope = ? AND target = ?`,
  list: `SELECT ${SIGNAL_COLUMNS} FROM signals ORDER BY scope, target`,
});

/** Standing signals, one per (scope, target). */
export class SqliteSignals implements SignalStore {
  constructor(private readonly store: SqliteRunner) {}

  raise(s: StandingSignal): Promise<StandingSignal> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot raise ${s.signal} on \`${s.target}\``, (db) =>
      db
        .transaction((): StandingSignal => {
          SIGNALS.on(db, 'raise').run(s.scope, s.target, s.signal, s.reason ?? null, s.by, s.time);
          return toSignal(SIGNALS.on(db, 'get').get(s.scope, s.target) as SignalRow);
        })
        // IMMEDIATE: the write lock first, so no other connection changes the signal before the read.
        .immediate(),
    );
  }

  clear(scope: SignalScope, target: string): Promise<StandingSignal | undefined> {
    return this.store.run('AOS_STORE_UNAVAILABLE', `cannot clear the stop on \`${target}\``, (db) =>
      db
        .transaction((): StandingSignal | undefined => {
          SIGNALS.on(db, 'clear').run(scope, target);
          const row = SIGNALS.on(db, 'get').get(scope, target) as SignalRow | undefined;
          return row ? toSignal(row) : undefined;
        })
        .immediate(),
    );
  }

  list(): Promise<StandingSignal[]> {
    return this.store.run('AOS_STORE_UNAVAILABLE', 'cannot read signals', (db) =>
      (SIGNALS.on(db, 'list').all() as SignalRow[]).map(toSignal),
    );
  }
}

const CREDENTIALS = new Prepared({
  revokeAgent: 'UPDATE credentials SET revoked_at = ? WHERE agent = ? AND revoked_at IS NULL',
});

/** Revokes every credential of one agent at once (`kill`); for `SqliteCredentials.revokeAgent`. */
export class SqliteAgentRevocation {
  constructor(private readonly store: SqliteRunner) {}

  /**
   * Revokes every unrevoked credential of an agent, in one statement; resolves with how many were revoked.
   * A credential revoked before keeps its first `revokedAt`.
   */
  revokeAgent(agent: string, time: string): Promise<number> {
    return this.store.run(
      'AOS_STORE_UNAVAILABLE',
      `cannot revoke the credentials of \`${agent}\``,
      (db) => CREDENTIALS.on(db, 'revokeAgent').run(time, agent).changes,
    );
  }
}
