/**
 * Ledger verification: reads records in storage order (streams may interleave) and names the first bad one.
 *
 * Tampering is an outcome, not an error: the result is a value. Two auditors are supported, alone or
 * together (docs/ledger.md has the threat model):
 * - with the MAC keys, every record's `mac` and `prev` link is checked;
 * - with only the Ed25519 public keys, the `seq`/`prev` structure is checked and every checkpoint's
 *   signature, which commits to the running content hash of everything before it; records after a stream's
 *   last checkpoint are counted as not covered by a signature.
 */
import type { Hasher, MacKeyring, SignatureVerifier } from '../ports.js';
import { isCanonicalisable } from './canonical.js';
import { macMessage, nextHash } from './chain.js';
import { checkpointPayload, parseCheckpointBody } from './checkpoint.js';
import { GENESIS, RECORD_TYPES, type LedgerRecord } from './record.js';

/** What is wrong with the first bad record. */
export type VerifyProblem =
  /** Not a well-formed record (a field missing, extra or of the wrong type, a body that is not JSON). */
  | 'malformed'
  /** Its `mac` does not match its content (MAC auditor only). */
  | 'changed'
  /** Its `seq` skips ahead and the skipped record never appears: records were deleted. */
  | 'missing'
  /** Its `seq` skips ahead but the skipped record appears later, or it comes after a later record. */
  | 'reordered'
  /** A second record with the `seq` of the one just before it in its stream. */
  | 'duplicated'
  /** A stream ends before the head the auditor expected (`expectedHeads`). */
  | 'truncated'
  /** Its `prev` is not the `mac` of the record before it in its stream. */
  | 'broken-link'
  /** Its MAC key or its checkpoint's signing key is not known to the auditor. */
  | 'unknown-key'
  /** A `checkpoint` record whose body is not a checkpoint. */
  | 'bad-checkpoint'
  /** A checkpoint whose signature does not verify. */
  | 'bad-checkpoint-signature'
  /** A validly signed checkpoint that does not match the records before it: they were rewritten. */
  | 'forged-chain';

/** What the auditor holds. */
export interface VerifyOptions {
  /** SHA-256, for the running content hash that checkpoints sign. */
  readonly hasher: Hasher;
  /** The HMAC keys (secret): with them, every record's MAC is checked. */
  readonly macKeys?: MacKeyring | undefined;
  /** The Ed25519 public keys: with them, every checkpoint's signature is checked. */
  readonly publicKeys?: SignatureVerifier | undefined;
  /** The least `seq` each named stream must reach (from an anchor held elsewhere); falling short is `truncated`. */
  readonly expectedHeads?: Readonly<Record<string, number>> | undefined;
}

/** Where one stream ended up. */
export interface StreamSummary {
  readonly records: number;
  /** The last `seq` (equal to `records` in a good ledger). */
  readonly lastSeq: number;
  readonly lastMac: string;
  /** The running content hash after the last record. */
  readonly lastHash: string;
  readonly checkpoints: number;
  /** The last `seq` covered by a checkpoint signature (0 when none). */
  readonly coveredSeq: number;
}

/** A ledger that verified. */
export interface VerifyOk {
  readonly ok: true;
  readonly records: number;
  readonly checkpoints: number;
  /** Records after their stream's last checkpoint: not yet covered by a signature (not an error). */
  readonly uncovered: number;
  readonly streams: Readonly<Record<string, StreamSummary>>;
  /** What was actually checked: MACs (with `macKeys`) and signatures (with `publicKeys`). */
  readonly checked: { readonly macs: boolean; readonly signatures: boolean };
}

/** The first bad record. */
export interface VerifyFailure {
  readonly ok: false;
  /** `<stream>/<seq>` of the bad record as stored (`?` for a field that is not readable). */
  readonly at: string;
  /** Its 0-based position in storage order (the record count for `truncated`: the end). */
  readonly index: number;
  readonly problem: VerifyProblem;
  /** One line, lowercase, for a person. */
  readonly message: string;
}

/** The outcome of verifying a ledger. */
export type VerifyResult = VerifyOk | VerifyFailure;

/** Verifies `records`, given in storage order; stops reading at the first bad record (see `LedgerVerifier`). */
export function verifyLedger(records: Iterable<unknown>, options: VerifyOptions): VerifyResult {
  const v = new LedgerVerifier(options);
  for (const r of records) if (!v.push(r)) break;
  return v.result();
}

/** `verifyLedger` for records read asynchronously (a store cursor). */
export async function verifyLedgerAsync(
  records: AsyncIterable<unknown> | Iterable<unknown>,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const v = new LedgerVerifier(options);
  for await (const r of records) if (!v.push(r)) break;
  return v.result();
}

interface StreamState {
  records: number;
  seq: number;
  mac: string;
  hash: string;
  checkpoints: number;
  coveredSeq: number;
  /** Index of the stream's last checkpoint, to name the range a forged one covers. */
  lastCheckpointSeq: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const FIELDS = 'body,keyId,mac,prev,seq,stream,time,type';
const TYPES: ReadonlySet<string> = new Set(RECORD_TYPES);

/**
 * Incremental verifier, for callers that feed records one at a time. Memory is per stream, not per record.
 * After a `missing` record it keeps reading (without checking) to tell a deletion from a reordering.
 */
export class LedgerVerifier {
  private readonly streams = new Map<string, StreamState>();
  private count = 0;
  private failure: VerifyFailure | undefined;
  /** Set while looking ahead for the record a `missing` failure skipped. */
  private lookingFor: { stream: string; seq: number } | undefined;

  constructor(private readonly options: VerifyOptions) {}

  /** Feeds the next record; false once more records cannot change the result. */
  push(record: unknown): boolean {
    const index = this.count++;
    if (this.failure) {
      const want = this.lookingFor;
      if (!want) return false;
      const r = record as Partial<LedgerRecord> | null;
      if (r && r.stream === want.stream && r.seq === want.seq) {
        this.failure = {
          ...this.failure,
          problem: 'reordered',
          message: this.failure.message.replace(/ is missing$/, ' comes later: records were reordered'),
        };
        this.lookingFor = undefined;
        return false;
      }
      return true;
    }
    this.failure = this.check(record, index);
    return this.failure === undefined || this.lookingFor !== undefined;
  }

  /** The result for everything pushed so far, taken as the whole ledger. */
  result(): VerifyResult {
    if (this.failure) return this.failure;
    for (const [stream, least] of Object.entries(this.options.expectedHeads ?? {})) {
      const have = this.streams.get(stream)?.seq ?? 0;
      if (have < least) {
        return {
          ok: false,
          at: `${stream}/${have + 1}`,
          index: this.count,
          problem: 'truncated',
          message: `stream \`${stream}\` ends at seq ${have}, expected at least ${least}: records were cut off the end`,
        };
      }
    }
    const streams: Record<string, StreamSummary> = {};
    let checkpoints = 0;
    let uncovered = 0;
    for (const [name, s] of [...this.streams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      streams[name] = {
        records: s.records,
        lastSeq: s.seq,
        lastMac: s.mac,
        lastHash: s.hash,
        checkpoints: s.checkpoints,
        coveredSeq: s.coveredSeq,
      };
      checkpoints += s.checkpoints;
      uncovered += s.seq - s.coveredSeq;
    }
    return {
      ok: true,
      records: this.count,
      checkpoints,
      uncovered,
      streams,
      checked: {
        macs: this.options.macKeys !== undefined,
        signatures: this.options.publicKeys !== undefined,
      },
    };
  }

  private check(raw: unknown, index: number): VerifyFailure | undefined {
    const fail = (at: string, problem: VerifyProblem, message: string): VerifyFailure => ({
      ok: false,
      at,
      index,
      problem,
      message,
    });
    const shapeProblem = malformation(raw);
    if (shapeProblem) {
      const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      const at = `${typeof r.stream === 'string' ? r.stream : '?'}/${typeof r.seq === 'number' ? r.seq : '?'}`;
      return fail(at, 'malformed', `\`${at}\` is not a well-formed record: ${shapeProblem}`);
    }
    const r = raw as LedgerRecord;
    const at = `${r.stream}/${r.seq}`;
    const s = this.streams.get(r.stream) ?? {
      records: 0,
      seq: 0,
      mac: GENESIS,
      hash: GENESIS,
      checkpoints: 0,
      coveredSeq: 0,
      lastCheckpointSeq: 0,
    };

    // Structure first: a record out of place is reported as such, whatever its content.
    if (r.seq > s.seq + 1) {
      this.lookingFor = { stream: r.stream, seq: s.seq + 1 };
      return fail(
        at,
        'missing',
        `\`${at}\` follows \`${r.stream}/${s.seq}\`: \`${r.stream}/${s.seq + 1}\` is missing`,
      );
    }
    if (r.seq === s.seq) return fail(at, 'duplicated', `\`${at}\` appears twice`);
    if (r.seq < s.seq) {
      return fail(at, 'reordered', `\`${at}\` comes after \`${r.stream}/${s.seq}\`: records were reordered`);
    }

    const { macKeys, publicKeys, hasher } = this.options;
    if (macKeys) {
      if (!macKeys.has(r.keyId)) {
        return fail(at, 'unknown-key', `\`${at}\` is MACed with unknown key \`${r.keyId}\``);
      }
      if (!macKeys.verify(r.keyId, macMessage(r), r.mac)) {
        return fail(at, 'changed', `\`${at}\` does not match its mac: it was changed after it was written`);
      }
    }
    if (r.prev !== s.mac) {
      return fail(
        at,
        'broken-link',
        `\`${at}\` does not link to \`${r.stream}/${s.seq}\`: its prev is not that mac`,
      );
    }

    if (r.type === 'checkpoint') {
      const body = parseCheckpointBody(r.body);
      if (!body) return fail(at, 'bad-checkpoint', `checkpoint \`${at}\` does not have a checkpoint body`);
      if (publicKeys) {
        if (!publicKeys.has(body.keyId)) {
          return fail(at, 'unknown-key', `checkpoint \`${at}\` is signed with unknown key \`${body.keyId}\``);
        }
        const payload = checkpointPayload({ ...body, stream: r.stream, time: r.time });
        if (!publicKeys.verify(body.keyId, payload, body.signature)) {
          return fail(
            at,
            'bad-checkpoint-signature',
            `checkpoint \`${at}\` has a signature that does not verify`,
          );
        }
      }
      if (body.seq !== s.seq || body.mac !== s.mac || body.hash !== s.hash) {
        const from = `${r.stream}/${s.lastCheckpointSeq + 1}`;
        return fail(
          at,
          'forged-chain',
          `records \`${from}\`…\`${r.stream}/${s.seq}\` do not match what checkpoint \`${at}\` signed: they were rewritten`,
        );
      }
      s.checkpoints++;
      s.coveredSeq = s.seq;
      s.lastCheckpointSeq = r.seq;
    }

    s.records++;
    s.seq = r.seq;
    s.mac = r.mac;
    s.hash = nextHash(hasher, s.hash, r);
    this.streams.set(r.stream, s);
    return undefined;
  }
}

/** Why `raw` is not a well-formed record, or undefined when it is. */
function malformation(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not an object';
  if (Object.keys(raw).sort().join(',') !== FIELDS) return `fields are not exactly ${FIELDS}`;
  const r = raw as Record<string, unknown>;
  if (typeof r.stream !== 'string' || r.stream === '') return 'stream is not a non-empty string';
  if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 1)
    return 'seq is not a positive integer';
  if (typeof r.time !== 'string') return 'time is not a string';
  if (typeof r.type !== 'string' || !TYPES.has(r.type)) return 'type is not a record type';
  if (typeof r.prev !== 'string' || !HEX64.test(r.prev)) return 'prev is not 64 hex digits';
  if (typeof r.keyId !== 'string' || r.keyId === '') return 'keyId is not a non-empty string';
  if (typeof r.mac !== 'string' || !HEX64.test(r.mac)) return 'mac is not 64 hex digits';
  if (!isCanonicalisable(r.body)) return 'body is not canonical JSON';
  return undefined;
}
