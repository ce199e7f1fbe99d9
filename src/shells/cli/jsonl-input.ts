/**
 * Reads a ledger export line by line (memory stays flat over a long ledger): JSONL records as
 * `audit export --format jsonl` writes them, or OCSF events as `--format ocsf` writes them, from which the
 * original record is taken (`unmapped.agentos_record`). The format is detected per line.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fsReason } from '../../adapters/config-fs.js';
import { isOcsfEvent, OCSF_RECORD_KEY, ocsfRecord } from '../../adapters/siem/ocsf.js';
import { AgentOsError } from '../../kernel/errors.js';

/** One non-empty line of an export: its 1-based line number and the record on it, or why there is none. */
export type ExportLine =
  | { readonly line: number; readonly record: unknown; readonly problem?: undefined }
  | { readonly line: number; readonly record?: undefined; readonly problem: string };

async function* lines(file: string): AsyncGenerator<{ line: number; text: string }> {
  try {
    await access(file);
  } catch (e) {
    throw new AgentOsError('AOS_IO', `cannot read \`${file}\`: ${fsReason(e)}`, { cause: e });
  }
  const input = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const text of input) {
    line++;
    if (text.trim() !== '') yield { line, text };
  }
}

/**
 * The records of an export, one per non-empty line. A JSON object with a numeric `class_uid` is an OCSF
 * event and yields the record in its `unmapped`; any other JSON value is taken as a record (the verifier
 * checks its shape). A line that is not JSON, or an OCSF event without a record, yields a `problem`.
 */
export async function* readExport(file: string): AsyncGenerator<ExportLine> {
  for await (const { line, text } of lines(file)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, problem: 'neither a JSON ledger record nor an OCSF event (not JSON)' };
      continue;
    }
    if (!isOcsfEvent(value)) yield { line, record: value };
    else {
      const record = ocsfRecord(value);
      yield record === undefined
        ? { line, problem: `an OCSF event without \`unmapped.${OCSF_RECORD_KEY}\`: not an agent os export` }
        : { line, record };
    }
  }
}

/** The 1-based line number of the `index`-th (0-based) non-empty line of a file, or `undefined`. */
export async function lineOfIndex(file: string, index: number): Promise<number | undefined> {
  let i = 0;
  for await (const { line } of lines(file)) if (i++ === index) return line;
  return undefined;
}
