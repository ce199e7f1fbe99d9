/**
 * The composition root: the one place that constructs adapters and hands them to the governor.
 */
import { isAbsolute, join } from 'node:path';
import { ensureDir, readConfig, writeDefaultConfig, type InitStep } from './adapters/config-fs.js';
import { nodeHasher } from './adapters/crypto.js';
import { FsSourceReader } from './adapters/fs-source.js';
import { UlidSource } from './adapters/ids.js';
import { addKeys, hasKeys, loadKeyring, loadPublicKeyFiles, type Keyring } from './adapters/keys-fs.js';
import { openPostgresStore } from './adapters/store-postgres/store.js';
import { openSqliteStore } from './adapters/store-sqlite/store.js';
import type { Config } from './governor/config.js';
import type { PolicyPorts } from './governor/ports.js';
import type { Store } from './governor/store.js';
import type { Hasher, SignatureVerifier } from './kernel/ports.js';

export type { InitStep } from './adapters/config-fs.js';
export { nodeHasher } from './adapters/crypto.js';

/** Ports for the offline policy commands (lint, eval, explain, test). */
export function offlinePorts(): PolicyPorts {
  return { reader: new FsSourceReader(), ids: new UlidSource() };
}

/** A path of the configuration, resolved against the data directory. */
const within = (dataDir: string, path: string): string => (isAbsolute(path) ? path : join(dataDir, path));

/** Opens the configured store; read-only for SQLite when asked (PostgreSQL has no read-only connection mode). */
function openStore(dataDir: string, config: Config, readonly: boolean): Store {
  const s = config.storage;
  return s.kind === 'sqlite'
    ? openSqliteStore({ file: within(dataDir, s.file), readonly })
    : openPostgresStore({ connectionString: s.url, schema: s.schema });
}

/** What `agentos init` did, step by step. */
export interface InitReport {
  readonly steps: readonly (InitStep & { readonly note?: string })[];
}

/**
 * Creates (or completes) a data directory: config, policy directory, migrated database and keys. Never
 * overwrites a config or key; an existing config is validated first, so a broken one changes nothing.
 */
export async function initDataDir(dataDir: string): Promise<InitReport> {
  const steps: (InitStep & { note?: string })[] = [
    await ensureDir(dataDir),
    await writeDefaultConfig(dataDir),
  ];
  const config = await readConfig(dataDir);
  steps.push(await ensureDir(within(dataDir, config.policies)));
  const store = openStore(dataDir, config, false);
  try {
    const m = await store.migrate();
    const where = config.storage.kind === 'sqlite' ? within(dataDir, config.storage.file) : 'postgres';
    steps.push({ path: where, created: m.from === 0, note: `schema v${m.to}` });
  } finally {
    await store.close();
  }
  const keysDir = within(dataDir, config.keys);
  if (await hasKeys(keysDir)) {
    const k = await loadKeyring(keysDir);
    steps.push({ path: keysDir, created: false, note: `current key id ${k.current.mac}` });
  } else {
    const { id, files } = await addKeys(keysDir);
    steps.push(...files.map((path) => ({ path, created: true, note: `key id ${id}` })));
  }
  return { steps };
}

/** Adds a new HMAC key and Ed25519 key pair and makes them current; old keys stay. */
export async function rotateKeys(
  dataDir: string,
): Promise<{ previous: string; id: string; files: readonly string[] }> {
  const keysDir = within(dataDir, (await readConfig(dataDir)).keys);
  const previous = (await loadKeyring(keysDir)).current.mac; // refuses a directory without keys
  const { id, files } = await addKeys(keysDir);
  return { previous, id, files };
}

/** A node's ledger with everything needed to verify it (the full auditor). */
export interface NodeLedger {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly hasher: Hasher;
}

/** Opens a data directory's store (read-only where possible) and keys. The caller closes the store. */
export async function openNodeLedger(dataDir: string, options: { readonly: boolean }): Promise<NodeLedger> {
  const config = await readConfig(dataDir);
  const keyring = await loadKeyring(within(dataDir, config.keys));
  return { store: openStore(dataDir, config, options.readonly), keyring, hasher: nodeHasher };
}

/** A data directory's keys alone (to verify an export as the full auditor). */
export async function loadNodeKeys(dataDir: string): Promise<Keyring> {
  return loadKeyring(within(dataDir, (await readConfig(dataDir)).keys));
}

/** The outside auditor's tools: public key files (`<file>` or `<id>=<file>`) and SHA-256. */
export async function publicAuditor(
  pubkeys: readonly string[],
): Promise<{ publicKeys: SignatureVerifier; hasher: Hasher }> {
  return { publicKeys: await loadPublicKeyFiles(pubkeys), hasher: nodeHasher };
}
