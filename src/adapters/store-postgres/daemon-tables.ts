/**
 * The daemon's tables in the PostgreSQL store (issue 4): people's API tokens, actions, approvals and
 * standing signals, plus revoking every credential of an agent at once. The schema is
 * `PG_DAEMON_TABLES_SQL`, the next migration; the classes run on the store's pool through
 * `PostgresStore.query` and `.tx`, so they share its closed check and its coded errors (a unique violation
 * is `AOS_STORE_CONFLICT`, anything else `AOS_STORE_UNAVAILABLE`).
 *
 * INVARIANT: acknowledged means durable. A write that is one statement carries `DURABLE` (as the ledger's
 * append does): `set_config(…, true)` is `SET LOCAL synchronous_commit TO on` for the statement's own
 * transaction, evaluated once, and were it not `on` nothing would be written. A write of several
 * statements runs in `tx`, which sets the same.
 */
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
import type { PostgresStore } from './store.js';

/**
 * The schema of the daemon's tables (the migration after version 2), inside the store's schema (`$S`,
 * already quoted). Keys and times are `COLLATE "C"`: byte order, as in SQLite, so ISO-8601 times compare
 * as text. See `store-sqlite/daemon-tables.ts` for the shape and its reasons.
 */
export const PG_DAEMON_TABLES_SQL = `
  CREATE TABLE $S.tokens (
    id text COLLATE "C" PRIMARY KEY,
    person text COLLATE "C" NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'approver', 'auditor', 'viewer')),
    hash text COLLATE "C" NOT NULL UNIQUE,
    created_at text COLLATE "C" NOT NULL,
    revoked_at text
  );
  CREATE INDEX tokens_person ON $S.tokens (person, created_at, id);

  CREATE TABLE $S.actions (
    id text COLLATE "C" PRIMARY KEY,
    agent text COLLATE "C" NOT NULL,
    status text COLLATE "C" NOT NULL
      CHECK (status IN ('held', 'pending_approval', 'allowed', 'executed', 'failed', 'denied')),
    request text NOT NULL,
    decision text,
    outcome text,
    approval text COLLATE "C",
    created_at text COLLATE "C" NOT NULL,
    updated_at text NOT NULL,
    revision integer NOT NULL CHECK (revision >= 1)
  );
  CREATE INDEX actions_status ON $S.actions (status, created_at, id);
  CREATE INDEX actions_agent ON $S.actions (agent, status, created_at, id);

  CREATE TABLE $S.approvals (
    id text COLLATE "C" PRIMARY KEY,
    action text COLLATE "C" NOT NULL,
    agent text COLLATE "C" NOT NULL,
    status text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'granted', 'denied', 'expired')),
    state text NOT NULL,
    expires_at text COLLATE "C" NOT NULL,
    updated_at text NOT NULL,
    revision integer NOT NULL CHECK (revision >= 1)
  );
  CREATE INDEX approvals_pending ON $S.approvals (expires_at, id) WHERE status = 'pending';

  CREATE TABLE $S.signals (
    scope text COLLATE "C" NOT NULL CHECK (scope IN ('agent', 'department', 'all')),
    target text COLLATE "C" NOT NULL,
    signal text NOT NULL CHECK (signal IN ('stop', 'kill')),
    reason text,
    sent_by text NOT NULL,
    time text NOT NULL,
    PRIMARY KEY (scope, target)
  );
`;

/** What the daemon's tables need of the store: its quoted schema, its pool, closed check and coded errors. */
export type PgRunner = Pick<PostgresStore, 's' | 'query' | 'count' | 'tx'>;

/** See the INVARIANT at the top: one statement, durably committed. */
const DURABLE = "(SELECT set_config('synchronous_commit', 'on', true)) = 'on'";

/** A named statement (parsed and planned once per pooled connection) in the store's schema. */
interface Named {
  readonly name: string;
  readonly text: string;
}

/** Names each statement `agentos_<table>_<key>` and puts the store's schema into its text. */
function named<K extends string>(
  table: string,
  s: string,
  sql: Readonly<Record<K, string>>,
): Record<K, Named> {
  const out = {} as Record<K, Named>;
  for (const key of Object.keys(sql) as K[]) {
    out[key] = { name: `agentos_${table}_${key}`, text: sql[key].replaceAll('$S', s) };
  }
  return out;
}

const TOKEN_COLUMNS = 'id, person, role, hash, created_at, revoked_at';

/** People's API tokens. */
export class PgTokens implements TokenStore {
  private readonly sql;

  constructor(private readonly store: PgRunner) {
    this.sql = named('tokens', store.s, {
      put: `INSERT INTO $S.tokens (id, person, role, hash, created_at)
        SELECT $1::text, $2::text, $3::text, $4::text, $5::text WHERE ${DURABLE}`,
      get: `SELECT ${TOKEN_COLUMNS} FROM $S.tokens WHERE id = $1`,
      byHash: `SELECT ${TOKEN_COLUMNS} FROM $S.tokens WHERE hash = $1`,
      revoke: `UPDATE $S.tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL AND ${DURABLE}`,
      list: `SELECT ${TOKEN_COLUMNS} FROM $S.tokens ORDER BY created_at DESC, id DESC`,
      listPerson: `SELECT ${TOKEN_COLUMNS} FROM $S.tokens WHERE person = $1 ORDER BY created_at DESC, id DESC`,
    });
  }

  async put(t: Omit<StoredToken, 'revokedAt'>): Promise<void> {
    await this.store.query('AOS_STORE_UNAVAILABLE', `cannot store token \`${t.id}\``, this.sql.put, [
      t.id,
      t.person,
      t.role,
      t.hash,
      t.createdAt,
    ]);
  }

  get(id: string): Promise<StoredToken | undefined> {
    return this.one(this.sql.get, id);
  }

  byHash(hash: string): Promise<StoredToken | undefined> {
    return this.one(this.sql.byHash, hash);
  }

  async revoke(id: string, time: string): Promise<boolean> {
    const what = `cannot revoke token \`${id}\``;
    return (await this.store.count('AOS_STORE_UNAVAILABLE', what, this.sql.revoke, [time, id])) === 1;
  }

  async list(person?: string): Promise<StoredToken[]> {
    const rows =
      person === undefined
        ? await this.store.query<TokenRow>('AOS_STORE_UNAVAILABLE', 'cannot read tokens', this.sql.list)
        : await this.store.query<TokenRow>(
            'AOS_STORE_UNAVAILABLE',
            'cannot read tokens',
            this.sql.listPerson,
            [person],
          );
    return rows.map(toToken);
  }

  private async one(sql: Named, value: string): Promise<StoredToken | undefined> {
    const [row] = await this.store.query<TokenRow>('AOS_STORE_UNAVAILABLE', 'cannot read tokens', sql, [
      value,
    ]);
    return row ? toToken(row) : undefined;
  }
}

const ACTION_COLUMNS =
  'id, agent, status, request, decision, outcome, approval, created_at, updated_at, revision';

/** The daemon's actions, with optimistic concurrency on `revision`. */
export class PgActions implements ActionStore {
  private readonly sql;

  constructor(private readonly store: PgRunner) {
    this.sql = named('actions', store.s, {
      put: `INSERT INTO $S.actions (${ACTION_COLUMNS})
        SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, 1
        WHERE ${DURABLE} RETURNING ${ACTION_COLUMNS}`,
      get: `SELECT ${ACTION_COLUMNS} FROM $S.actions WHERE id = $1`,
      // A field the change leaves out (NULL here) keeps its value. Under READ COMMITTED a writer racing for
      // the same revision waits for the first, then re-checks `revision` on the new row and changes nothing.
      update: `UPDATE $S.actions SET status = coalesce($1, status), decision = coalesce($2, decision),
          outcome = coalesce($3, outcome), approval = coalesce($4, approval),
          updated_at = coalesce($5, updated_at), revision = revision + 1
        WHERE id = $6 AND revision = $7 AND ${DURABLE} RETURNING ${ACTION_COLUMNS}`,
      // LIMIT NULL: no limit.
      withStatus: `SELECT ${ACTION_COLUMNS} FROM $S.actions WHERE status = $1 ORDER BY created_at, id LIMIT $2`,
      withStatusOf: `SELECT ${ACTION_COLUMNS} FROM $S.actions WHERE status = $1 AND agent = $2
        ORDER BY created_at, id LIMIT $3`,
    });
  }

  async put(a: Omit<StoredAction, 'revision'>): Promise<StoredAction> {
    const [row] = await this.store.query<ActionRow>(
      'AOS_STORE_UNAVAILABLE',
      `cannot store action \`${a.id}\``,
      this.sql.put,
      [
        a.id,
        a.agent,
        a.status,
        a.request,
        a.decision ?? null,
        a.outcome ?? null,
        a.approval ?? null,
        a.createdAt,
        a.updatedAt,
      ],
    );
    if (!row) throw new Error('the insert returned no row'); // unreachable: see DURABLE
    return toAction(row);
  }

  async get(id: string): Promise<StoredAction | undefined> {
    const [row] = await this.store.query<ActionRow>(
      'AOS_STORE_UNAVAILABLE',
      `cannot read action \`${id}\``,
      this.sql.get,
      [id],
    );
    return row ? toAction(row) : undefined;
  }

  async update(
    id: string,
    revision: number,
    change: Partial<Pick<StoredAction, 'status' | 'decision' | 'outcome' | 'approval' | 'updatedAt'>>,
  ): Promise<StoredAction | undefined> {
    const [row] = await this.store.query<ActionRow>(
      'AOS_STORE_UNAVAILABLE',
      `cannot update action \`${id}\``,
      this.sql.update,
      [
        change.status ?? null,
        change.decision ?? null,
        change.outcome ?? null,
        change.approval ?? null,
        change.updatedAt ?? null,
        id,
        revision,
      ],
    );
    return row ? toAction(row) : undefined;
  }

  async withStatus(
    status: ActionStatus,
    options: { agent?: string; limit?: number } = {},
  ): Promise<StoredAction[]> {
    const limit = rowLimit(options.limit) ?? null;
    const rows =
      options.agent === undefined
        ? await this.store.query<ActionRow>(
            'AOS_STORE_UNAVAILABLE',
            `cannot read ${status} actions`,
            this.sql.withStatus,
            [status, limit],
          )
        : await this.store.query<ActionRow>(
            'AOS_STORE_UNAVAILABLE',
            `cannot read ${status} actions`,
            this.sql.withStatusOf,
            [status, options.agent, limit],
          );
    return rows.map(toAction);
  }
}

const APPROVAL_COLUMNS = 'id, action, agent, status, state, expires_at, updated_at, revision';

/** Approvals, with optimistic concurrency on `revision`. */
export class PgApprovals implements ApprovalStore {
  private readonly sql;

  constructor(private readonly store: PgRunner) {
    this.sql = named('approvals', store.s, {
      put: `INSERT INTO $S.approvals (${APPROVAL_COLUMNS})
        SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, 1
        WHERE ${DURABLE} RETURNING ${APPROVAL_COLUMNS}`,
      get: `SELECT ${APPROVAL_COLUMNS} FROM $S.approvals WHERE id = $1`,
      update: `UPDATE $S.approvals SET status = $1, state = $2, expires_at = $3, updated_at = $4,
          revision = revision + 1
        WHERE id = $5 AND revision = $6 AND ${DURABLE} RETURNING ${APPROVAL_COLUMNS}`,
      // `status = 'pending'` spelled out, so the partial index applies to the prepared statement's plan.
      pending: `SELECT ${APPROVAL_COLUMNS} FROM $S.approvals WHERE status = 'pending'
        ORDER BY expires_at, id LIMIT $1`,
      pendingDue: `SELECT ${APPROVAL_COLUMNS} FROM $S.approvals WHERE status = 'pending' AND expires_at < $1
        ORDER BY expires_at, id LIMIT $2`,
    });
  }

  async put(a: Omit<StoredApproval, 'revision'>): Promise<StoredApproval> {
    const [row] = await this.store.query<ApprovalRow>(
      'AOS_STORE_UNAVAILABLE',
      `cannot store approval \`${a.id}\``,
      this.sql.put,
      [a.id, a.action, a.agent, a.status, a.state, a.expiresAt, a.updatedAt],
    );
    if (!row) throw new Error('the insert returned no row'); // unreachable: see DURABLE
    return toApproval(row);
  }

  async get(id: string): Promise<StoredApproval | undefined> {
    const [row] = await this.store.query<ApprovalRow>(
      'AOS_STORE_UNAVAILABLE',
      `cannot read approval \`${id}\``,
      this.sql.get,
      [id],
    );
    return row ? toApproval(row) : undefined;
  }

  async update(
    id: string,
    revision: number,
    change: Pick<StoredApproval, 'status' | 'state' | 'expiresAt' | 'updatedAt'>,
  ): Promise<StoredApproval | undefined> {
    const [row] = await this.store.query<ApprovalRow>(
      'AOS_STORE_UNAVAILABLE',
      `cannot update approval \`${id}\``,
      this.sql.update,
      [change.status, change.state, change.expiresAt, change.updatedAt, id, revision],
    );
    return row ? toApproval(row) : undefined;
  }

  async pending(options: { dueBefore?: string; limit?: number } = {}): Promise<StoredApproval[]> {
    const limit = rowLimit(options.limit) ?? null;
    const what = 'cannot read pending approvals';
    const rows =
      options.dueBefore === undefined
        ? await this.store.query<ApprovalRow>('AOS_STORE_UNAVAILABLE', what, this.sql.pending, [limit])
        : await this.store.query<ApprovalRow>('AOS_STORE_UNAVAILABLE', what, this.sql.pendingDue, [
            options.dueBefore,
            limit,
          ]);
    return rows.map(toApproval);
  }
}

const SIGNAL_COLUMNS = 'scope, target, signal, reason, sent_by, time';

/** Standing signals, one per (scope, target). */
export class PgSignals implements SignalStore {
  private readonly sql;

  constructor(private readonly store: PgRunner) {
    this.sql = named('signals', store.s, {
      // INVARIANT: a kill is never replaced by a stop; any other signal replaces what stands.
      raise: `INSERT INTO $S.signals AS old (${SIGNAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (scope, target) DO UPDATE SET signal = excluded.signal, reason = excluded.reason,
          sent_by = excluded.sent_by, time = excluded.time
        WHERE old.signal = 'stop' OR excluded.signal = 'kill'
        RETURNING ${SIGNAL_COLUMNS}`,
      clear: `DELETE FROM $S.signals WHERE scope = $1 AND target = $2 AND signal = 'stop'`,
      get: `SELECT ${SIGNAL_COLUMNS} FROM $S.signals WHERE scope = $1 AND target = $2`,
      list: `SELECT ${SIGNAL_COLUMNS} FROM $S.signals ORDER BY scope, target`,
    });
  }

  raise(s: StandingSignal): Promise<StandingSignal> {
    return this.store.tx(
      'AOS_STORE_UNAVAILABLE',
      `cannot raise ${s.signal} on \`${s.target}\``,
      async (c) => {
        const raised = await c.query<SignalRow>({
          ...this.sql.raise,
          values: [s.scope, s.target, s.signal, s.reason ?? null, s.by, s.time],
        });
        // Nothing returned: a kill stands and the stop left it alone. The upsert holds the row's lock, and
        // under READ COMMITTED this next statement sees the kill even if another transaction just stored it.
        const row =
          raised.rows[0] ??
          (await c.query<SignalRow>({ ...this.sql.get, values: [s.scope, s.target] })).rows[0];
        if (!row) throw new Error('no signal stands after raising one'); // unreachable: the upsert wrote or kept one
        return toSignal(row);
      },
    );
  }

  clear(scope: SignalScope, target: string): Promise<StandingSignal | undefined> {
    return this.store.tx('AOS_STORE_UNAVAILABLE', `cannot clear the stop on \`${target}\``, async (c) => {
      await c.query({ ...this.sql.clear, values: [scope, target] });
      const row = (await c.query<SignalRow>({ ...this.sql.get, values: [scope, target] })).rows[0];
      return row ? toSignal(row) : undefined;
    });
  }

  async list(): Promise<StandingSignal[]> {
    const rows = await this.store.query<SignalRow>(
      'AOS_STORE_UNAVAILABLE',
      'cannot read signals',
      this.sql.list,
    );
    return rows.map(toSignal);
  }
}

/**
 * Revokes every credential of one agent at once (`kill`); for `PgCredentials.revokeAgent`. Holds its
 * named statement, so build one per store.
 */
export class PgAgentRevocation {
  private readonly sql;

  constructor(private readonly store: PgRunner) {
    this.sql = named('credentials', store.s, {
      revokeAgent: `UPDATE $S.credentials SET revoked_at = $1 WHERE agent = $2 AND revoked_at IS NULL
        AND ${DURABLE}`,
    });
  }

  /**
   * Revokes every unrevoked credential of an agent, in one statement; resolves with how many were revoked.
   * A credential revoked before keeps its first `revokedAt`.
   */
  async revokeAgent(agent: string, time: string): Promise<number> {
    return this.store.count(
      'AOS_STORE_UNAVAILABLE',
      `cannot revoke the credentials of \`${agent}\``,
      this.sql.revokeAgent,
      [time, agent],
    );
  }
}
