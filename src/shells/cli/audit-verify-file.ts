/**
 * `audit verify --file`: checks an export (JSONL records or OCSF events, see `readExport`) and says on which
 * line of the file the first bad record is.
 */
import { LedgerVerifier, type VerifyOptions, type VerifyResult } from '../../kernel/ledger/verify.js';
import { lineOfIndex, readExport } from './jsonl-input.js';

/** The verifier's result, with the file and line of a bad record when it has one. */
export type FileVerifyResult = VerifyResult & { readonly place?: string };

/** Verifies an export file in one pass (memory per stream, not per record). */
export async function verifyExportFile(file: string, options: VerifyOptions): Promise<FileVerifyResult> {
  const verifier = new LedgerVerifier(options);
  let index = 0;
  for await (const item of readExport(file)) {
    if (item.problem !== undefined) {
      const sofar = verifier.result();
      // an earlier record already failed: that one is the first bad record
      if (!sofar.ok) break;
      return {
        ok: false,
        at: '?/?',
        index,
        problem: 'malformed',
        message: item.problem,
        place: `${file}:${item.line}`,
      };
    }
    index++;
    if (!verifier.push(item.record)) break;
  }
  const result = verifier.result();
  if (result.ok || result.problem === 'truncated') return result;
  // a second pass only on failure, to name the line without keeping line numbers in memory
  const line = await lineOfIndex(file, result.index);
  return line === undefined ? result : { ...result, place: `${file}:${line}` };
}
