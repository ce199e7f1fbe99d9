/**
 * Reads action requests for `policy eval|explain`: one JSON document, or NDJSON (one request per line),
 * streamed so that a large recorded-traffic file is decided as it arrives.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { AgentOsError } from '../../kernel/errors.js';
import { requestProblem } from '../../kernel/policy/request.js';
import type { ActionRequest } from '../../kernel/types.js';

/** One request read, or why the input at that line is not one. */
export type RequestItem = { line: number; request: ActionRequest } | { line: number; error: string };

/** Opens the request input: a file when given, otherwise stdin. */
export function openRequestInput(file: string | undefined, stdin: Readable): Readable {
  if (file === undefined) return stdin;
  return createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
}

/** Yields the requests of an input one by one (see `readRequestBatches`). */
export async function* readRequests(input: Readable, name: string): AsyncGenerator<RequestItem> {
  for await (const batch of readRequestBatches(input, name)) yield* batch;
}

/**
 * Yields the requests of an input, a batch per chunk read (one await per chunk, not per line). Line by
 * line (NDJSON); when the first non-empty line is not a complete JSON value, the whole input is read as
 * one JSON document (a pretty-printed request).
 */
export async function* readRequestBatches(input: Readable, name: string): AsyncGenerator<RequestItem[]> {
  input.setEncoding('utf8');
  let pending = '';
  let lineNo = 0;
  let seen = false; // a non-empty line has been yielded
  let whole: string | undefined; // set once the input is read as one JSON document
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      if (whole !== undefined) {
        whole += chunk;
        continue;
      }
      pending += chunk;
      const batch: RequestItem[] = [];
      let start = 0;
      let nl: number;
      while ((nl = pending.indexOf('\n', start)) >= 0) {
        const line = pending.slice(start, nl);
        lineNo++;
        if (line.trim() === '') {
          start = nl + 1;
          continue;
        }
        const item = parseLine(line, lineNo);
        if (!seen && 'error' in item && item.error.startsWith('not JSON')) {
          whole = pending.slice(start);
          break;
        }
        start = nl + 1;
        seen = true;
        batch.push(item);
      }
      pending = whole === undefined ? pending.slice(start) : '';
      if (batch.length > 0) yield batch;
    }
  } catch (e) {
    throw new AgentOsError('AOS_IO', `\`${name}\` cannot be read: ${(e as Error).message}`, { cause: e });
  }
  if (whole !== undefined) yield [parseLine(whole, 1)];
  else if (pending.trim() !== '') yield [parseLine(pending, lineNo + 1)];
}

/** Parses one line (or document) into a request, or says why it is not one. */
export function parseLine(text: string, line: number): RequestItem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { line, error: `not JSON: ${(e as Error).message}` };
  }
  const problem = requestProblem(value);
  return problem === undefined ? { line, request: value as ActionRequest } : { line, error: problem };
}
