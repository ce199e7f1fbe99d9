/**
 * A stream's chain: builds each next record with `seq` + 1, `prev` = the last `mac`, and
 * `mac = HMAC-SHA256(key, prev ‖ canonical(record without mac))`. Pure: keys, hashing and time come in.
 */
import { AgentOsError } from '../errors.js';
import type { Hasher, MacKeys } from '../ports.js';
import { canonicalCopy, canonicalJson, canonicalString } from './canonical.js';
import { GENESIS, type ChainHead, type JsonValue, type LedgerRecord, type RecordType } from './record.js';

/**
 * The message a record's `mac` is computed over: `prev ‖ canonical(record without mac)`. `bodyText`, when the
 * caller already has it, must be `canonicalJson(record.body)`.
 */
export function macMessage(record: Omit<LedgerRecord, 'mac'>, bodyText?: string): string {
  return record.prev + canonicalRecord(record, undefined, bodyText);
}

/**
 * The running hash after `record`: `SHA-256(previousHash ‖ canonical(record))`, the record with its `mac`.
 * `bodyText`, when the caller already has it, must be `canonicalJson(record.body)`.
 */
export function nextHash(
  hasher: Hasher,
  previousHash: string,
  record: LedgerRecord,
  bodyText?: string,
): string {
  return hasher.sha256(previousHash + canonicalRecord(record, record.mac, bodyText));
}

/**
 * `canonicalJson` of the record's eight fields (seven without `mac`), assembled from the body's canonical text
 * and the scalars instead of canonicalising the whole record again: the record's keys are fixed, so their
 * JCS order is too (body, keyId, mac, prev, seq, stream, time, type), and JCS writes strings and integers as
 * `JSON.stringify` does. A record with a field that is not a plain string or a safe integer (a malformed
 * one, being verified) takes the general path, which also gives the general errors.
 */
function canonicalRecord(r: Omit<LedgerRecord, 'mac'>, mac: string | undefined, bodyText?: string): string {
  const keyId = scalar(r.keyId);
  const m = mac === undefined ? '' : scalar(mac);
  const prev = scalar(r.prev);
  const stream = scalar(r.stream);
  const time = scalar(r.time);
  const type = scalar(r.type);
  let body = bodyText;
  if (body === undefined && Number.isSafeInteger(r.seq)) {
    try {
      body = canonicalJson(r.body);
    } catch {
      // the general path below throws the error, naming the place in the record
    }
  }
  if (
    body === undefined ||
    keyId === undefined ||
    m === undefined ||
    prev === undefined ||
    stream === undefined ||
    time === undefined ||
    type === undefined ||
    !Number.isSafeInteger(r.seq)
  ) {
    const { stream, seq, time, type, body, prev, keyId } = r;
    return canonicalJson(
      mac === undefined
        ? { stream, seq, time, type, body, prev, keyId }
        : { stream, seq, time, type, body, prev, keyId, mac },
    );
  }
  // INVARIANT: keys in JCS order (UTF-16 code units): body, keyId, mac, prev, seq, stream, time, type.
  return (
    `{"body":${body},"keyId":${keyId},${mac === undefined ? '' : `"mac":${m},`}"prev":${prev},` +
    `"seq":${String(r.seq)},"stream":${stream},"time":${time},"type":${type}}`
  );
}

/** A field's canonical text when it is a plain string; `undefined` otherwise. */
function scalar(v: unknown): string | undefined {
  return typeof v === 'string' ? canonicalString(v) : undefined;
}

/** The head of a stream with no records yet. */
export function genesisHead(stream: string): ChainHead {
  return { stream, seq: 0, mac: GENESIS, hash: GENESIS };
}

/**
 * Folds `records` (the stream's records right after `head`, in order) into `head`, checking that each one
 * continues it (`seq` + 1, `prev` = last `mac`); throws `AOS_LEDGER_CHAIN_INVALID` when one does not.
 * MACs are not checked: use `verifyLedger` for that.
 */
export function advanceHead(hasher: Hasher, head: ChainHead, records: Iterable<LedgerRecord>): ChainHead {
  let h = head;
  for (const r of records) {
    if (r.stream !== h.stream || r.seq !== h.seq + 1 || r.prev !== h.mac) {
      throw new AgentOsError(
        'AOS_LEDGER_CHAIN_INVALID',
        `record \`${r.stream}/${r.seq}\` does not continue \`${h.stream}/${h.seq}\``,
      );
    }
    h = { stream: h.stream, seq: r.seq, mac: r.mac, hash: nextHash(hasher, h.hash, r) };
  }
  return h;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * One stream's writer-side chain. Not safe to share between writers: a stream has one writer (DESIGN §5).
 * Records are built, not stored; the caller persists them in order.
 */
export class Chain {
  private current: ChainHead;

  /** A chain for `stream`, resumed from `head` (default: empty). Throws `AOS_LEDGER_CHAIN_INVALID` on a bad head. */
  constructor(
    private readonly macKeys: MacKeys,
    private readonly hasher: Hasher,
    head: ChainHead,
  ) {
    if (
      head.stream === '' ||
      !Number.isSafeInteger(head.seq) ||
      head.seq < 0 ||
      !HEX64.test(head.mac) ||
      !HEX64.test(head.hash) ||
      (head.seq === 0 && (head.mac !== GENESIS || head.hash !== GENESIS))
    ) {
      throw new AgentOsError(
        'AOS_LEDGER_CHAIN_INVALID',
        `cannot resume \`${head.stream}\` from a malformed head`,
      );
    }
    this.current = head;
  }

  /** Where the chain stands: the last record's `seq`, `mac` and running hash. */
  get head(): ChainHead {
    return this.current;
  }

  /**
   * Builds the next record, MACed under the current key, and advances the chain. The record holds a copy of
   * `body`. Throws `AOS_LEDGER_BODY_INVALID` for a body that is not canonical JSON (the chain does not advance).
   */
  append(type: RecordType, body: JsonValue, time: string): LedgerRecord {
    const keyId = this.macKeys.currentId;
    if (!this.macKeys.has(keyId)) {
      throw new AgentOsError('AOS_LEDGER_KEY_UNKNOWN', `MAC key \`${keyId}\` is not in the keyring`);
    }
    const h = this.current;
    // A copy in canonical form: the caller's object may change later, the record must not. The body is
    // canonicalised once; the MAC's and the hash's texts are assembled around it.
    const { text, value: stored } = canonicalCopy(body);
    const content = { stream: h.stream, seq: h.seq + 1, time, type, body: stored, prev: h.mac, keyId };
    const record: LedgerRecord = { ...content, mac: this.macKeys.mac(keyId, macMessage(content, text)) };
    // INVARIANT: the head moves only after the record was fully built, so a throw leaves the chain unchanged.
    this.current = {
      stream: h.stream,
      seq: record.seq,
      mac: record.mac,
      hash: nextHash(this.hasher, h.hash, record, text),
    };
    return record;
  }
}
