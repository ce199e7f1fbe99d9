import { describe, expect, it } from 'vitest';
import { NodeMacKeys, NodeSigner, generateSigningKeyPair, nodeHasher } from '../../adapters/crypto.js';
import { Chain, genesisHead } from './chain.js';
import { appendCheckpoint, checkpointDue, checkpointPayload, parseCheckpointBody } from './checkpoint.js';

const keys = new NodeMacKeys({ k1: new Uint8Array(32).fill(7) }, 'k1');
const signer = new NodeSigner({ s1: generateSigningKeyPair().privateKeyPem }, 's1');
const time = '2026-01-01T00:00:00.000Z';

describe('checkpointDue', () => {
  const policy = { everyRecords: 100, everyMs: 5_000 };
  it('is due after N records or T ms, whichever comes first, and never with nothing to cover', () => {
    expect(checkpointDue(policy, 99, 4_999)).toBe(false);
    expect(checkpointDue(policy, 100, 0)).toBe(true);
    expect(checkpointDue(policy, 1, 5_000)).toBe(true);
    expect(checkpointDue(policy, 0, 1_000_000)).toBe(false);
  });
});

describe('appendCheckpoint', () => {
  it('records a checkpoint covering exactly the records before it', () => {
    const chain = new Chain(keys, nodeHasher, genesisHead('s'));
    chain.append('action.requested', { a: 1 }, time);
    const before = chain.head;
    const cp = appendCheckpoint(chain, signer, time);
    expect(cp).toMatchObject({ type: 'checkpoint', seq: 2, prev: before.mac });
    const body = parseCheckpointBody(cp.body);
    expect(body).toMatchObject({ seq: 1, mac: before.mac, hash: before.hash, keyId: 's1' });
    expect(body?.signature).toBe(
      signer.sign(
        's1',
        checkpointPayload({ stream: 's', seq: 1, mac: before.mac, hash: before.hash, keyId: 's1', time }),
      ),
    );
    expect(chain.head.seq).toBe(2);
  });

  it('refuses to checkpoint an empty stream', () => {
    const chain = new Chain(keys, nodeHasher, genesisHead('s'));
    expect(() => appendCheckpoint(chain, signer, time)).toThrow(/nothing to checkpoint/);
  });

  it('signs a payload separated from anything else the key signs', () => {
    expect(checkpointPayload({ stream: 's', seq: 1, mac: 'm', hash: 'h', keyId: 'k', time: 't' })).toBe(
      '{"hash":"h","keyId":"k","mac":"m","purpose":"agentos.ledger.checkpoint.v1","seq":1,"stream":"s","time":"t"}',
    );
  });
});

describe('parseCheckpointBody', () => {
  const good = { seq: 1, mac: 'a'.repeat(64), hash: 'b'.repeat(64), keyId: 's1', signature: 'AAAA' };
  it('accepts exactly the checkpoint shape', () => {
    expect(parseCheckpointBody(good)).toEqual(good);
    for (const bad of [
      null,
      [],
      'x',
      { ...good, extra: 1 },
      { ...good, seq: 0 },
      { ...good, mac: 'A'.repeat(64) },
      { ...good, hash: 'b' },
      { ...good, keyId: '' },
      { ...good, signature: 'not base64!' },
    ]) {
      expect(parseCheckpointBody(bad)).toBeUndefined();
    }
  });
});
