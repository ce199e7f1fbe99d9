import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentOsError } from '../errors.js';
import { canonicalJson, isCanonicalisable } from './canonical.js';

describe('canonicalJson', () => {
  it('follows RFC 8785: sorted keys, no whitespace, ECMAScript number forms', () => {
    expect(canonicalJson({ b: [1, 'x', null], a: { d: true, c: 1e21 }, '\u20ac': 0.1 })).toBe(
      '{"a":{"c":1e+21,"d":true},"b":[1,"x",null],"€":0.1}',
    );
    expect(canonicalJson(-0)).toBe('0');
    expect(canonicalJson('\u2028"\n')).toBe('"\u2028\\"\\n"');
  });

  it('is a fixed point: parsing a canonical text and canonicalising it again gives the same text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonicalJson(v);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('gives one text for every key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 }), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what is not plain JSON, naming where', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    const cases: [unknown, RegExp][] = [
      [undefined, /`\$`: undefined/],
      [{ a: undefined }, /`\$\.a`: undefined/],
      [[1, undefined], /`\$\[1\]`: undefined/],
      [{ n: Number.NaN }, /`\$\.n`: NaN is not a finite number/],
      [[Infinity], /Infinity is not a finite number/],
      [{ f: () => 1 }, /a function/],
      [{ s: Symbol('x') }, /a symbol/],
      [10n, /a bigint/],
      [cycle, /`\$\.self`: a cycle/],
      // eslint-disable-next-line no-sparse-arrays
      [[1, , 3], /`\$\[1\]`: a hole/],
      [new Date(0), /not a plain object/],
      [new Map(), /not a plain object/],
      [{ toJSON: () => 1 }, /`toJSON`/],
      [{ [Symbol('k')]: 1 }, /a symbol key/],
      ['\ud800', /lone surrogate/],
    ];
    for (const [value, message] of cases) {
      let caught: unknown;
      try {
        canonicalJson(value);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(AgentOsError);
      expect((caught as AgentOsError).code).toBe('AOS_LEDGER_BODY_INVALID');
      expect((caught as AgentOsError).message).toMatch(message);
      expect(isCanonicalisable(value)).toBe(false);
    }
  });

  it('accepts shared (non-cyclic) references and null-prototype objects', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
    const bare = Object.assign(Object.create(null) as object, { k: 'v' });
    expect(canonicalJson(bare)).toBe('{"k":"v"}');
  });
});
