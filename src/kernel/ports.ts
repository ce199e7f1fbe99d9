/**
 * Ports: what the pure kernel needs from the outside world, handed in by the composition root.
 */

/** Produces unique, sortable identifiers with a prefix (`dec_01J…`). */
export interface IdSource {
  next(prefix: string): string;
}

/** Tells the time in milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

/**
 * HMAC-SHA256 under named keys, enough to check a MAC (the ledger verifier's view of the secret keys).
 * Messages are UTF-8 strings; MACs are lowercase hex.
 */
export interface MacKeyring {
  /** The MAC of `message` under key `keyId`; throws `AOS_LEDGER_KEY_UNKNOWN` when the key is absent. */
  mac(keyId: string, message: string): string;
  /** True when `mac` is the MAC of `message` under `keyId` (compared in constant time); false for an unknown key. */
  verify(keyId: string, message: string, mac: string): boolean;
  /** True when the keyring holds `keyId`. */
  has(keyId: string): boolean;
}

/** HMAC-SHA256 under named keys, with the key new MACs are made with (the ledger writer's view). */
export interface MacKeys extends MacKeyring {
  /** The id of the key new records are MACed with; old ids stay in the ring so old records still verify. */
  readonly currentId: string;
}

/** Ed25519 signing under named keys. Signatures are base64. */
export interface Signer {
  /** The signature of `message` (UTF-8) under private key `keyId`. */
  sign(keyId: string, message: string): string;
  /** The id of the key new signatures are made with. */
  readonly currentId: string;
}

/** Ed25519 verification under named public keys; all an outside auditor holds. */
export interface SignatureVerifier {
  /** True when `signature` (base64) is a valid signature of `message` under public key `keyId`. */
  verify(keyId: string, message: string, signature: string): boolean;
  /** True when the verifier holds public key `keyId`. */
  has(keyId: string): boolean;
}

/** SHA-256 of UTF-8 strings. */
export interface Hasher {
  /** The SHA-256 of `message` (UTF-8), lowercase hex. */
  sha256(message: string): string;
}
