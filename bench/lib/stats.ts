/**
 * Measuring: throughput over a time budget and per-call latency percentiles, with the timer's own cost
 * measured in the same run so it can be reported and subtracted.
 */
import { performance } from 'node:perf_hooks';

/** Latency percentiles in nanoseconds, raw (timer included) and net (timer overhead subtracted). */
export interface Latency {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** The timer pair's own median cost, subtracted from the net figures. */
  readonly timerNs: number;
  readonly netP50: number;
  readonly netP99: number;
  readonly netP999: number;
}

/** Operations per second over a measured stretch. */
export interface Throughput {
  readonly ops: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** The value at quantile q (0–1) of sorted samples (nearest rank). */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/** Median cost of two back-to-back `process.hrtime.bigint()` calls (what each latency sample includes). */
export function timerOverheadNs(samples = 200_000): number {
  const out = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    out[i] = Number(t1 - t0);
  }
  out.sort();
  return quantile(out, 0.5);
}

/** Summarises raw per-call samples (ns) given the timer overhead. */
export function summarise(raw: Float64Array, timerNs: number): Latency {
  raw.sort();
  const p50 = quantile(raw, 0.5);
  const p99 = quantile(raw, 0.99);
  const p999 = quantile(raw, 0.999);
  const net = (v: number): number => Math.max(0, v - timerNs);
  return {
    samples: raw.length,
    p50,
    p99,
    p999,
    max: raw.length > 0 ? (raw[raw.length - 1] as number) : NaN,
    timerNs,
    netP50: net(p50),
    netP99: net(p99),
    netP999: net(p999),
  };
}

/**
 * Runs `batch` (which performs `batchSize` operations and returns a value to keep them from being optimised
 * away) until `seconds` have passed; returns the rate. The clock is read once per batch.
 */
export function timeBudget(
  seconds: number,
  batchSize: number,
  batch: () => number,
): { throughput: Throughput; sink: number } {
  let sink = 0;
  let ops = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  do {
    sink += batch();
    ops += batchSize;
    now = performance.now();
  } while (now < end);
  const elapsed = (now - start) / 1000;
  return { throughput: { ops, seconds: elapsed, perSecond: ops / elapsed }, sink };
}

/** Formats a rate: `1.23 M/s`, `456 k/s`, `789 /s`. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(1)} /s`;
}

/** Formats nanoseconds: `850 ns`, `4.21 µs`, `12.3 ms`. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(0)} µs`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}
