/**
 * The ledger's record and checkpoint shapes (DESIGN §5): an append-only, per-stream hash chain.
 *
 * `mac = HMAC-SHA256(key[keyId], prev ‖ canonical(content))`, where `content` is the record without
 * `mac` (RFC 8785 canonical JSON), and `prev` is the previous record's `mac` in the same stream (64 zeros
 * for the first). Checkpoints sign `(stream, seq, mac)` and a running SHA-256 hash of the records' contents
 * with Ed25519, so an auditor holding only the public key can verify what they cover (docs/ledger.md).
 */

/** A JSON value, as the ledger stores it (canonicalisable: no undefined, no functions, finite numbers). */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Record types (DESIGN §5). */
export const RECORD_TYPES = [
  'action.requested',
  'action.decided',
  'action.completed',
  'action.failed',
  'action.held',
  'approval.requested',
  'approval.voted',
  'approval.granted',
  'approval.denied',
  'approval.expired',
  'approval.reminded',
  'signal.stop',
  'signal.cont',
  'signal.kill',
  'org.changed',
  'policy.changed',
  'policy.shadowed',
  'credential.created',
  'credential.revoked',
  'key.rotated',
  'access.denied',
  'checkpoint',
] as const;

/** One record type. */
export type RecordType = (typeof RECORD_TYPES)[number];

/** The chain's starting `prev`. */
export const GENESIS = '0'.repeat(64);

/** One ledger record. */
export interface LedgerRecord {
  /** The stream (one per kernel node), so the ledger is not a global lock. */
  readonly stream: string;
  /** 1-based, contiguous within a stream. */
  readonly seq: number;
  /** ISO-8601 UTC with milliseconds. */
  readonly time: string;
  readonly type: RecordType;
  readonly body: JsonValue;
  /** The previous record's `mac` in this stream (`GENESIS` for seq 1), hex. */
  readonly prev: string;
  /** Which HMAC key made `mac`. */
  readonly keyId: string;
  /** HMAC-SHA256 over `prev ‖ canonical(record without mac)`, hex. */
  readonly mac: string;
}

/**
 * Where a stream's chain stands after its record `seq` (`seq` 0 with `mac` and `hash` both `GENESIS` before
 * the first record). `hash` is the running content hash that checkpoints sign:
 * `hash_n = SHA-256(hash_{n-1} ‖ canonical(record_n))`, the record including its `mac`.
 */
export interface ChainHead {
  readonly stream: string;
  readonly seq: number;
  readonly mac: string;
  readonly hash: string;
}

/**
 * The body of a `checkpoint` record at `seq` k. It covers exactly the records before it, 1…k−1: `seq` is
 * k−1 and `mac`/`hash` are that record's MAC and running hash. The checkpoint record itself is covered by
 * the next checkpoint.
 */
export interface CheckpointBody {
  /** The last record covered (the checkpoint record's own `seq` − 1). */
  readonly seq: number;
  /** That record's `mac` (equal to the checkpoint record's `prev`). */
  readonly mac: string;
  /** The running hash after that record (see `ChainHead`). */
  readonly hash: string;
  /** Which Ed25519 key signed. */
  readonly keyId: string;
  /** Ed25519 signature (base64) over `checkpointPayload` (checkpoint.ts). */
  readonly signature: string;
}
