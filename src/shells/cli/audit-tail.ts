/**
 * `audit tail`: the last records of the ledger, and (`-f`) the records appended after them, read by polling
 * the store (another process writes; SQLite in WAL mode lets this read-only connection see its commits).
 *
 * The storage port reads forward only, so the last N of a stream are found by reading growing windows
 * from its end (`fromSeq`), keeping at most N records: memory is O(N × streams), never O(ledger).
 */
import type { LedgerQuery, LedgerStore } from '../../governor/store.js';
import type { LedgerRecord } from '../../kernel/ledger/record.js';

/** Time, then stream, then seq: the order records are printed in. */
export function byTime(a: LedgerRecord, b: LedgerRecord): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.stream !== b.stream) return a.stream < b.stream ? -1 : 1;
  return a.seq - b.seq;
}

/** Where each stream stood when it was read: the `seq` of its last record. */
export type Cursors = Map<string, number>;

/** The last `n` records of one stream matching `filter` (up to its record `headSeq`), oldest first. */
async function lastInStream(
  ledger: LedgerStore,
  stream: string,
  headSeq: number,
  filter: LedgerQuery,
  n: number,
): Promise<LedgerRecord[]> {
  for (let window = n; ; window *= 4) {
    const fromSeq = Math.max(1, headSeq - window + 1);
    const kept: LedgerRecord[] = [];
    for await (const r of ledger.read({ ...filter, stream, fromSeq })) {
      if (r.seq > headSeq) break;
      kept.push(r);
      if (kept.length > n) kept.shift();
    }
    if (kept.length >= n || fromSeq === 1) return kept;
  }
}

/**
 * The last `n` records matching `filter` across streams (by time), and each stream's head at that moment,
 * so `follow` can carry on from exactly there.
 */
export async function lastRecords(
  ledger: LedgerStore,
  filter: LedgerQuery,
  n: number,
): Promise<{ records: LedgerRecord[]; cursors: Cursors }> {
  const cursors: Cursors = new Map();
  const found: LedgerRecord[] = [];
  const streams = filter.stream === undefined ? await ledger.streams() : [filter.stream];
  for (const stream of streams) {
    const head = await ledger.last(stream);
    if (!head) continue;
    cursors.set(stream, head.seq);
    if (n > 0) found.push(...(await lastInStream(ledger, stream, head.seq, filter, n)));
  }
  return { records: n > 0 ? found.sort(byTime).slice(-n) : [], cursors };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * Polls the ledger every `intervalMs` until `signal` aborts, handing each poll's new matching records (in
 * time order) to `emit`. `cursors` (from `lastRecords`) says where each stream was already read; streams
 * that appear later are read from their start.
 */
export async function follow(
  ledger: LedgerStore,
  filter: LedgerQuery,
  cursors: Cursors,
  emit: (records: LedgerRecord[]) => Promise<void>,
  options: { intervalMs: number; signal: AbortSignal },
): Promise<void> {
  const { signal } = options;
  while (!signal.aborted) {
    await sleep(options.intervalMs, signal);
    if (signal.aborted) return;
    const fresh: LedgerRecord[] = [];
    const streams = filter.stream === undefined ? await ledger.streams() : [filter.stream];
    for (const stream of streams) {
      const from = cursors.get(stream) ?? 0;
      const head = await ledger.last(stream);
      if (!head || head.seq <= from) continue;
      // INVARIANT: a stream's cursor moves to the head read *before* the records, so a record committed
      // during this read is left for the next poll instead of being printed twice or skipped.
      for await (const r of ledger.read({ ...filter, stream, fromSeq: from + 1 })) {
        if (r.seq > head.seq) break;
        fresh.push(r);
      }
      cursors.set(stream, head.seq);
    }
    if (fresh.length > 0) await emit(fresh.sort(byTime));
  }
}

/** An AbortSignal that aborts on SIGINT or SIGTERM, and a function that removes the handlers. */
export function untilTerminated(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
