/**
 * Checkpoints: Ed25519 signatures, recorded in the stream itself, over where the chain stands, so an
 * auditor holding only the public key can check every record they cover (see docs/ledger.md).
 *
 * A checkpoint record at `seq` k covers exactly records 1…k−1 of its stream: it signs record k−1's
 * `(stream, seq, mac)` plus the running content hash after it, its own time and the signing key id.
 */
import { AgentOsError } from '../errors.js';
import type { Signer } from '../ports.js';
import { canonicalJson } from './canonical.js';
import type { Chain } from './chain.js';
import type { CheckpointBody, LedgerRecord } from './record.js';

/** Separates checkpoint signatures from anything else the same key might ever sign. */
export const CHECKPOINT_PURPOSE = 'agentos.ledger.checkpoint.v1';

/** What a checkpoint signs, besides the purpose. */
export interface CheckpointClaim {
  readonly stream: string;
  readonly seq: number;
  readonly mac: string;
  readonly hash: string;
  readonly keyId: string;
  /** The checkpoint record's own `time`. */
  readonly time: string;
}

/** The exact text a checkpoint signature is over: canonical JSON of the claim and `CHECKPOINT_PURPOSE`. */
export function checkpointPayload(claim: CheckpointClaim): string {
  const { stream, seq, mac, hash, keyId, time } = claim;
  return canonicalJson({ purpose: CHECKPOINT_PURPOSE, stream, seq, mac, hash, keyId, time });
}

/** When the writer should checkpoint: after `everyRecords` records or `everyMs` milliseconds, whichever first. */
export interface CheckpointPolicy {
  readonly everyRecords: number;
  readonly everyMs: number;
}

/**
 * True when a checkpoint is due, given the records appended and the milliseconds passed since the last one.
 * Never due with nothing new to cover, so an idle stream does not fill with checkpoints.
 */
export function checkpointDue(policy: CheckpointPolicy, recordsSince: number, msSince: number): boolean {
  return recordsSince > 0 && (recordsSince >= policy.everyRecords || msSince >= policy.everyMs);
}

/**
 * Appends a checkpoint record to `chain`, signed with the signer's current key, covering everything before it.
 * Throws `AOS_LEDGER_CHAIN_INVALID` on an empty chain (there is nothing to cover).
 */
export function appendCheckpoint(chain: Chain, signer: Signer, time: string): LedgerRecord {
  const { stream, seq, mac, hash } = chain.head;
  if (seq === 0)
    throw new AgentOsError('AOS_LEDGER_CHAIN_INVALID', `stream \`${stream}\` has nothing to checkpoint`);
  const keyId = signer.currentId;
  const signature = signer.sign(keyId, checkpointPayload({ stream, seq, mac, hash, keyId, time }));
  const body: CheckpointBody = { seq, mac, hash, keyId, signature };
  return chain.append('checkpoint', { ...body }, time);
}

const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The body of a checkpoint record when it has exactly the checkpoint shape, else undefined. */
export function parseCheckpointBody(body: unknown): CheckpointBody | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const keys = Object.keys(b).sort().join(',');
  if (keys !== 'hash,keyId,mac,seq,signature') return undefined;
  const { seq, mac, hash, keyId, signature } = b;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return undefined;
  if (typeof mac !== 'string' || !HEX64.test(mac) || typeof hash !== 'string' || !HEX64.test(hash))
    return undefined;
  if (typeof keyId !== 'string' || keyId === '') return undefined;
  if (typeof signature !== 'string' || !BASE64.test(signature)) return undefined;
  return { seq: seq as number, mac, hash, keyId, signature };
}
