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

/** What `migrate` did: the schema version before and after. */
export interface MigrationResult {
  readonly from: number;
  readonly to: number;
}

/** The store: one database, its migrations and its tables. */
export interface Store {
  /**
   * Brings the schema to the newest version, recording each step in `schema_migrations`. Idempotent and safe
   * to run from several nodes at once. `AOS_STORE_SCHEMA` when the database is newer than this code.
   */
  migrate(): Promise<MigrationResult>;
  readonly ledger: LedgerStore;
  readonly versions: VersionStore;
  readonly agents: AgentStateStore;
  readonly credentials: CredentialStore;
  /** Closes the connection(s); later calls reject with a coded error. Idempotent. */
  close(): Promise<void>;
}
