/**
 * Measuring the ledger: the disk's raw fsync rate, the chain (canonicalisation + HMAC + running hash) alone,
 * and a `LedgerWriter` on a real store under concurrent producers (appends/s, enqueue→durable latency).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CommitMode } from '../../src/governor/ledger-writer.js';
import { LedgerWriter } from '../../src/governor/ledger-writer.js';
import type { Store } from '../../src/governor/store.js';
import { Chain, genesisHead } from '../../src/kernel/ledger/chain.js';
import type { CheckpointPolicy } from '../../src/kernel/ledger/checkpoint.js';
import type { JsonValue } from '../../src/kernel/ledger/record.js';
import { verifyLedgerAsync } from '../../src/kernel/ledger/verify.js';
import type { Hasher, MacKeys, SignatureVerifier, Signer } from '../../src/kernel/ports.js';
import { summarise, timeBudget } from './stats.js';
import type { Latency, Throughput } from './stats.js';

/** The raw sync rate of one call (`fsync` or `fdatasync`) after appending a small block. */
export interface SyncRate {
  readonly call: 'fsync' | 'fdatasync';
  readonly blockBytes: number;
  readonly syncs: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Latency of one write + sync, ns. */
  readonly latency: Latency;
}

/**
 * Appends `blockBytes` to a fresh file in `dir` and syncs it, in a loop, for `seconds`. The file is deleted
 * afterwards. Returns `undefined` when the call is not available.
 */
export function measureSync(
  dir: string,
  call: 'fsync' | 'fdatasync',
  seconds: number,
  blockBytes: number,
): SyncRate | undefined {
  const sync = call === 'fsync' ? fs.fsyncSync : fs.fdatasyncSync;
  if (typeof sync !== 'function') return undefined;
  const file = path.join(dir, `sync-${call}-${process.pid}.bin`);
  const block = Buffer.alloc(blockBytes, 0x61);
  const fd = fs.openSync(file, 'w');
  const samples: number[] = [];
  try {
    try {
      fs.writeSync(fd, block);
      sync(fd);
    } catch {
      return undefined;
    }
    const start = performance.now();
    const end = start + seconds * 1000;
    let now = start;
    do {
      const t0 = now;
      fs.writeSync(fd, block);
      sync(fd);
      now = performance.now();
      samples.push((now - t0) * 1e6);
    } while (now < end);
    const elapsed = (now - start) / 1000;
    return {
      call,
      blockBytes,
      syncs: samples.length,
      seconds: elapsed,
      perSecond: samples.length / elapsed,
      latency: summarise(Float64Array.from(samples), 0),
    };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

/** `Chain.append` in a tight loop, no store: canonicalisation, HMAC-SHA256 and the running SHA-256. */
export function measureChain(
  macKeys: MacKeys,
  hasher: Hasher,
  body: (i: number) => JsonValue,
  seconds: number,
): Throughput {
  const chain = new Chain(macKeys, hasher, genesisHead('bench-chain'));
  const BATCH = 1000;
  let i = 0;
  // warm-up, so the JIT has compiled the path before the clock starts
  timeBudget(Math.min(0.3, seconds / 4), BATCH, () => {
    const time = new Date().toISOString();
    for (let k = 0; k < BATCH; k++) chain.append('action.decided', body(i++), time);
    return chain.head.seq;
  });
  return timeBudget(seconds, BATCH, () => {
    const time = new Date().toISOString();
    for (let k = 0; k < BATCH; k++) chain.append('action.decided', body(i++), time);
    return chain.head.seq;
  }).throughput;
}

/** One writer run's settings. */
export interface WriterRunConfig {
  readonly mode: CommitMode;
  readonly producers: number;
  readonly warmSeconds: number;
  readonly seconds: number;
  readonly checkpoints: CheckpointPolicy;
  /** Group mode only (the writer's defaults when undefined). */
  readonly maxBatch?: number | undefined;
  readonly maxWaitMs?: number | undefined;
}

/** What `verifyLedger` said about the run's stream (MACs and signatures both checked). */
export interface RunVerification {
  readonly ok: boolean;
  readonly records: number;
  readonly checkpoints: number;
  readonly uncovered: number;
  /** The failure's message when not ok. */
  readonly problem?: string;
  readonly ms: number;
}

/** One writer run's results. */
export interface WriterRun {
  readonly config: WriterRunConfig;
  readonly stream: string;
  /** Appends acknowledged (durable) within the measured window. */
  readonly throughput: Throughput;
  /** Enqueue (the `append` call) → durable (its promise resolved), for appends started and acknowledged in the window; ns. */
  readonly latency: Latency;
  /** All appends acknowledged, warm-up and drain included. */
  readonly acknowledged: number;
  readonly rejected: number;
  /** Store transactions the writer attempted (whole run) and the mean records per transaction. */
  readonly transactions: number;
  readonly recordsPerTransaction: number;
  /** Process CPU time over the measured window, as a fraction of one core (user + system). */
  readonly cpuCores: number;
  readonly verification: RunVerification;
}

/** What a writer run needs besides its settings. */
export interface WriterDeps {
  readonly store: Store;
  readonly macKeys: MacKeys;
  readonly signer: Signer;
  readonly publicKeys: SignatureVerifier;
  readonly hasher: Hasher;
  readonly body: (i: number) => JsonValue;
}

/**
 * Runs `config.producers` producers, each appending one record and awaiting its acknowledgement before the
 * next, for warm-up + measured seconds; then closes the writer (final checkpoint) and verifies the stream.
 */
export async function measureWriter(
  deps: WriterDeps,
  stream: string,
  config: WriterRunConfig,
): Promise<WriterRun> {
  const writer = await LedgerWriter.open({
    store: deps.store.ledger,
    stream,
    macKeys: deps.macKeys,
    signer: deps.signer,
    hasher: deps.hasher,
    clock: { now: () => Date.now() },
    checkpoints: config.checkpoints,
    mode: config.mode,
    maxBatch: config.maxBatch,
    maxWaitMs: config.maxWaitMs,
  });
  const start = performance.now();
  const windowStart = start + config.warmSeconds * 1000;
  const windowEnd = windowStart + config.seconds * 1000;
  const samples: number[] = [];
  let inWindow = 0;
  let acknowledged = 0;
  let rejected = 0;
  let next = 0;
  // Sampled by the producers, not timers: a synchronous store (better-sqlite3) never yields to the timer queue.
  let cpuStart: { at: number; usage: NodeJS.CpuUsage } | undefined;
  let cpuEnd: { at: number; usage: NodeJS.CpuUsage } | undefined;
  const producer = async (): Promise<void> => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= windowStart && !cpuStart) cpuStart = { at: t0, usage: process.cpuUsage() };
      if (t0 >= windowEnd) {
        if (cpuStart && !cpuEnd) cpuEnd = { at: t0, usage: process.cpuUsage(cpuStart.usage) };
        return;
      }
      const body = deps.body(next++);
      try {
        await writer.append('action.decided', body);
      } catch {
        rejected++;
        continue;
      }
      const t1 = performance.now();
      acknowledged++;
      if (t1 >= windowStart && t1 <= windowEnd) inWindow++;
      if (t0 >= windowStart && t1 <= windowEnd) samples.push((t1 - t0) * 1e6);
    }
  };
  await Promise.all(Array.from({ length: config.producers }, producer));
  await writer.close();
  const transactions = writer.transactions;

  const vStart = performance.now();
  const result = await verifyLedgerAsync(deps.store.ledger.read({ stream }), {
    hasher: deps.hasher,
    macKeys: deps.macKeys,
    publicKeys: deps.publicKeys,
  });
  const ms = performance.now() - vStart;
  const verification: RunVerification = result.ok
    ? { ok: true, records: result.records, checkpoints: result.checkpoints, uncovered: result.uncovered, ms }
    : { ok: false, records: result.index, checkpoints: 0, uncovered: 0, problem: result.message, ms };
  const totalRecords = verification.ok ? verification.records : acknowledged;
  return {
    config,
    stream,
    throughput: { ops: inWindow, seconds: config.seconds, perSecond: inWindow / config.seconds },
    latency: summarise(Float64Array.from(samples), 0),
    acknowledged,
    rejected,
    transactions,
    recordsPerTransaction: transactions === 0 ? 0 : totalRecords / transactions,
    cpuCores:
      cpuStart && cpuEnd ? (cpuEnd.usage.user + cpuEnd.usage.system) / 1e3 / (cpuEnd.at - cpuStart.at) : NaN,
    verification,
  };
}
