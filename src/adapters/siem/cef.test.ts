import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LedgerRecord } from '../../kernel/ledger/record.js';
import {
  escapeCefHeader,
  escapeCefValue,
  formatCef,
  parseCef,
  toCef,
  unescapeCefHeader,
  unescapeCefValue,
} from './cef.js';

const text = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', ' ', '=', '|', '\\', '\n', '\r', 'n', 'r', 'é', '💥'),
});
const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,11}$/);

describe('CEF escaping', () => {
  it('escapes the header: backslash and pipe, line breaks become spaces', () => {
    expect(escapeCefHeader('a|b\\c\nd')).toBe('a\\|b\\\\c d');
    expect(escapeCefValue('a=b\\c\nd\re|f')).toBe('a\\=b\\\\c\\nd\\re|f');
  });

  it('round-trips any value and header field (property)', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(unescapeCefValue(escapeCefValue(s))).toBe(s);
        expect(unescapeCefHeader(escapeCefHeader(s))).toBe(s.replace(/[\r\n]+/g, ' '));
        expect(escapeCefValue(s)).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('a parser of the format gets back every header field and extension pair (property)', () => {
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 5, maxLength: 5 }),
        fc.integer({ min: 0, max: 10 }),
        fc.uniqueArray(fc.tuple(key, text), { selector: ([k]) => k, maxLength: 8 }),
        ([vendor, product, version, signature, name], severity, extension) => {
          const header = {
            vendor: vendor!,
            product: product!,
            version: version!,
            signature: signature!,
            name: name!,
            severity,
          };
          const line = formatCef(header, extension);
          expect(line).not.toMatch(/[\r\n]/);
          const parsed = parseCef(line);
          expect(parsed?.version).toBe('0');
          expect(parsed?.header).toEqual(
            [vendor, product, version, signature, name, String(severity)].map((s) =>
              s!.replace(/[\r\n]+/g, ' '),
            ),
          );
          expect(parsed?.extension).toEqual(extension);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('maps a decision record to a CEF line with the chain fields', () => {
    const record: LedgerRecord = {
      stream: 'node|a',
      seq: 7,
      time: '2026-03-01T00:00:07.000Z',
      type: 'action.decided',
      body: {
        action: 'act_1',
        agent: 'bot=1',
        effect: 'deny',
        risk: 'critical',
        decision: { effect: 'deny', rules: ['r1', 'r2'], reason: 'no' },
        versions: { org: 1, policy: 1 },
        mode: 'enforce',
      },
      prev: '0'.repeat(64),
      keyId: 'k1',
      mac: 'f'.repeat(64),
    };
    const line = toCef(record, { name: 'agentos', vendor: 'Agent OS', version: '1.2.3' });
    expect(line.startsWith('CEF:0|Agent OS|agentos|1.2.3|action.decided|action decided: deny|9|rt=')).toBe(
      true,
    );
    const ext = Object.fromEntries(parseCef(line)!.extension);
    expect(ext).toMatchObject({
      rt: String(Date.parse(record.time)),
      externalId: 'node|a/7',
      suser: 'bot=1',
      act: 'deny',
      cs1Label: 'stream',
      cs1: 'node|a',
      cn1: '7',
      cs3: record.mac,
      cs4: 'k1',
      cs5: 'act_1',
      flexString1: 'r1,r2',
    });
    expect(line).toContain('suser=bot\\=1');
  });

  it('refuses what is not CEF', () => {
    expect(parseCef('{"class_uid":6003}')).toBeUndefined();
    expect(parseCef('CEF:0|a|b')).toBeUndefined();
  });
});
