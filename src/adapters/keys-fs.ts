/**
 * The ledger's keys on disk, in one directory:
 *
 *   hmac-<id>.key        HMAC-SHA256 secret, 32 random bytes as hex (mode 0600)
 *   ed25519-<id>.key     Ed25519 private key, PEM PKCS#8 (mode 0600)
 *   ed25519-<id>.pub     Ed25519 public key, PEM SPKI (mode 0644)
 *   current.json         `{ "mac": "<id>", "signing": "<id>" }`: the ids new records use
 *
 * Key files are created exclusively and never overwritten; rotation adds files and rewrites only
 * `current.json` (atomically, by rename). Old keys stay, so old records keep verifying.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AgentOsError } from '../kernel/errors.js';
import { fsReason } from './config-fs.js';
import {
  generateMacKey,
  generateSigningKeyPair,
  NodeMacKeys,
  NodeSignatureVerifier,
  NodeSigner,
} from './crypto.js';

/** The ids of the keys new records are made with. */
export interface CurrentKeys {
  readonly mac: string;
  readonly signing: string;
}

/** Every key in a key directory, as crypto adapters. */
export interface Keyring {
  readonly current: CurrentKeys;
  readonly macKeys: NodeMacKeys;
  readonly signer: NodeSigner;
  readonly publicKeys: NodeSignatureVerifier;
  /** Every key id found, per kind, sorted. */
  readonly ids: { readonly mac: readonly string[]; readonly signing: readonly string[] };
}

const CURRENT = 'current.json';
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function ioError(what: string, path: string, e: unknown): AgentOsError {
  return new AgentOsError('AOS_IO', `cannot ${what} \`${path}\`: ${fsReason(e)}`, { cause: e });
}

/** A fresh key id: the UTC date and 8 random hex digits (`20261122-3fa9c1d2`), sortable by creation day. */
export function newKeyId(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
}

/** True when the directory already holds a `current.json`. */
export async function hasKeys(dir: string): Promise<boolean> {
  try {
    await stat(join(dir, CURRENT));
    return true;
  } catch {
    return false;
  }
}

async function writeNew(path: string, content: string, mode: number): Promise<void> {
  try {
    await writeFile(path, content, { mode, flag: 'wx' });
    await chmod(path, mode); // the umask may have narrowed it further; make it exactly `mode`
  } catch (e) {
    throw ioError('create', path, e);
  }
}

/**
 * Generates a new HMAC key and Ed25519 key pair under one fresh id, writes them (never overwriting) and
 * makes them current. Returns the new id and the files written.
 */
export async function addKeys(dir: string): Promise<{ id: string; files: string[] }> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw ioError('create', dir, e);
  }
  const id = newKeyId();
  const mac = join(dir, `hmac-${id}.key`);
  const priv = join(dir, `ed25519-${id}.key`);
  const pub = join(dir, `ed25519-${id}.pub`);
  const pair = generateSigningKeyPair();
  await writeNew(mac, Buffer.from(generateMacKey()).toString('hex') + '\n', 0o600);
  await writeNew(priv, pair.privateKeyPem, 0o600);
  await writeNew(pub, pair.publicKeyPem, 0o644);
  const current = join(dir, CURRENT);
  const tmp = `${current}.${process.pid}.tmp`;
  const body: CurrentKeys = { mac: id, signing: id };
  await writeNew(tmp, JSON.stringify(body, null, 2) + '\n', 0o644);
  try {
    await rename(tmp, current);
  } catch (e) {
    throw ioError('write', current, e);
  }
  return { id, files: [mac, priv, pub, current] };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw ioError('read', path, e);
  }
}

function keyInvalid(message: string): AgentOsError {
  return new AgentOsError('AOS_CRYPTO_KEY_INVALID', message);
}

/** Reads every key in `dir` and the current ids; `AOS_IO` when the directory or a file is unreadable. */
export async function loadKeyring(dir: string): Promise<Keyring> {
  const currentPath = join(dir, CURRENT);
  let current: CurrentKeys;
  try {
    current = JSON.parse(await readText(currentPath)) as CurrentKeys;
  } catch (e) {
    if (e instanceof AgentOsError) throw e;
    throw keyInvalid(`\`${currentPath}\` is not JSON`);
  }
  if (typeof current.mac !== 'string' || typeof current.signing !== 'string') {
    throw keyInvalid(`\`${currentPath}\` must name \`mac\` and \`signing\` key ids`);
  }
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    throw ioError('read', dir, e);
  }
  const macs: Record<string, Uint8Array> = {};
  const privates: Record<string, string> = {};
  const publics: Record<string, string> = {};
  for (const name of names) {
    const m = /^(hmac|ed25519)-(.+)\.(key|pub)$/.exec(name);
    if (!m || !KEY_ID.test(m[2] ?? '')) continue;
    const [, kind, id = '', ext] = m;
    const text = await readText(join(dir, name));
    if (kind === 'hmac' && ext === 'key') {
      const hex = text.trim();
      if (!/^([0-9a-f]{2})+$/.test(hex)) throw keyInvalid(`HMAC key file \`${name}\` is not hex`);
      macs[id] = new Uint8Array(Buffer.from(hex, 'hex'));
    } else if (kind === 'ed25519' && ext === 'key') privates[id] = text;
    else if (kind === 'ed25519' && ext === 'pub') publics[id] = text;
  }
  return {
    current,
    macKeys: new NodeMacKeys(macs, current.mac),
    signer: new NodeSigner(privates, current.signing),
    publicKeys: new NodeSignatureVerifier(publics),
    ids: { mac: Object.keys(macs).sort(), signing: Object.keys(publics).sort() },
  };
}

/**
 * Reads public key files for an outside auditor. Each is `<file>` or `<id>=<file>`; without an id it comes
 * from the file name (`ed25519-<id>.pub` → `<id>`, else the name without its extension).
 */
export async function loadPublicKeyFiles(specs: readonly string[]): Promise<NodeSignatureVerifier> {
  const keys: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const file = eq > 0 ? spec.slice(eq + 1) : spec;
    const id =
      eq > 0
        ? spec.slice(0, eq)
        : basename(file)
            .replace(/\.[^.]*$/, '')
            .replace(/^ed25519-/, '');
    keys[id] = await readText(file);
  }
  return new NodeSignatureVerifier(keys);
}
