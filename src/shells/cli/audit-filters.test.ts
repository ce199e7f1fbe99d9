import { describe, expect, it } from 'vitest';
import { isoTime, ledgerQuery, positiveInt } from './audit-filters.js';

describe('audit filters', () => {
  it('normalises ISO-8601 times to the ledger form (UTC, ms)', () => {
    expect(isoTime('--since', '2026-01-31')).toBe('2026-01-31T00:00:00.000Z');
    expect(isoTime('--since', '2026-01-31T12:00Z')).toBe('2026-01-31T12:00:00.000Z');
    expect(isoTime('--since', '2026-01-31T12:00:00+02:00')).toBe('2026-01-31T10:00:00.000Z');
  });

  it('refuses other times, naming the value in backticks', () => {
    for (const v of ['yesterday', '2026-13-01', '2026-01-31T12:00', '1700000000']) {
      expect(() => isoTime('--since', v)).toThrow(expect.objectContaining({ code: 'AOS_USAGE' }));
      expect(() => isoTime('--since', v)).toThrow(`\`${v}\``);
    }
  });

  it('builds a LedgerQuery, checking type and limit', () => {
    expect(ledgerQuery({ agent: 'a', type: 'action.decided', limit: '5', stream: 's' })).toEqual({
      agent: 'a',
      type: 'action.decided',
      limit: 5,
      stream: 's',
    });
    expect(() => ledgerQuery({ type: 'nope' })).toThrow(/`nope`/);
    expect(() => positiveInt('--limit', '0')).toThrow(/positive/);
    expect(positiveInt('-n', '0', true)).toBe(0);
    expect(() => positiveInt('-n', '-1', true)).toThrow(/`-1`/);
  });
});
