/**
 * Where a stream's chain stands in the store: the head a writer resumes from (docs/ledger.md, "Writer").
 */
import { AgentOsError } from '../kernel/errors.js';
import { advanceHead, genesisHead } from '../kernel/ledger/chain.js';
import { parseCheckpointBody } from '../kernel/ledger/checkpoint.js';
import type { ChainHead, LedgerRecord } from '../kernel/ledger/record.js';
import type { Hasher } from '../kernel/ports.js';
import type { LedgerStore } from './store.js';

/** A stream's durable head plus what the checkpoint policy needs to know about it. */
export interface StoredHead {
  readonly head: ChainHead;
  /** The `seq` of the stream's last checkpoint record (0 when it has none). */
  readonly checkpointSeq: number;
  /** The time (ms) of the last checkpoint record, or of the stream's first record when it has none. */
  readonly checkpointAt: number | undefined;
}

async function collect(it: AsyncIterable<LedgerRecord>): Promise<LedgerRecord[]> {
  const out: LedgerRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/**
 * Reads a stream's head from the store: the running hash comes from the last checkpoint's body, and the
 * records after it are folded in with `advanceHead`. Throws `AOS_LEDGER_CHAIN_INVALID` when the stored
 * records do not form a chain, and the store's coded error when it cannot be read.
 */
export async function readStoredHead(
  store: LedgerStore,
  hasher: Hasher,
  stream: string,
): Promise<StoredHead> {
  const last = await store.last(stream);
  if (!last) return { head: genesisHead(stream), checkpointSeq: 0, checkpointAt: undefined };
  let checkpoint: LedgerRecord | undefined;
  // The port has no "last of type": checkpoints are one in N records, so reading them all stays small.
  for await (const r of store.read({ stream, type: 'checkpoint' })) checkpoint = r;
  let start = genesisHead(stream);
  if (checkpoint) {
    const body = parseCheckpointBody(checkpoint.body);
    if (!body || body.seq !== checkpoint.seq - 1 || body.mac !== checkpoint.prev) {
      throw new AgentOsError(
        'AOS_LEDGER_CHAIN_INVALID',
        `checkpoint \`${stream}/${checkpoint.seq}\` does not describe the record before it`,
      );
    }
    start = { stream, seq: body.seq, mac: body.mac, hash: body.hash };
  }
  const tail = await collect(store.read({ stream, fromSeq: start.seq + 1 }));
  const head = advanceHead(hasher, start, tail);
  if (head.seq !== last.seq || head.mac !== last.mac) {
    throw new AgentOsError(
      'AOS_LEDGER_CHAIN_INVALID',
      `stream \`${stream}\` changed while its head was being read (last seq ${last.seq})`,
    );
  }
  const first = checkpoint ?? tail[0];
  return {
    head,
    checkpointSeq: checkpoint?.seq ?? 0,
    checkpointAt: first ? Date.parse(first.time) : undefined,
  };
}

/**
 * Brings a known head up to date with the store: the records stored after `known` are folded in, and the last
 * checkpoint among them is returned. Used after a failed append, whose batch may or may not have landed (a
 * failure during `COMMIT` itself). Throws `AOS_LEDGER_CHAIN_INVALID` when the store no longer continues `known`.
 */
export async function catchUp(
  store: LedgerStore,
  hasher: Hasher,
  known: ChainHead,
): Promise<{ head: ChainHead; checkpoint: LedgerRecord | undefined }> {
  const last = await store.last(known.stream);
  if ((last?.seq ?? 0) < known.seq || (last?.seq === known.seq && last.mac !== known.mac)) {
    throw new AgentOsError(
      'AOS_LEDGER_CHAIN_INVALID',
      `stream \`${known.stream}\` ends at seq ${last?.seq ?? 0}, and does not continue its durable head at seq ${known.seq}`,
    );
  }
  const tail = await collect(store.read({ stream: known.stream, fromSeq: known.seq + 1 }));
  return {
    head: advanceHead(hasher, known, tail),
    checkpoint: tail.filter((r) => r.type === 'checkpoint').at(-1),
  };
}
