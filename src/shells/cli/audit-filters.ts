/**
 * The record filters shared by `audit export`, `tail` and `query`: options on a command, and their values
 * checked and turned into a `LedgerQuery`.
 */
import type { Command } from 'commander';
import type { LedgerQuery } from '../../governor/store.js';
import { AgentOsError } from '../../kernel/errors.js';
import { RECORD_TYPES, type RecordType } from '../../kernel/ledger/record.js';

/** The filter options as commander hands them over. */
export interface FilterOpts {
  since?: string;
  until?: string;
  agent?: string;
  episode?: string;
  type?: string;
  stream?: string;
  limit?: string;
}

/** Which filters a command offers. */
export type FilterName = 'since' | 'until' | 'agent' | 'episode' | 'type' | 'stream' | 'limit';

const HELP: Record<FilterName, [flag: string, help: string]> = {
  since: [
    '--since <iso>',
    'only records at or after this time (ISO-8601, e.g. 2026-01-31 or 2026-01-31T12:00Z)',
  ],
  until: ['--until <iso>', 'only records before this time (ISO-8601)'],
  agent: ['--agent <id>', 'only records about this agent'],
  episode: ['--episode <id>', 'only records of this episode'],
  type: ['--type <type>', `only records of this type (${RECORD_TYPES.join(', ')})`],
  stream: ['--stream <stream>', 'only records of this stream (node)'],
  limit: ['--limit <n>', 'at most this many records'],
};

/** Adds filter options to a command. */
export function filterOptions(c: Command, names: readonly FilterName[]): Command {
  for (const n of names) c.option(...HELP[n]);
  return c;
}

/** An ISO-8601 time as the ledger stores it (UTC, milliseconds), or `AOS_USAGE` naming the option and value. */
export function isoTime(option: string, value: string): string {
  // a date, or a date and time with a zone; a local time without a zone would depend on the machine
  const shape = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;
  const ms = shape.test(value.trim()) ? Date.parse(value.trim().replace(' ', 'T')) : NaN;
  if (!Number.isFinite(ms)) {
    throw new AgentOsError(
      'AOS_USAGE',
      `${option} must be an ISO-8601 date or UTC time like \`2026-01-31T12:00:00Z\`, not \`${value}\``,
    );
  }
  return new Date(ms).toISOString();
}

/** A positive whole number option, or `AOS_USAGE`. */
export function positiveInt(option: string, value: string, allowZero = false): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || (!allowZero && n === 0)) {
    throw new AgentOsError(
      'AOS_USAGE',
      `${option} must be a ${allowZero ? 'whole number' : 'positive whole number'}, not \`${value}\``,
    );
  }
  return n;
}

/** A record type option, or `AOS_USAGE` listing the types. */
export function recordType(value: string): RecordType {
  if ((RECORD_TYPES as readonly string[]).includes(value)) return value as RecordType;
  throw new AgentOsError('AOS_USAGE', `--type must be one of ${RECORD_TYPES.join(', ')}, not \`${value}\``);
}

/** The filter options as a ledger query; `AOS_USAGE` for a value that is not valid. */
export function ledgerQuery(opts: FilterOpts): LedgerQuery {
  const since = opts.since === undefined ? undefined : isoTime('--since', opts.since);
  const until = opts.until === undefined ? undefined : isoTime('--until', opts.until);
  return {
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(opts.agent === undefined ? {} : { agent: opts.agent }),
    ...(opts.episode === undefined ? {} : { episode: opts.episode }),
    ...(opts.type === undefined ? {} : { type: recordType(opts.type) }),
    ...(opts.stream === undefined ? {} : { stream: opts.stream }),
    ...(opts.limit === undefined ? {} : { limit: positiveInt('--limit', opts.limit) }),
  };
}
