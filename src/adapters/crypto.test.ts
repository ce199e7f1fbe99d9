import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  NodeMacKeys,
  NodeSignatureVerifier,
  NodeSigner,
  generateMacKey,
  generateSigningKeyPair,
  nodeHasher,
} from './crypto.js';

describe('NodeMacKeys', () => {
  const k = new Uint8Array(32).fill(1);
  it('computes and verifies MACs per key id', () => {
    const keys = new NodeMacKeys({ old: k, cur: generateMacKey() }, 'cur');
    const mac = keys.mac('old', 'hello');
    expect(mac).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.verify('old', 'hello', mac)).toBe(true);
    expect(keys.verify('old', 'hellO', mac)).toBe(false);
    expect(keys.verify('cur', 'hello', mac)).toBe(false);
    expect(keys.verify('gone', 'hello', mac)).toBe(false);
    expect(keys.verify('old', 'hello', mac.toUpperCase())).toBe(false);
    expect(keys.verify('old', 'hello', 'ab')).toBe(false);
    expect(() => keys.mac('gone', 'x')).toThrow(/MAC key `gone` is not in the keyring/);
    expect(keys.has('old') && keys.has('cur') && !keys.has('gone')).toBe(true);
  });

  it('matches a known HMAC-SHA256 value', () => {
    // HMAC-SHA256(key = 0x0b × 32, "Hi There"), computed independently with Python's hmac module.
    const keys = new NodeMacKeys({ a: new Uint8Array(32).fill(0x0b) }, 'a');
    expect(keys.mac('a', 'Hi There')).toBe(
      '198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7',
    );
  });

  it('copies key material and refuses short keys and a missing current key', () => {
    const buf = new Uint8Array(32).fill(3);
    const keys = new NodeMacKeys({ a: buf }, 'a');
    const before = keys.mac('a', 'm');
    buf.fill(4);
    expect(keys.mac('a', 'm')).toBe(before);
    expect(() => new NodeMacKeys({ a: new Uint8Array(31) }, 'a')).toThrow(/`a` is 31 bytes/);
    expect(() => new NodeMacKeys({ a: buf }, 'b')).toThrow(/current key `b`/);
  });
});

describe('NodeSigner and NodeSignatureVerifier', () => {
  const p1 = generateSigningKeyPair();
  const p2 = generateSigningKeyPair();
  it('signs with Ed25519 and verifies with the public key alone, per key id', () => {
    const signer = new NodeSigner({ s1: p1.privateKeyPem, s2: p2.privateKeyPem }, 's2');
    const verifier = new NodeSignatureVerifier({ s1: p1.publicKeyPem, s2: p2.publicKeyPem });
    const sig = signer.sign('s1', 'message');
    expect(Buffer.from(sig, 'base64')).toHaveLength(64);
    expect(verifier.verify('s1', 'message', sig)).toBe(true);
    expect(verifier.verify('s2', 'message', sig)).toBe(false);
    expect(verifier.verify('s1', 'messagE', sig)).toBe(false);
    expect(verifier.verify('s9', 'message', sig)).toBe(false);
    expect(verifier.verify('s1', 'message', sig.replace(/=*$/, ''))).toBe(false); // non-canonical base64
    expect(verifier.verify('s1', 'message', 'AAAA')).toBe(false);
    expect(verifier.has('s1') && !verifier.has('s9')).toBe(true);
    expect(() => signer.sign('s9', 'm')).toThrow(/signing key `s9`/);
  });

  it('refuses keys that are not Ed25519 or of the wrong kind, naming only the id', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => new NodeSigner({ r: rsa.privateKey }, 'r')).toThrow(/`r` is not an Ed25519 private key/);
    expect(() => new NodeSignatureVerifier({ p: p1.privateKeyPem })).toThrow(
      /`p` is not an Ed25519 public key/,
    );
    expect(() => new NodeSigner({ p: p1.publicKeyPem }, 'p')).toThrow(/private key `p` cannot be read/);
    expect(() => new NodeSignatureVerifier({ x: 'not a pem' })).toThrow(/public key `x` cannot be read/);
    expect(() => new NodeSigner({ s1: p1.privateKeyPem }, 's2')).toThrow(/current key `s2`/);
  });
});

describe('nodeHasher', () => {
  it('computes SHA-256 of UTF-8', () => {
    expect(nodeHasher.sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(nodeHasher.sha256('€')).toBe('c4cc90ed3d26f12d4b08a75140970a7904035c31cbb4515a83f19b9003c00d1d');
  });
});
