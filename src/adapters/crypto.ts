/**
 * The ledger's cryptography on node:crypto: HMAC-SHA256 keyrings, Ed25519 signing and verification, SHA-256.
 * Built from key material in memory; reading key files is the caller's job (`agentos init` will write them).
 */
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import { AgentOsError } from '../kernel/errors.js';
import type { SecretSource } from '../governor/auth.js';
import type { Hasher, MacKeys, SignatureVerifier, Signer } from '../kernel/ports.js';

/** The least HMAC key length accepted: the hash's output size (RFC 2104 §3). */
export const MIN_MAC_KEY_BYTES = 32;

function keyInvalid(message: string, cause?: unknown): AgentOsError {
  return new AgentOsError('AOS_CRYPTO_KEY_INVALID', message, { cause });
}

function keyUnknown(kind: string, keyId: string): AgentOsError {
  return new AgentOsError('AOS_LEDGER_KEY_UNKNOWN', `${kind} key \`${keyId}\` is not in the keyring`);
}

function checkCurrent(ids: ReadonlyMap<string, unknown>, currentId: string): void {
  if (!ids.has(currentId)) throw keyInvalid(`current key \`${currentId}\` is not in the keyring`);
}

/** HMAC-SHA256 keyring. Keys are raw bytes of at least `MIN_MAC_KEY_BYTES`. */
export class NodeMacKeys implements MacKeys {
  private readonly keys = new Map<string, Uint8Array>();

  /** A keyring of `keys` (id → secret bytes) that MACs new records with `currentId`. */
  constructor(
    keys: Readonly<Record<string, Uint8Array>>,
    readonly currentId: string,
  ) {
    for (const [id, key] of Object.entries(keys)) {
      if (key.length < MIN_MAC_KEY_BYTES) {
        throw keyInvalid(`MAC key \`${id}\` is ${key.length} bytes, fewer than ${MIN_MAC_KEY_BYTES}`);
      }
      this.keys.set(id, Uint8Array.from(key)); // a copy: later changes to the caller's buffer do not leak in
    }
    checkCurrent(this.keys, currentId);
  }

  mac(keyId: string, message: string): string {
    const key = this.keys.get(keyId);
    if (!key) throw keyUnknown('MAC', keyId);
    return createHmac('sha256', key).update(message, 'utf8').digest('hex');
  }

  verify(keyId: string, message: string, mac: string): boolean {
    const key = this.keys.get(keyId);
    if (!key || !/^[0-9a-f]{64}$/.test(mac)) return false;
    const expected = createHmac('sha256', key).update(message, 'utf8').digest();
    return timingSafeEqual(expected, Buffer.from(mac, 'hex'));
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }
}

function asKey(material: string | KeyObject, kind: 'private' | 'public', id: string): KeyObject {
  // createPublicKey happily derives a public key from a private PEM; an auditor handed a private key is a
  // configuration mistake that would spread the secret, so it is refused instead.
  if (kind === 'public' && typeof material === 'string' && material.includes('PRIVATE KEY')) {
    throw keyInvalid(`key \`${id}\` is not an Ed25519 public key`);
  }
  let key: KeyObject;
  try {
    key =
      typeof material === 'string'
        ? kind === 'private'
          ? createPrivateKey(material)
          : createPublicKey(material)
        : material;
  } catch (e) {
    throw keyInvalid(`${kind} key \`${id}\` cannot be read: ${(e as Error).message.toLowerCase()}`, e);
  }
  if (key.type !== kind || key.asymmetricKeyType !== 'ed25519') {
    throw keyInvalid(`key \`${id}\` is not an Ed25519 ${kind} key`);
  }
  return key;
}

/** Ed25519 signer over private keys (PEM PKCS#8 or KeyObjects), signing with `currentId`. */
export class NodeSigner implements Signer {
  private readonly keys = new Map<string, KeyObject>();

  constructor(
    privateKeys: Readonly<Record<string, string | KeyObject>>,
    readonly currentId: string,
  ) {
    for (const [id, material] of Object.entries(privateKeys))
      this.keys.set(id, asKey(material, 'private', id));
    checkCurrent(this.keys, currentId);
  }

  sign(keyId: string, message: string): string {
    const key = this.keys.get(keyId);
    if (!key) throw keyUnknown('signing', keyId);
    return sign(null, Buffer.from(message, 'utf8'), key).toString('base64');
  }
}

/** Ed25519 verifier over public keys (PEM SPKI or KeyObjects); all an outside auditor needs. */
export class NodeSignatureVerifier implements SignatureVerifier {
  private readonly keys = new Map<string, KeyObject>();

  constructor(publicKeys: Readonly<Record<string, string | KeyObject>>) {
    for (const [id, material] of Object.entries(publicKeys)) this.keys.set(id, asKey(material, 'public', id));
  }

  verify(keyId: string, message: string, signature: string): boolean {
    const key = this.keys.get(keyId);
    if (!key) return false;
    const sig = Buffer.from(signature, 'base64');
    // INVARIANT: only the canonical base64 of a 64-byte signature is accepted, so one signature has one text.
    if (sig.length !== 64 || sig.toString('base64') !== signature) return false;
    return verify(null, Buffer.from(message, 'utf8'), key, sig);
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }
}

/** SHA-256 on node:crypto. */
export const nodeHasher: Hasher = {
  sha256: (message) => createHash('sha256').update(message, 'utf8').digest('hex'),
};

/** A fresh random HMAC key of `MIN_MAC_KEY_BYTES` bytes. */
export function generateMacKey(): Uint8Array {
  return new Uint8Array(randomBytes(MIN_MAC_KEY_BYTES));
}

/** A fresh Ed25519 key pair as PEM (PKCS#8 private, SPKI public). */
export function generateSigningKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Bearer secrets: the prefix, then 32 bytes from the operating system's CSPRNG as base64url (43 chars). */
export const nodeSecrets: SecretSource = {
  secret: (prefix) => prefix + randomBytes(32).toString('base64url'),
};
