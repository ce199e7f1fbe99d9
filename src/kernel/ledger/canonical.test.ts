import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentOsError } from '../errors.js';
import { canonicalCopy, canonicalJson, isCanonicalisable } from './canonical.js';

/** The library's text, or `undefined` when the library refuses (lone surrogates). */
function library(v: unknown): string | undefined {
  try {
    return canonicalize(v);
  } catch {
    return undefined;
  }
}

/** Ours, or `undefined` when we refuse (always with `AOS_LEDGER_BODY_INVALID`). */
function ours(v: unknown): string | undefined {
  try {
    return canonicalJson(v);
  } catch (e) {
    expect((e as AgentOsError).code).toBe('AOS_LEDGER_BODY_INVALID');
    return undefined;
  }
}

const wellFormed = (s: string): boolean => !/\p{Cs}/u.test(s);

/** An independent statement of "plain JSON", the values `canonicalJson` must accept (and only those). */
function plainJson(v: unknown): boolean {
  if (v === null || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v === 'string') return wellFormed(v);
  if (typeof v !== 'object') return false;
  if (Array.isArray(v))
    return Array.from({ length: v.length }, (_, i) => i in v && plainJson(v[i])).every(Boolean);
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  if (Object.getOwnPropertySymbols(v).length > 0 || 'toJSON' in v) return false;
  return Object.entries(v).every(([k, x]) => wellFormed(k) && plainJson(x));
}

/** Strings rich in what canonical JSON treats specially: lone and paired surrogates, escapes, controls. */
const tricky = fc.string({
  unit: fc.constantFrom(
    'a',
    'Z',
    '\ud800',
    '\udfff',
    '\u{1F600}',
    '"',
    '\\',
    '\n',
    '\u0000',
    '\u2028',
    'é',
    '\uffff',
  ),
  maxLength: 6,
});
/** Keys that take either path: digits (array-index order), `__proto__`, lone surrogates, non-ASCII, empty. */
const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 4 }),
  tricky,
  fc.constantFrom('a', 'b', 'B', '__proto__', '0', '1', '10', '2', '01', 'é', '\u{1F600}', '\uffff', ''),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.constantFrom(-0, 1e21, 5e-324, 0.1),
    fc.string({ unit: 'binary' }),
    tricky,
    fc.array(tie('value')),
    fc.dictionary(key, tie('value')),
  ),
})).value;

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

  it("gives the `canonicalize` library's text, and a copy that parses from it, for any JSON value", () => {
    fc.assert(
      fc.property(json, (v) => {
        const text = ours(v);
        expect(text).toBe(library(v)); // both refuse exactly the lone surrogates
        if (text !== undefined) {
          const copy = canonicalCopy(v).value;
          expect(copy).toStrictEqual(JSON.parse(text));
          expect(Object.is(copy, -0)).toBe(false);
          expect(JSON.stringify(copy) === text || /"\d|"__proto__"/.test(text)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts exactly the plain JSON values among anything, with the library's text", () => {
    const anything = fc.anything({
      stringUnit: 'binary',
      withNullPrototype: true,
      withSparseArray: true,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withObjectString: true,
    });
    fc.assert(
      fc.property(anything, (v) => {
        const text = ours(v);
        expect(text !== undefined).toBe(plainJson(v));
        if (text !== undefined) expect(text).toBe(library(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same text for values deeper than the fast path goes', () => {
    let deep: unknown = { leaf: [1, 'x'] };
    for (let i = 0; i < 300; i++) deep = i % 2 ? { [`k${i}`]: deep, z: i } : [deep, null];
    expect(canonicalJson(deep)).toBe(canonicalize(deep));
    expect(canonicalCopy(deep).value).toStrictEqual(JSON.parse(canonicalize(deep) as string));
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
