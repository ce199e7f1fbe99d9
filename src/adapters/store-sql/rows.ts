/**
 * What both SQL stores (SQLite and PostgreSQL) share about rows: the contiguity check of an append batch,
 * the row shapes and their conversion.
 */
import { createHash } from 'node:crypto';
import { AgentOsError } from '../../kernel/errors.js';
import type { LedgerRecord, RecordType } from '../../kernel/ledger/record.js';
import type { StoredCredential } from '../../governor/store.js';

/** A ledger row as both dialects store it: the body as JSON text, exactly as appended. */
export interface LedgerRow {
  readonly stream: string;
  readonly seq: number | string; // PostgreSQL returns BIGINT as text
  readonly time: string;
  readonly type: string;
  readonly body: string;
  readonly prev: string;
  readonly key_id: string;
  readonly mac: string;
}

/** Rows per page when reading, and per INSERT when appending. */
export const PAGE_SIZE = 500;

/**
 * Checks that `records` continue their streams exactly and returns their rows, in order. `lastSeq` gives the
 * stored last seq of a stream (0 when empty), read inside the append's transaction.
 */
export function planAppend(
  records: readonly LedgerRecord[],
  lastSeq: (stream: string) => number,
): LedgerRow[] {
  const next = new Map<string, number>();
  return records.map((r) => {
    const expected = (next.get(r.stream) ?? lastSeq(r.stream)) + 1;
    if (r.seq !== expected) {
      throw new AgentOsError(
        'AOS_LEDGER_CONFLICT',
        `record \`${r.stream}\`#${String(r.seq)} does not continue its stream: expected seq ${expected}`,
      );
    }
    next.set(r.stream, expected);
    const body = JSON.stringify(r.body) as string | undefined;
    if (body === undefined) {
      throw new AgentOsError('AOS_INTERNAL', `record \`${r.stream}\`#${r.seq} has no JSON body`);
    }
    return {
      stream: r.stream,
      seq: r.seq,
      time: r.time,
      type: r.type,
      body,
      prev: r.prev,
      key_id: r.keyId,
      mac: r.mac,
    };
  });
}

/** A stored row as a record. */
export function toRecord(row: LedgerRow): LedgerRecord {
  return {
    stream: row.stream,
    seq: Number(row.seq),
    time: row.time,
    type: row.type as RecordType,
    body: JSON.parse(row.body) as LedgerRecord['body'],
    prev: row.prev,
    keyId: row.key_id,
    mac: row.mac,
  };
}

/** SHA-256 of UTF-8 text, hex: the address of a stored blob. */
export function contentHash(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

/** The message of an unknown thrown value, for wrapping. */
export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A credentials row. */
export interface CredentialRow {
  id: string;
  agent: string;
  hash: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** A credential row as the port's shape (absent optional fields left out). */
export function toCredential(r: CredentialRow): StoredCredential {
  return {
    id: r.id,
    agent: r.agent,
    hash: r.hash,
    createdAt: r.created_at,
    ...(r.expires_at === null ? {} : { expiresAt: r.expires_at }),
    ...(r.revoked_at === null ? {} : { revokedAt: r.revoked_at }),
  };
}
