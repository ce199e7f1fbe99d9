/**
 * Reads a JSONL export line by line (memory stays flat over a long ledger).
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fsReason } from '../../adapters/config-fs.js';
import { AgentOsError } from '../../kernel/errors.js';

/**
 * The values of a JSONL file, one per non-empty line. A line that is not JSON is yielded as its text, so
 * the ledger verifier reports it as `malformed` at its position rather than the reader failing.
 */
export async function* readJsonl(file: string): AsyncGenerator<unknown> {
  try {
    await access(file);
  } catch (e) {
    throw new AgentOsError('AOS_IO', `cannot read \`${file}\`: ${fsReason(e)}`, {
      cause: e,
    });
  }
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = line;
    }
    yield value;
  }
}
