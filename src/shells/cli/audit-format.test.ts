import { describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../../kernel/ledger/record.js';
import { recordLine, visible } from './audit-format.js';
import { styleFor } from './style.js';

const record: LedgerRecord = {
  stream: 'node-a',
  seq: 2,
  time: '2026-03-01T10:00:00.000Z',
  type: 'action.requested',
  body: { action: 'act_1', agent: 'bot\u001b[31m', request: { action: 'file.read', resource: 'a\nb\u202e' } },
  prev: '0'.repeat(64),
  keyId: 'k',
  mac: 'a'.repeat(64),
};

describe('record lines', () => {
  it('are one line with control and bidi characters made visible', () => {
    const line = recordLine(record, styleFor({ isTTY: false }));
    expect(['\n', '\u001b', '\u202e'].some((c) => line.includes(c))).toBe(false);
    expect(line).toBe(
      '2026-03-01T10:00:00.000Z node-a/2       action.requested   bot\\u001b[31m  file.read a\\nb\\u202e',
    );
    expect(visible('ok\t')).toBe('ok\\t');
  });

  it('are coloured only on a TTY without NO_COLOR', () => {
    const decided = { ...record, type: 'action.decided' as const, body: { agent: 'b', effect: 'deny' } };
    expect(recordLine(decided, styleFor({ isTTY: true }, {}))).toContain('\u001b[31mdeny');
    expect(recordLine(decided, styleFor({ isTTY: true }, { NO_COLOR: '1' }))).not.toContain('\u001b[');
  });
});
