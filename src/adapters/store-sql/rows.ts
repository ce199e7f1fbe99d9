/**
 * What both SQL stores (SQLite and PostgreSQL) share about rows: the contiguity check of an append batch,
 * the row shapes and their conversion.
 */
import { createHash } from 'node:crypto';
import { AgentOsError } from '../../kernel/errors.js';
import { indexedFields } from '../../kernel/ledger/bodies.js';
import type { JsonValue, LedgerRecord, RecordType } from '../../kernel/ledger/record.js';
import type { LedgerQuery, StoredCredential } from '../../governor/store.js';

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

/** A ledger row as appended: the record plus its indexed columns (NULL when the body has no such field). */
export interface LedgerInsertRow extends LedgerRow {
  readonly agent: string | null;
  readonly episode: string | null;
}

/** Rows per page when reading (and when backfilling a migration). */
export const PAGE_SIZE = 500;

/**
 * The indexed columns of a body: `indexedFields` (src/kernel/ledger/bodies.ts), except that a value holding
 * U+0000 is not indexed (NULL) in either store, because PostgreSQL `text` cannot hold it; the record itself
 * is stored all the same.
 */
export function indexedColumns(body: JsonValue): { agent: string | null; episode: string | null } {
  const { agent, episode } = indexedFields(body);
  return {
    agent: agent === undefined || agent.includes('\u0000') ? null : agent,
    episode: episode === undefined || episode.includes('\u0000') ? null : episode,
  };
}

/** True when an indexed filter of `query` holds U+0000, which no indexed column does: nothing can match. */
export function matchesNothing(query: LedgerQuery): boolean {
  return query.agent?.includes('\u0000') === true || query.episode?.includes('\u0000') === true;
}

/**
 * Checks that `records` continue their streams exactly and returns their rows, in order. `lastSeq` gives the
 * stored last seq of a stream (0 when empty), read inside the append's transaction.
 */
export function planAppend(
  records: readonly LedgerRecord[],
  lastSeq: (stream: string) => number,
): LedgerInsertRow[] {
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
    return toInsertRow(r);
  });
}

/**
 * The first `seq` of each stream in `records` when every `seq` is a positive integer and, within the batch,
 * every stream's records follow each other (+ 1 each); `undefined` otherwise (`planAppend` names the fault).
 */
export function batchFirsts(records: readonly LedgerRecord[]): Map<string, number> | undefined {
  const first = new Map<string, number>();
  const next = new Map<string, number>();
  for (const r of records) {
    if (!Number.isSafeInteger(r.seq) || r.seq < 1) return undefined;
    const expected = next.get(r.stream);
    if (expected === undefined) first.set(r.stream, r.seq);
    else if (r.seq !== expected) return undefined;
    next.set(r.stream, r.seq + 1);
  }
  return first;
}

/** A record as the row to insert: the body as JSON text, and the indexed columns. */
export function toInsertRow(r: LedgerRecord): LedgerInsertRow {
  const body = JSON.stringify(r.body) as string | undefined;
  if (body === undefined) {
    throw new AgentOsError('AOS_INTERNAL', `record \`${r.stream}\`#${r.seq} has no JSON body`);
  }
  const { agent, episode } = indexedColumns(r.body);
  return {
    stream: r.stream,
    seq: r.seq,
    time: r.time,
    type: r.type,
    body,
    prev: r.prev,
    key_id: r.keyId,
    mac: r.mac,
    agent,
    episode,
  };
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
