/**
 * `audit export` formats: one line per record, JSONL (the record as stored), OCSF NDJSON or CEF.
 */
import { createRequire } from 'node:module';
import { toCef } from '../../adapters/siem/cef.js';
import { toOcsf, type Product } from '../../adapters/siem/ocsf.js';
import type { LedgerRecord } from '../../kernel/ledger/record.js';

/** The export formats. */
export const EXPORT_FORMATS = ['jsonl', 'ocsf', 'cef'] as const;

/** One export format. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };

/** This build as the product that writes the events. */
export const PRODUCT: Product = { name: 'agentos', vendor: 'Agent OS', version: pkg.version };

/** The formatter of a format: one record to one line, without the line break. */
export function lineFormatter(format: ExportFormat, product: Product = PRODUCT): (r: LedgerRecord) => string {
  switch (format) {
    case 'jsonl':
      return (r) => JSON.stringify(r);
    case 'ocsf':
      return (r) => JSON.stringify(toOcsf(r, product));
    case 'cef':
      return (r) => toCef(r, product);
  }
}
