import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeMacKeys, nodeHasher } from '../../adapters/crypto.js';
import { AgentOsError } from '../errors.js';
import { canonicalJson } from './canonical.js';
import { Chain, advanceHead, genesisHead, macMessage, nextHash } from './chain.js';
import { GENESIS, RECORD_TYPES, type JsonValue, type LedgerRecord } from './record.js';

// fast-check types JSON objects with optional members; its values are plain JSON all the same.
const jsonArb = fc.jsonValue() as fc.Arbitrary<JsonValue>;

const keys = new NodeMacKeys({ k1: new Uint8Array(32).fill(7) }, 'k1');
const time = '2026-01-01T00:00:00.000Z';

/** Text or the fact of a throw, to compare two ways of computing the same thing. */
function outcome(f: () => string): string | { threw: true } {
  try {
    return f();
  } catch {
    return { threw: true };
  }
}

describe('record canonical text', () => {
  // A "hasher" that hands back its input, so `nextHash` shows the exact text it hashed.
  const identity = { sha256: (m: string): string => m };
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
  );
  const anyRecord = fc.record({
    stream: text,
    seq: fc.oneof(fc.nat(), fc.maxSafeNat(), fc.integer(), fc.double()),
    time: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      text,
    ),
    type: fc.constantFrom(...RECORD_TYPES),
    body: fc.jsonValue({ stringUnit: 'binary' }) as fc.Arbitrary<JsonValue>,
    prev: text,
    keyId: text,
    mac: text,
  });

  it('is assembled exactly as canonicalising the whole record (with and without mac) would give it', () => {
    fc.assert(
      fc.property(anyRecord, (r) => {
        const { stream, seq, time, type, body, prev, keyId, mac } = r;
        const lib = (v: unknown): string => {
          const t = canonicalize(v);
          if (t === undefined) throw new Error('nothing');
          return t;
        };
        const content = { stream, seq, time, type, body, prev, keyId };
        expect(outcome(() => macMessage(r))).toEqual(outcome(() => prev + lib(content)));
        expect(outcome(() => nextHash(identity, 'H', r))).toEqual(
          outcome(() => 'H' + lib({ ...content, mac })),
        );
        const bodyText = outcome(() => canonicalJson(body));
        if (typeof bodyText === 'string') {
          expect(outcome(() => macMessage(r, bodyText))).toEqual(outcome(() => macMessage(r)));
          expect(outcome(() => nextHash(identity, 'H', r, bodyText))).toEqual(
            outcome(() => nextHash(identity, 'H', r)),
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('names the place in the record when a field cannot be canonicalised', () => {
    const r: LedgerRecord = {
      stream: 's',
      seq: Number.NaN,
      time,
      type: 'action.requested',
      body: {},
      prev: GENESIS,
      keyId: 'k1',
      mac: GENESIS,
    };
    expect(() => macMessage(r)).toThrow(/at `\$\.seq`: NaN/);
    expect(() => macMessage({ ...r, seq: 1, body: { n: Number.POSITIVE_INFINITY } })).toThrow(
      /at `\$\.body\.n`/,
    );
    expect(() => nextHash(nodeHasher, GENESIS, { ...r, seq: 1, stream: '\ud800' })).toThrow(/lone surrogate/);
  });
});

describe('Chain', () => {
  it('builds records with seq + 1, prev = last mac and mac = HMAC(prev ‖ canonical(content))', () => {
    const chain = new Chain(keys, nodeHasher, genesisHead('n1'));
    const r1 = chain.append('action.requested', { a: 1 }, time);
    const r2 = chain.append('action.decided', { b: [true] }, time);
    expect(r1).toMatchObject({ stream: 'n1', seq: 1, prev: GENESIS, keyId: 'k1', type: 'action.requested' });
    expect(r2).toMatchObject({ seq: 2, prev: r1.mac });
    const content = {
      stream: 'n1',
      seq: 1,
      time,
      type: 'action.requested',
      body: { a: 1 },
      prev: GENESIS,
      keyId: 'k1',
    };
    expect(macMessage(r1)).toBe(
      GENESIS +
        '{"body":{"a":1},"keyId":"k1","prev":"' +
        GENESIS +
        '","seq":1,"stream":"n1","time":"' +
        time +
        '","type":"action.requested"}',
    );
    expect(r1.mac).toBe(keys.mac('k1', macMessage({ ...content, type: 'action.requested' })));
    expect(chain.head).toEqual({
      stream: 'n1',
      seq: 2,
      mac: r2.mac,
      hash: nextHash(nodeHasher, nextHash(nodeHasher, GENESIS, r1), r2),
    });
  });

  it('resumed from any head, continues exactly as if it had never stopped', () => {
    fc.assert(
      fc.property(fc.array(jsonArb, { minLength: 1, maxLength: 12 }), fc.nat(), (bodies, cut) => {
        const whole = new Chain(keys, nodeHasher, genesisHead('s'));
        const all = bodies.map((b) => whole.append('signal.stop', b, time));
        const k = cut % bodies.length;
        const first = new Chain(keys, nodeHasher, genesisHead('s'));
        bodies.slice(0, k).forEach((b) => first.append('signal.stop', b, time));
        const resumed = new Chain(keys, nodeHasher, first.head);
        const rest = bodies.slice(k).map((b) => resumed.append('signal.stop', b, time));
        expect(rest).toEqual(all.slice(k));
        expect(advanceHead(nodeHasher, genesisHead('s'), all)).toEqual(whole.head);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a body that is not canonical JSON and does not advance', () => {
    const chain = new Chain(keys, nodeHasher, genesisHead('s'));
    const before = chain.head;
    expect(() => chain.append('action.requested', { n: Number.NaN }, time)).toThrow(
      /not canonical JSON at `\$\.n`/,
    );
    expect(chain.head).toBe(before);
  });

  it('keeps its own copy of the body', () => {
    const chain = new Chain(keys, nodeHasher, genesisHead('s'));
    const body = { list: [1, 2] };
    const r = chain.append('action.requested', body, time);
    body.list.push(3);
    expect(r.body).toEqual({ list: [1, 2] });
    expect(keys.verify('k1', macMessage(r), r.mac)).toBe(true);
  });

  it('refuses a malformed head and records that do not continue it', () => {
    for (const head of [
      { stream: '', seq: 0, mac: GENESIS, hash: GENESIS },
      { stream: 's', seq: -1, mac: GENESIS, hash: GENESIS },
      { stream: 's', seq: 0, mac: 'a'.repeat(64), hash: GENESIS },
      { stream: 's', seq: 3, mac: 'xyz', hash: GENESIS },
    ]) {
      expect(() => new Chain(keys, nodeHasher, head)).toThrow(AgentOsError);
    }
    const chain = new Chain(keys, nodeHasher, genesisHead('s'));
    const r1 = chain.append('action.requested', {}, time);
    const r2 = chain.append('action.requested', {}, time);
    expect(() => advanceHead(nodeHasher, genesisHead('s'), [r2])).toThrow(/`s\/2` does not continue `s\/0`/);
    const wrongPrev: LedgerRecord = { ...r2, prev: GENESIS };
    expect(() => advanceHead(nodeHasher, genesisHead('s'), [r1, wrongPrev])).toThrow(/AOS|does not continue/);
  });

  it('refuses to MAC with a key the keyring lacks', () => {
    const lying = {
      ...keys,
      currentId: 'gone',
      mac: keys.mac.bind(keys),
      verify: keys.verify.bind(keys),
      has: (id: string) => keys.has(id),
    };
    const chain = new Chain(lying, nodeHasher, genesisHead('s'));
    expect(() => chain.append('action.requested', {}, time)).toThrow(/MAC key `gone` is not in the keyring/);
  });
});
