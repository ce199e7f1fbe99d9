/**
 * Ledger records as CEF (ArcSight Common Event Format) lines, for collectors that take nothing newer:
 * `CEF:0|Agent OS|agentos|<version>|<record type>|<name>|<severity 0-10>|<extension>`. docs/siem.md has the
 * mapping. CEF exports are not verifiable (no record body, no canonical form): use OCSF or JSONL for that.
 *
 * Escaping follows the CEF standard: in the header `\` → `\\` and `|` → `\|` (a header cannot hold a line
 * break, so CR and LF become spaces); in extension values `\` → `\\`, `=` → `\=`, LF → `\n` and CR → `\r`.
 * `parseCef` undoes exactly that, so values round-trip.
 */
import type { LedgerRecord } from '../../kernel/ledger/record.js';
import { severityId, type Product } from './ocsf.js';
import { decidedEffect, decidedRules, recordRefs, summarize } from './summary.js';

/** Escapes a CEF header field. */
export function escapeCefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => '\\' + c).replace(/[\r\n]+/g, ' ');
}

/** Escapes a CEF extension value. */
export function escapeCefValue(value: string): string {
  return value.replace(/[\\=\r\n]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\' + c));
}

/** CEF severity (0–10) for OCSF `severity_id` (1 Informational … 5 Critical). */
const CEF_SEVERITY = [0, 1, 3, 5, 7, 9] as const;

/** A CEF extension: keys (letters and digits) to values, in order. */
export type CefExtension = readonly (readonly [key: string, value: string])[];

/** Formats one CEF line (without the line break) from its header fields and extension. */
export function formatCef(
  header: {
    vendor: string;
    product: string;
    version: string;
    signature: string;
    name: string;
    severity: number;
  },
  extension: CefExtension,
): string {
  const h = [
    header.vendor,
    header.product,
    header.version,
    header.signature,
    header.name,
    String(header.severity),
  ].map(escapeCefHeader);
  const ext = extension.map(([k, v]) => `${k}=${escapeCefValue(v)}`).join(' ');
  return `CEF:0|${h.join('|')}|${ext}`;
}

/** Maps one ledger record to one CEF line (without the line break). */
export function toCef(record: LedgerRecord, product: Product): string {
  const refs = recordRefs(record);
  const effect = decidedEffect(record);
  const rules = decidedRules(record);
  const ext: [string, string][] = [
    ['rt', String(Date.parse(record.time))],
    ['externalId', `${record.stream}/${record.seq}`],
    ['cat', record.type],
  ];
  if (refs.agent !== undefined) ext.push(['suser', refs.agent]);
  if (effect !== undefined) ext.push(['act', effect]);
  if (record.type === 'action.completed') ext.push(['outcome', 'success']);
  if (record.type === 'action.failed') ext.push(['outcome', 'failure']);
  ext.push(['msg', summarize(record)]);
  ext.push(['cs1Label', 'stream'], ['cs1', record.stream], ['cn1Label', 'seq'], ['cn1', String(record.seq)]);
  ext.push(['cs2Label', 'prev'], ['cs2', record.prev], ['cs3Label', 'mac'], ['cs3', record.mac]);
  ext.push(['cs4Label', 'keyId'], ['cs4', record.keyId]);
  if (refs.action !== undefined) ext.push(['cs5Label', 'action'], ['cs5', refs.action]);
  if (refs.episode !== undefined) ext.push(['cs6Label', 'episode'], ['cs6', refs.episode]);
  if (rules.length > 0) ext.push(['flexString1Label', 'rules'], ['flexString1', rules.join(',')]);
  const name = record.type.replace('.', ' ') + (effect === undefined ? '' : `: ${effect}`);
  return formatCef(
    {
      vendor: product.vendor,
      product: product.name,
      version: product.version,
      signature: record.type,
      name,
      severity: CEF_SEVERITY[severityId(record)] ?? 0,
    },
    ext,
  );
}

/** A parsed CEF line. */
export interface ParsedCef {
  readonly version: string;
  /** Vendor, product, version, signature id, name, severity: unescaped. */
  readonly header: readonly string[];
  readonly extension: [string, string][];
}

/** Undoes `escapeCefHeader` on one field (line breaks, replaced by spaces, stay spaces). */
export function unescapeCefHeader(field: string): string {
  return field.replace(/\\([\\|])/g, '$1');
}

/** Undoes `escapeCefValue`. */
export function unescapeCefValue(value: string): string {
  return value.replace(/\\([\\=nr])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/**
 * Parses a CEF line as `formatCef` writes it: seven `|`-separated header fields (escapes honoured), then
 * `key=value` pairs separated by single spaces, where a value runs up to the space before the next
 * unescaped `key=`. Returns `undefined` for a line that is not CEF.
 */
export function parseCef(line: string): ParsedCef | undefined {
  const fields: string[] = [];
  let i = 0;
  let start = 0;
  while (fields.length < 7 && i < line.length) {
    const c = line[i];
    if (c === '\\') i += 2;
    else if (c === '|') {
      fields.push(line.slice(start, i));
      start = ++i;
    } else i++;
  }
  if (fields.length < 7 || !fields[0]?.startsWith('CEF:')) return undefined;
  const rest = line.slice(start);
  // the unescaped `=` signs, each preceded by its key
  const keys: { key: string; at: number; valueAt: number }[] = [];
  for (let j = 0; j < rest.length; j++) {
    if (rest[j] === '\\') j++;
    else if (rest[j] === '=') {
      const m = /[A-Za-z0-9_.]+$/.exec(rest.slice(0, j));
      if (!m) return undefined;
      keys.push({ key: m[0], at: j - m[0].length, valueAt: j + 1 });
    }
  }
  const extension: [string, string][] = keys.map((k, n) => {
    const next = keys[n + 1];
    const end = next === undefined ? rest.length : next.at - 1; // the single space before the next key
    return [k.key, unescapeCefValue(rest.slice(k.valueAt, end))];
  });
  const [version = '', ...header] = fields;
  return { version: version.slice('CEF:'.length), header: header.map(unescapeCefHeader), extension };
}
