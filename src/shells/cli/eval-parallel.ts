/**
 * `agentos policy eval --jobs N`: NDJSON decided by N worker threads, output in input order. The main
 * thread only cuts the input into blocks of whole lines and writes results back in sequence; each worker
 * loads the org and policies itself, and the first one that finds them invalid reports why.
 */
import type { Readable, Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { AgentOsError } from '../../kernel/errors.js';
import type { ErrorCode, Problem } from '../../kernel/errors.js';
import type { EvalCounts } from './eval-stream.js';
import type { EvalBlock, EvalWorkerData } from './eval-worker.js';
import { write } from './io.js';

type Result = EvalCounts & { seq: number; out: string };

// INVARIANT: bounded memory: at most this many blocks per worker are in flight or waiting to be written
const IN_FLIGHT_PER_WORKER = 4;
const BLOCK_CHARS = 256 * 1024;

/** Decides NDJSON from `input` on `jobs` threads, writing one line per request to `out` in order. */
export async function evalParallel(
  data: EvalWorkerData,
  jobs: number,
  input: Readable,
  out: Writable,
): Promise<EvalCounts> {
  const workers = await Promise.all(Array.from({ length: jobs }, () => startWorker(data)));
  const done = new Map<number, Result>();
  let next = 0; // next seq to write
  let sent = 0;
  let count = 0;
  let invalid = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  for (const w of workers) {
    w.on('message', (r: Result) => {
      done.set(r.seq, r);
      wake?.();
    });
    w.on('error', (e) => {
      failure = e;
      wake?.();
    });
  }
  const flush = async (): Promise<void> => {
    let r: Result | undefined;
    while ((r = done.get(next)) !== undefined) {
      done.delete(next++);
      count += r.count;
      invalid += r.invalid;
      if (r.out) await write(out, r.out);
    }
  };
  const waitFor = async (condition: () => boolean): Promise<void> => {
    while (!condition()) {
      if (failure !== undefined)
        throw new AgentOsError('AOS_INTERNAL', `an eval worker failed: ${String(failure)}`, {
          cause: failure,
        });
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      await flush();
    }
  };
  try {
    input.setEncoding('utf8');
    let pending = '';
    let line = 1;
    const send = (text: string): void => {
      const block: EvalBlock = { seq: sent, text, firstLine: line };
      (workers[sent % jobs] as Worker).postMessage(block);
      sent++;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) line++;
    };
    for await (const chunk of input as AsyncIterable<string>) {
      pending += chunk;
      if (pending.length < BLOCK_CHARS) continue;
      const cut = pending.lastIndexOf('\n');
      if (cut < 0) continue;
      await waitFor(() => sent - next < jobs * IN_FLIGHT_PER_WORKER);
      send(pending.slice(0, cut + 1));
      pending = pending.slice(cut + 1);
    }
    if (pending !== '') send(pending.endsWith('\n') ? pending : pending + '\n');
    await flush();
    await waitFor(() => next === sent);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return { count, invalid };
}

/** What a worker says once it has loaded (or failed to load) its engine. */
type Hello = { ready: true } | { failed: { code: ErrorCode; message: string; problems: Problem[] } };

function startWorker(data: EvalWorkerData): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./eval-worker.js', import.meta.url), { workerData: data });
    w.once('message', (hello: Hello) => {
      if ('ready' in hello) return resolve(w);
      void w.terminate();
      reject(new AgentOsError(hello.failed.code, hello.failed.message, { problems: hello.failed.problems }));
    });
    w.once('error', reject);
  });
}
