import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeMacKeys, NodeSignatureVerifier, nodeHasher } from '../../adapters/crypto.js';
import { Chain, genesisHead } from './chain.js';
import { appendCheckpoint, checkpointPayload } from './checkpoint.js';
import { type JsonValue, type LedgerRecord } from './record.js';
import { verifyLedger, verifyLedgerAsync } from './verify.js';
import {
  K2,
  S2,
  newMac,
  newSigner,
  oldMac,
  oldSigner,
  publicKeys,
  macOnly,
  pubOnly,
  full,
  planArb,
  build,
  timeAt,
  headsOf,
  failure,
  tamperings,
  firstDiff,
  brief,
  type Tamper,
} from '../../../test/support/ledger-attacks.js';

describe('verifyLedger against tampering', () => {
  it('accepts every untampered ledger, under every auditor', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const records = build(plan);
        for (const options of [macOnly, pubOnly, full, { ...full, expectedHeads: headsOf(records) }]) {
          const r = verifyLedger(records, options);
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.records).toBe(records.length);
        }
      }),
      { numRuns: 200 },
    );
  });

  const kinds = Object.keys(tamperings);
  it.each(kinds)('%s: detected and located by every auditor that can see it', (kind) => {
    const tamper = tamperings[kind] as Tamper;
    let attacks = 0;
    fc.assert(
      fc.property(planArb, fc.nat(), fc.nat(), (plan, a, b) => {
        const orig = build(plan);
        const attack = tamper(orig, a, b);
        if (!attack) return;
        attacks++;
        const { records } = attack;
        expect(JSON.stringify(records)).not.toBe(JSON.stringify(orig));
        if (attack.mac) {
          expect(brief(verifyLedger(records, macOnly))).toEqual(attack.mac);
          expect(brief(verifyLedger(records, full))).toEqual(attack.full ?? attack.mac);
        } else if (attack.full) {
          expect(brief(verifyLedger(records, full))).toEqual(attack.full);
        }
        if (attack.anchored) {
          const anchored = verifyLedger(records, { ...macOnly, expectedHeads: headsOf(orig) });
          expect(brief(anchored)).toEqual(attack.anchored);
        }
        if (attack.pubMustDetect) {
          const r = verifyLedger(records, pubOnly);
          expect(r.ok).toBe(false);
          if (!r.ok) {
            expect(r.index).toBeGreaterThanOrEqual(firstDiff(orig, records));
            if (attack.upTo !== undefined) expect(r.index).toBeLessThanOrEqual(attack.upTo);
          }
        }
      }),
      { numRuns: 600 },
    );
    expect(attacks).toBeGreaterThan(100); // the generator really attacks
  });
});

/** A small fixed ledger: stream `a` rotates keys after its first checkpoint; `b` interleaves. */
function fixed(): LedgerRecord[] {
  const a = new Chain(oldMac, nodeHasher, genesisHead('a'));
  const b = new Chain(newMac, nodeHasher, genesisHead('b'));
  const out: LedgerRecord[] = [];
  out.push(a.append('action.requested', { n: 1 }, timeAt(1)));
  out.push(b.append('action.requested', { n: 1 }, timeAt(2)));
  out.push(a.append('action.decided', { n: 2 }, timeAt(3)));
  out.push(appendCheckpoint(a, oldSigner, timeAt(4)));
  const a2 = new Chain(newMac, nodeHasher, a.head); // rotated MAC key
  out.push(a2.append('key.rotated', { from: 'k1', to: 'k2' }, timeAt(5)));
  out.push(appendCheckpoint(a2, newSigner, timeAt(6)));
  out.push(b.append('action.completed', { n: 2 }, timeAt(7)));
  out.push(a2.append('action.completed', { n: 3 }, timeAt(8)));
  return out;
}

describe('verifyLedger', () => {
  it('verifies records under an old key while the old key is held', async () => {
    const records = fixed();
    expect(verifyLedger(records, full)).toMatchObject({
      ok: true,
      records: 8,
      checkpoints: 2,
      uncovered: 4, // a/5 (the last checkpoint) and a/6, and b/1…b/2
      checked: { macs: true, signatures: true },
      streams: { a: { lastSeq: 6, coveredSeq: 4, checkpoints: 2 }, b: { lastSeq: 2, coveredSeq: 0 } },
    });
    expect((await verifyLedgerAsync(records, full)).ok).toBe(true);
  });

  it('names a record under a MAC key the auditor lacks as unknown-key', () => {
    const onlyNew = new NodeMacKeys({ k2: K2 }, 'k2');
    expect(brief(verifyLedger(fixed(), { hasher: nodeHasher, macKeys: onlyNew }))).toEqual(
      failure(0, 'a/1', 'unknown-key'),
    );
  });

  it('names a checkpoint under a signing key the auditor lacks as unknown-key', () => {
    const onlyNew = new NodeSignatureVerifier({ s2: S2.publicKeyPem });
    expect(brief(verifyLedger(fixed(), { hasher: nodeHasher, publicKeys: onlyNew }))).toEqual(
      failure(3, 'a/3', 'unknown-key'),
    );
  });

  it('cannot see, without the MAC key, an edit after the last checkpoint, but counts it as uncovered', () => {
    const records = fixed();
    records[7] = { ...(records[7] as LedgerRecord), body: { n: 999 } };
    expect(verifyLedger(records, pubOnly)).toMatchObject({ ok: true, uncovered: 4 });
    expect(brief(verifyLedger(records, macOnly))).toEqual(failure(7, 'a/6', 'changed'));
  });

  it('names the range a forged chain covers', () => {
    const records = fixed();
    records[2] = { ...(records[2] as LedgerRecord), body: { n: 20 } };
    const r = verifyLedger(records, pubOnly);
    expect(r).toMatchObject({ ok: false, at: 'a/3', index: 3, problem: 'forged-chain' });
    if (!r.ok)
      expect(r.message).toBe(
        'records `a/1`…`a/2` do not match what checkpoint `a/3` signed: they were rewritten',
      );
  });

  it('tells a deletion from a reordering by reading on', () => {
    const records = fixed();
    const deleted = records.filter((_, i) => i !== 2);
    expect(verifyLedger(deleted, macOnly)).toMatchObject({ problem: 'missing', at: 'a/3', index: 2 });
    const moved = [...deleted, records[2] as LedgerRecord];
    const r = verifyLedger(moved, macOnly);
    expect(r).toMatchObject({ problem: 'reordered', at: 'a/3', index: 2 });
    if (!r.ok) expect(r.message).toBe('`a/3` follows `a/1`: `a/2` comes later: records were reordered');
  });

  it('checks the prev link even where the MAC is valid or cannot be checked', () => {
    const records = fixed();
    const last = records[7] as LedgerRecord;
    // An insider's record with a valid MAC that links to a head that never existed.
    const spliced = new Chain(newMac, nodeHasher, {
      stream: 'a',
      seq: 5,
      mac: 'f'.repeat(64),
      hash: 'f'.repeat(64),
    });
    records[7] = spliced.append('action.completed', { n: 3 }, last.time);
    expect(brief(verifyLedger(records, full))).toEqual(failure(7, 'a/6', 'broken-link'));
    // Without the MAC key, a changed prev after the last checkpoint is still seen.
    const edited = fixed();
    edited[7] = { ...last, prev: 'e'.repeat(64) };
    expect(brief(verifyLedger(edited, pubOnly))).toEqual(failure(7, 'a/6', 'broken-link'));
  });

  it('refuses malformed records, naming them', () => {
    const good = fixed()[0] as LedgerRecord;
    const cases: unknown[] = [
      null,
      [],
      { ...good, extra: 1 },
      { ...good, seq: 0 },
      { ...good, seq: 1.5 },
      { ...good, stream: '' },
      { ...good, type: 'action.unknown' },
      { ...good, mac: 'xyz' },
      { ...good, prev: good.prev.toUpperCase().replace(/0/g, 'A') },
      { ...good, keyId: '' },
      { ...good, time: 5 },
      { ...good, body: { n: Number.NaN } },
    ];
    for (const bad of cases) {
      const r = verifyLedger([bad], full);
      expect(r).toMatchObject({ ok: false, problem: 'malformed', index: 0 });
    }
  });

  it('refuses a checkpoint record whose body is not a checkpoint, even with a valid MAC', () => {
    const c = new Chain(newMac, nodeHasher, genesisHead('a'));
    const records = [
      c.append('action.requested', {}, timeAt(1)),
      c.append('checkpoint', { seq: 1 }, timeAt(2)),
    ];
    expect(brief(verifyLedger(records, full))).toEqual(failure(1, 'a/2', 'bad-checkpoint'));
  });

  it('binds a checkpoint signature to its stream and time', () => {
    const records = fixed();
    const cp = records[3] as LedgerRecord;
    const body = cp.body as Record<string, JsonValue>;
    const claim = { stream: 'a', seq: 2, mac: body.mac as string, hash: body.hash as string, keyId: 's1' };
    expect(
      publicKeys.verify('s1', checkpointPayload({ ...claim, time: cp.time }), body.signature as string),
    ).toBe(true);
    expect(
      publicKeys.verify('s1', checkpointPayload({ ...claim, time: timeAt(5) }), body.signature as string),
    ).toBe(false);
    expect(
      publicKeys.verify(
        's1',
        checkpointPayload({ ...claim, stream: 'b', time: cp.time }),
        body.signature as string,
      ),
    ).toBe(false);
  });

  it('reports a stream missing entirely as truncated when it is expected', () => {
    const records = fixed().filter((r) => r.stream === 'a');
    expect(brief(verifyLedger(records, { ...full, expectedHeads: { a: 6, b: 2 } }))).toEqual(
      failure(6, 'b/1', 'truncated'),
    );
  });
});
