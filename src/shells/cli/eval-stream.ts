/**
 * The streaming core of `agentos policy eval`: requests in (one JSON document or NDJSON), Decisions out,
 * one line per request in input order. Works a chunk at a time so bulk what-if runs are not slowed by
 * per-line awaits; writes respect backpressure.
 */
import type { Readable, Writable } from 'node:stream';
import type { PolicyEngine } from '../../kernel/policy/engine.js';
import { write } from './io.js';
import { readRequestBatches } from './request-input.js';

/** What an eval run saw. */
export interface EvalCounts {
  readonly count: number;
  readonly invalid: number;
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
      let line: string;
      if ('error' in item) {
        invalid++;
        line = JSON.stringify({
          error: { code: 'AOS_REQUEST_INVALID', message: `${name}:${item.line}: ${item.error}` },
        });
      } else line = JSON.stringify(engine.decide(item.request));
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
