/**
 * The measured loops, one function per engine so each call site stays monomorphic, and the id sources.
 */
import type { IdSource } from '../../src/kernel/ports.js';
import type { PolicyEngine } from '../../src/kernel/policy/engine.js';
import type { ActionRequest } from '../../src/kernel/types.js';
import type { CedarBench } from './cedar.js';
import { summarise, timeBudget } from './stats.js';
import type { Latency, Throughput } from './stats.js';

/** A cheap id source (a counter), so the measurement is of the engine, not of id generation. */
export class CounterIds implements IdSource {
  private n = 0;
  next(prefix: string): string {
    return `${prefix}_${++this.n}`;
  }
}

/** How long to measure. */
export interface Budget {
  readonly warmSeconds: number;
  readonly seconds: number;
  readonly latencySamples: number;
  /** Upper bound on the time spent collecting latency samples (slow engines collect fewer). */
  readonly latencySeconds: number;
}

const BATCH = 1024;

/** Throughput and latency of the Agent OS engine over pre-generated requests (length a power of two). */
export function measureAgentOs(
  engine: PolicyEngine,
  requests: readonly ActionRequest[],
  budget: Budget,
  timerNs: number,
): { throughput: Throughput; latency: Latency } {
  const mask = requests.length - 1;
  let i = 0;
  const batch = (): number => {
    let sink = 0;
    for (let k = 0; k < BATCH; k++)
      sink += engine.decide(requests[i++ & mask] as ActionRequest).effect.length;
    return sink;
  };
  for (const r of requests) engine.decide(r); // every agent and action seen once: caches warm, as in a long-running daemon
  timeBudget(budget.warmSeconds, BATCH, batch);
  const { throughput } = timeBudget(budget.seconds, BATCH, batch);
  const samples = new Float64Array(budget.latencySamples);
  const deadline = process.hrtime.bigint() + BigInt(Math.round(budget.latencySeconds * 1e9));
  let n = 0;
  for (; n < samples.length; n++) {
    const r = requests[n & mask] as ActionRequest;
    const t0 = process.hrtime.bigint();
    const d = engine.decide(r);
    const t1 = process.hrtime.bigint();
    samples[n] = Number(t1 - t0);
    if (d.effect.length === 0) throw new Error('unreachable');
    if ((n & 4095) === 4095 && t1 > deadline) {
      n++;
      break;
    }
  }
  return { throughput, latency: summarise(samples.subarray(0, n), timerNs) };
}

/** The same for Cedar, with the principal's entity slice per call. */
export function measureCedar(
  cedar: CedarBench,
  requests: readonly ActionRequest[],
  budget: Budget,
  timerNs: number,
): { throughput: Throughput; latency: Latency } {
  const mask = requests.length - 1;
  let i = 0;
  const size = 16;
  const batch = (): number => {
    let sink = 0;
    for (let k = 0; k < size; k++) sink += cedar.decide(requests[i++ & mask] as ActionRequest).length;
    return sink;
  };
  timeBudget(budget.warmSeconds, size, batch);
  const { throughput } = timeBudget(budget.seconds, size, batch);
  const samples = new Float64Array(budget.latencySamples);
  const deadline = process.hrtime.bigint() + BigInt(Math.round(budget.latencySeconds * 1e9));
  let n = 0;
  for (; n < samples.length; n++) {
    const r = requests[n & mask] as ActionRequest;
    const t0 = process.hrtime.bigint();
    const e = cedar.decide(r);
    const t1 = process.hrtime.bigint();
    samples[n] = Number(t1 - t0);
    if (e.length === 0) throw new Error('unreachable');
    if (t1 > deadline && n >= 2) {
      n++;
      break;
    }
  }
  return { throughput, latency: summarise(samples.subarray(0, n), timerNs) };
}

/**
 * Cedar with the whole entity store on every call: at least `minCalls` timed calls (the first requests), more
 * while under `seconds`; throughput is calls over their total time. Returns the effects for the agreement check.
 */
export function measureCedarFullStore(
  cedar: CedarBench,
  requests: readonly ActionRequest[],
  minCalls: number,
  seconds: number,
  timerNs: number,
): { measured: { throughput: Throughput; latency: Latency }; effects: string[] } {
  cedar.decideFullStore(requests[requests.length - 1] as ActionRequest); // warm-up call
  const samples: number[] = [];
  const effects: string[] = [];
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let t1 = start;
  for (let n = 0; n < requests.length && (n < minCalls || t1 < until); n++) {
    const t0 = process.hrtime.bigint();
    effects.push(cedar.decideFullStore(requests[n] as ActionRequest));
    t1 = process.hrtime.bigint();
    samples.push(Number(t1 - t0));
  }
  const total = Number(t1 - start) / 1e9;
  return {
    measured: {
      throughput: { ops: samples.length, seconds: total, perSecond: samples.length / total },
      latency: summarise(Float64Array.from(samples), timerNs),
    },
    effects,
  };
}
