/**
 * The streaming core of `agentos policy eval`: requests in (one JSON document or NDJSON), Decisions out,
 * one line per request in input order. Works a chunk at a time so bulk what-if runs are not slowed by
 * per-line awaits; writes respect backpressure. `eval-parallel.ts` spreads the same work over threads.
 */
import type { Readable, Writable } from 'node:stream';
import type { PolicyEngine } from '../../kernel/policy/engine.js';
import { write } from './io.js';
import type { RequestItem } from './request-input.js';
import { parseLine, readRequestBatches } from './request-input.js';

/** What an eval run saw. */
export interface EvalCounts {
  readonly count: number;
  readonly invalid: number;
}

/** One output line for one input item: its Decision, or the error that stands in its place. */
export function decisionLine(engine: PolicyEngine, item: RequestItem, name: string): string {
  return 'error' in item
    ? JSON.stringify({
        error: { code: 'AOS_REQUEST_INVALID', message: `${name}:${item.line}: ${item.error}` },
      })
    : JSON.stringify(engine.decide(item.request));
}

/** Decides a block of complete NDJSON lines whose first line is `firstLine`; blank lines are skipped. */
export function decideLines(
  engine: PolicyEngine,
  text: string,
  firstLine: number,
  name: string,
): EvalCounts & { out: string } {
  let out = '';
  let count = 0;
  let invalid = 0;
  let line = firstLine;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const raw = text.slice(start, end);
    if (raw.trim() !== '') {
      const item = parseLine(raw, line);
      if ('error' in item) invalid++;
      count++;
      out += decisionLine(engine, item, name) + '\n';
    }
    line++;
    start = end + 1;
  }
  return { out, count, invalid };
}

/**
 * Decides every request of `input` and writes one JSON line per request to `out` (an invalid request gets
 * an `{"error": …}` line in its place). A lone request is pretty-printed for a person.
 */
export async function evalStream(
  engine: PolicyEngine,
  input: Readable,
  name: string,
  out: Writable,
): Promise<EvalCounts> {
  let count = 0;
  let invalid = 0;
  let first: string | undefined; // held back until we know whether there is more than one
  for await (const batch of readRequestBatches(input, name)) {
    let text = '';
    for (const item of batch) {
      if ('error' in item) invalid++;
      const line = decisionLine(engine, item, name);
      if (++count === 1) first = line;
      else {
        if (first !== undefined) {
          text += first + '\n';
          first = undefined;
        }
        text += line + '\n';
      }
    }
    if (text) await write(out, text);
  }
  if (first !== undefined) await write(out, JSON.stringify(JSON.parse(first), null, 2) + '\n');
  return { count, invalid };
}
