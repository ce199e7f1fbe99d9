/**
 * The storage port (DESIGN §10): one interface, two adapters (`store-sqlite`, the embedded default, and
 * `store-postgres`, for several kernel nodes sharing state), one contract suite (`test/contract`).
 *
 * Every method is async and fails closed: when the store cannot do what was asked it rejects with a coded
 * `AgentOsError`, never a silent success. See `docs/storage.md`.
 */
import type { LedgerRecord, RecordType } from '../kernel/ledger/record.js';

/** A filter over the ledger. Every field narrows; results always come in `(stream, seq)` order. */
export interface LedgerQuery {
  /** Only this stream. */
  readonly stream?: string | undefined;
  /** Only records with `seq >= fromSeq`. */
  readonly fromSeq?: number | undefined;
  /** Only records with `time >= since` (ISO-8601 UTC, compared as text). */
  readonly since?: string | undefined;
  /** Only records with `time < until` (ISO-8601 UTC, compared as text). */
  readonly until?: string | undefined;
  /** Only records of this type. */
  readonly type?: RecordType | undefined;
  /** Only records whose body's top-level `agent` is this (indexed; see `src/kernel/ledger/bodies.ts`). */
  readonly agent?: string | undefined;
  /** Only records whose body's top-level `episode` is this (indexed). */
  readonly episode?: string | undefined;
  /** At most this many records. */
  readonly limit?: number | undefined;
}

/** The ledger's durable, append-only table of records. */
export interface LedgerStore {
  /**
   * Appends records in one durable transaction, all or nothing; resolves only once they are durable.
   * Within each stream the batch must continue the stream exactly (`seq` = last + 1, then + 1 each), else
   * `AOS_LEDGER_CONFLICT` (also when another writer took the same `seq` first). Rejects with
   * `AOS_LEDGER_UNAVAILABLE` when the store cannot write; the outcome is then unknown only if the failure
   * hit the commit itself, so a caller re-reads `last` before retrying.
   */
  append(records: readonly LedgerRecord[]): Promise<void>;
  /** The last record of a stream, or `undefined` for an empty stream. */
  last(stream: string): Promise<LedgerRecord | undefined>;
  /** The records matching `query`, in `(stream, seq)` order, read page by page. */
  read(query?: LedgerQuery): AsyncIterable<LedgerRecord>;
  /** Every stream that has at least one record, in byte order. */
  streams(): Promise<string[]>;
}

/** What a version stores: the organisation or the policy set. */
export type VersionKind = 'org' | 'policy';

/** One stored version of the org or the policy set; the content is kept once per distinct hash. */
export interface StoredVersion {
  readonly kind: VersionKind;
  /** 1-based, contiguous per kind. */
  readonly version: number;
  /** SHA-256 of `content` (UTF-8), hex: the content's address. */
  readonly hash: string;
  /** ISO-8601 UTC, as the caller gave it. */
  readonly time: string;
  readonly content: string;
}

/** Org and policy versions as content-addressed blobs plus a version table. */
export interface VersionStore {
  /** Stores `content` as the next version of `kind`; `AOS_STORE_CONFLICT` if another writer took it first. */
  put(input: { kind: VersionKind; content: string; time: string }): Promise<StoredVersion>;
  /** One version, or `undefined`. */
  get(kind: VersionKind, version: number): Promise<StoredVersion | undefined>;
  /** The newest version of `kind`, or `undefined` when there is none. */
  latest(kind: VersionKind): Promise<StoredVersion | undefined>;
}

/** An agent's lifecycle state (DESIGN §6: SIGSTOP, SIGCONT, SIGKILL; a removed owner suspends). */
export type AgentLifecycle = 'active' | 'stopped' | 'suspended' | 'killed';

/** The current lifecycle state of one agent. */
export interface AgentState {
  readonly agent: string;
  readonly state: AgentLifecycle;
  /** ISO-8601 UTC of the change. */
  readonly time: string;
}

/** Agents' current lifecycle state (the history is in the ledger). */
export interface AgentStateStore {
  get(agent: string): Promise<AgentState | undefined>;
  /** Sets (or replaces) an agent's state. */
  put(state: AgentState): Promise<void>;
}

/** A credential as stored: only a one-way hash of the secret, never the secret itself. */
export interface StoredCredential {
  readonly id: string;
  readonly agent: string;
  /** A one-way hash of the secret (e.g. SHA-256, hex), made by the caller. */
  readonly hash: string;
  readonly createdAt: string;
  readonly expiresAt?: string | undefined;
  readonly revokedAt?: string | undefined;
}

/** Agents' credentials, hashed. */
export interface CredentialStore {
  /** Stores a new credential; `AOS_STORE_CONFLICT` when its id or hash is already stored. */
  put(credential: Omit<StoredCredential, 'revokedAt'>): Promise<void>;
  get(id: string): Promise<StoredCredential | undefined>;
  /** Looks a credential up by the hash of a presented secret. */
  byHash(hash: string): Promise<StoredCredential | undefined>;
  /** Marks a credential revoked; false when there is no such credential or it was already revoked. */
  revoke(id: string, time: string): Promise<boolean>;
}

/** What a person's API token lets them do (issue 4: every endpoint checks the caller's role). */
export type PersonRole = 'admin' | 'approver' | 'auditor' | 'viewer';

/** A person's API token as stored: only a one-way hash of the secret. */
export interface StoredToken {
  readonly id: string;
  readonly person: string;
  readonly role: PersonRole;
  /** A one-way hash of the secret (SHA-256, hex), made by the caller. */
  readonly hash: string;
  readonly createdAt: string;
  readonly revokedAt?: string | undefined;
}

/** People's API tokens, hashed. */
export interface TokenStore {
  /** Stores a new token; `AOS_STORE_CONFLICT` when its id or hash is already stored. */
  put(token: Omit<StoredToken, 'revokedAt'>): Promise<void>;
  get(id: string): Promise<StoredToken | undefined>;
  /** Looks a token up by the hash of a presented secret. */
  byHash(hash: string): Promise<StoredToken | undefined>;
  /** Marks a token revoked; false when there is no such token or it was already revoked. */
  revoke(id: string, time: string): Promise<boolean>;
  /** Every token of a person (or all), newest first. */
  list(person?: string): Promise<StoredToken[]>;
}

/**
 * Where an action stands in the daemon. `held`: its agent is stopped; `pending_approval`: waiting for
 * people; the rest are final.
 */
export type ActionStatus = 'held' | 'pending_approval' | 'allowed' | 'executed' | 'failed' | 'denied';

/** One action the daemon has admitted, as stored for `GET /v1/actions/:id` and for restarts. */
export interface StoredAction {
  /** `act_…`, the id its ledger records carry. */
  readonly id: string;
  readonly agent: string;
  readonly status: ActionStatus;
  /** The ActionRequest, canonical JSON. */
  readonly request: string;
  /** The Decision, JSON, once decided. */
  readonly decision?: string | undefined;
  /** The outcome or error, JSON, once finished. */
  readonly outcome?: string | undefined;
  /** The approval waiting on it, when there is one. */
  readonly approval?: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Bumped by every update; updates name the version they replace (optimistic concurrency). */
  readonly revision: number;
}

/** The daemon's actions. */
export interface ActionStore {
  /** Stores a new action at revision 1; `AOS_STORE_CONFLICT` when its id exists. */
  put(action: Omit<StoredAction, 'revision'>): Promise<StoredAction>;
  get(id: string): Promise<StoredAction | undefined>;
  /**
   * Replaces an action if it is still at `revision`; resolves with the new value, or `undefined` when
   * another writer changed it first (re-read and decide again).
   */
  update(
    id: string,
    revision: number,
    change: Partial<Pick<StoredAction, 'status' | 'decision' | 'outcome' | 'approval' | 'updatedAt'>>,
  ): Promise<StoredAction | undefined>;
  /** Actions in one status (oldest first), e.g. every `held` action of a resumed agent. */
  withStatus(status: ActionStatus, options?: { agent?: string; limit?: number }): Promise<StoredAction[]>;
}

/** One approval as stored: the kernel's Approval value as JSON, plus what is queried. */
export interface StoredApproval {
  readonly id: string;
  readonly action: string;
  readonly agent: string;
  readonly status: 'pending' | 'granted' | 'denied' | 'expired';
  /** The kernel's `Approval` value, JSON. */
  readonly state: string;
  /** When the current level stops waiting (ISO-8601 UTC), for the expiry sweep. */
  readonly expiresAt: string;
  readonly updatedAt: string;
  readonly revision: number;
}

/** Approvals. */
export interface ApprovalStore {
  /** Stores a new approval at revision 1; `AOS_STORE_CONFLICT` when its id exists. */
  put(approval: Omit<StoredApproval, 'revision'>): Promise<StoredApproval>;
  get(id: string): Promise<StoredApproval | undefined>;
  /** Replaces an approval if still at `revision`; `undefined` when another writer changed it first. */
  update(
    id: string,
    revision: number,
    change: Pick<StoredApproval, 'status' | 'state' | 'expiresAt' | 'updatedAt'>,
  ): Promise<StoredApproval | undefined>;
  /** Pending approvals, soonest to expire first; `dueBefore` keeps those expiring before that time. */
  pending(options?: { dueBefore?: string; limit?: number }): Promise<StoredApproval[]>;
}

/** Who a signal is aimed at. */
export type SignalScope = 'agent' | 'department' | 'all';

/** A standing signal: `stop` holds new actions, `kill` refuses them; `cont` clears a stop. */
export interface StandingSignal {
  readonly scope: SignalScope;
  /** The agent or department id; `*` for `all`. */
  readonly target: string;
  readonly signal: 'stop' | 'kill';
  readonly reason?: string | undefined;
  /** Who sent it (a person id). */
  readonly by: string;
  readonly time: string;
}

/** Standing signals, one per (scope, target); the history is in the ledger. */
export interface SignalStore {
  /** Sets the signal on (scope, target), replacing a `stop` with a `kill` but never a `kill` with a `stop`. */
  raise(signal: StandingSignal): Promise<StandingSignal>;
  /** Clears a `stop` on (scope, target) (`cont`); a `kill` stays. Resolves with what stands afterwards. */
  clear(scope: SignalScope, target: string): Promise<StandingSignal | undefined>;
  /** Every standing signal (few: they are per agent or department, not per action). */
  list(): Promise<StandingSignal[]>;
}

/**
 * What the daemon needs beyond the ledger store (issue 4): tokens, actions, approvals, standing signals,
 * and revoking every credential of an agent at once (`kill`).
 */
export interface DaemonStore {
  readonly ledger: LedgerStore;
  readonly versions: VersionStore;
  readonly credentials: CredentialStore & {
    /** Revokes every unrevoked credential of an agent; resolves with how many were revoked. */
    revokeAgent(agent: string, time: string): Promise<number>;
  };
  readonly tokens: TokenStore;
  readonly actions: ActionStore;
  readonly approvals: ApprovalStore;
  readonly signals: SignalStore;
}

/** What `migrate` did: the schema version before and after. */
export interface MigrationResult {
  readonly from: number;
  readonly to: number;
}

/** The store: one database, its migrations and its tables. */
export interface Store extends DaemonStore {
  /**
   * Brings the schema to the newest version, recording each step in `schema_migrations`. Idempotent and safe
   * to run from several nodes at once. `AOS_STORE_SCHEMA` when the database is newer than this code.
   */
  migrate(): Promise<MigrationResult>;
  readonly agents: AgentStateStore;
  /** Closes the connection(s); later calls reject with a coded error. Idempotent. */
  close(): Promise<void>;
}
