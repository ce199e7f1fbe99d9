/**
 * How `audit tail` and `audit query` print records for people: one line each, in columns (time,
 * `<stream>/<seq>`, type, agent, summary), coloured by outcome when the style allows it.
 */
import { decidedEffect, recordRefs, summarize } from '../../adapters/siem/summary.js';
import type { LedgerRecord } from '../../kernel/ledger/record.js';
import type { Style } from './style.js';

const WIDTH = { time: 24, at: 14, type: 18, agent: 14 } as const;

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/**
 * Control and bidi-override characters made visible (`\n`, `\u001b`): bodies carry agent-supplied text,
 * and a record must neither break its line nor drive the operator's terminal.
 */
export function visible(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The header line of the table (`audit query`). */
export function recordHeader(style: Style): string {
  return style.bold(
    [
      pad('TIME', WIDTH.time),
      pad('RECORD', WIDTH.at),
      pad('TYPE', WIDTH.type),
      pad('AGENT', WIDTH.agent),
      'SUMMARY',
    ].join(' '),
  );
}

/** One record as one line (no line break); padding is applied before colour so columns stay aligned. */
export function recordLine(record: LedgerRecord, style: Style): string {
  const agent = visible(recordRefs(record).agent ?? '-');
  const summary = visible(summarize(record));
  const effect = decidedEffect(record);
  const tint =
    effect === 'deny' || record.type === 'action.failed' || record.type === 'approval.denied'
      ? style.red
      : effect === 'require_approval' || record.type === 'approval.requested'
        ? style.yellow
        : effect === 'allow' || record.type === 'action.completed' || record.type === 'approval.granted'
          ? style.green
          : (s: string) => s;
  return [
    style.dim(pad(record.time, WIDTH.time)),
    pad(visible(`${record.stream}/${record.seq}`), WIDTH.at),
    style.cyan(pad(record.type, WIDTH.type)),
    pad(agent, WIDTH.agent),
    tint(summary),
  ].join(' ');
}
