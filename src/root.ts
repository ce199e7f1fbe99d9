/**
 * The composition root: the one place that constructs adapters and hands them to the governor.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { ensureDir, readConfig, writeDefaultConfig, type InitStep } from './adapters/config-fs.js';
import { nodeHasher, nodeSecrets } from './adapters/crypto.js';
import { FsSourceReader } from './adapters/fs-source.js';
import { UlidSource } from './adapters/ids.js';
import { addKeys, hasKeys, loadKeyring, loadPublicKeyFiles, type Keyring } from './adapters/keys-fs.js';
import { openPostgresStore } from './adapters/store-postgres/store.js';
import { openSqliteStore } from './adapters/store-sqlite/store.js';
import type { Config } from './governor/config.js';
import type { PolicyPorts } from './governor/ports.js';
import type { Store } from './governor/store.js';
import type { Hasher, SignatureVerifier } from './kernel/ports.js';
import { systemClock } from './adapters/clock.js';
import { ActionPipeline } from './governor/action-pipeline.js';
import {
  applyGovernance,
  type Governance,
  type GovernanceDeps,
  type GovernanceSources,
} from './governor/governance.js';
import { LedgerWriter } from './governor/ledger-writer.js';
import { readPolicySources } from './governor/policy-workspace.js';
import type { KeyRotatedBody } from './kernel/ledger/bodies.js';
import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import { ActionService } from './governor/action-service.js';
import {
  authenticate,
  createCredential,
  createToken,
  type AuthDeps,
  type Principal,
} from './governor/auth.js';
import { orgFromContent } from './governor/governance.js';
import { LiveGovernance, type Allow } from './governor/live-governance.js';
import { SignalService } from './governor/signal-service.js';
import { ExecutorTable } from './governor/executors.js';
import { httpExecutor } from './adapters/executor-http.js';
import { httpWebhook } from './adapters/webhook-http.js';
import { fileCursors } from './adapters/webhook-cursors-fs.js';
import { WebhookDispatcher } from './governor/webhooks.js';
import { ReadService } from './governor/read-service.js';
import { withSecretCache } from './governor/secret-cache.js';
import { fileURLToPath } from 'node:url';
import type { DaemonStore, PersonRole, StandingSignal } from './governor/store.js';
import { parseOrg } from './kernel/org/load.js';
import type { Org } from './kernel/org/model.js';
import { buildApi } from './shells/http/server.js';
import type { JsonValue } from './kernel/ledger/record.js';
import { parseDuration } from './kernel/policy/duration.js';
import { EgressProxy } from './shells/egress/proxy.js';
import { TokenLedger } from './shells/llm/budget.js';
import { registerLlmRoutes } from './shells/llm/gateway.js';
import { registerMcpRoutes } from './shells/mcp/gateway.js';
import { probeEnforcement, RunService, type Enforcement } from './shells/run/service.js';
import { egressTcpServer } from './shells/egress/proxy-server.js';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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
    const where =
      config.storage.kind === 'sqlite'
        ? within(dataDir, config.storage.file)
        : `postgres schema \`${config.storage.schema}\``;
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

/**
 * Adds a new HMAC key and Ed25519 key pair, makes them current (old keys stay) and records `key.rotated`
 * under the new keys. When the record cannot be appended the keys are in place but the rotation is
 * unrecorded: the error says so, and the next rotation or start records under the new keys anyway.
 */
export async function rotateKeys(
  dataDir: string,
): Promise<{ previous: string; id: string; files: readonly string[]; record: string }> {
  const keysDir = within(dataDir, (await readConfig(dataDir)).keys);
  const before = (await loadKeyring(keysDir)).current; // refuses a directory without keys
  const { id, files } = await addKeys(keysDir);
  const node = await openNode(dataDir);
  try {
    const after = node.keyring.current;
    const body: KeyRotatedBody = {
      mac: { from: before.mac, to: after.mac },
      signing: { from: before.signing, to: after.signing },
    };
    const r = await node.writer.append('key.rotated', body as unknown as JsonValue);
    return { previous: before.mac, id, files, record: `${r.stream}/${r.seq}` };
  } finally {
    await node.close();
  }
}

/** A node opened on its data directory: configuration, store, keys and the stream's ledger writer. */
export interface Node {
  readonly dataDir: string;
  readonly config: Config;
  readonly store: Store;
  readonly keyring: Keyring;
  readonly writer: LedgerWriter;
  /** Flushes the writer (signing a final checkpoint) and closes the store. */
  close(): Promise<void>;
}

/**
 * The stream local administrative commands record in (`token create`, `agents credential`): beside the
 * node's own, so they never race a running daemon for the next record of its stream.
 */
export const adminStream = (stream: string): string => `${stream.slice(0, 122)}-admin`;

/**
 * Opens a data directory for writing: migrates its store and resumes the writer of its stream (or of
 * another stream of the node, such as its `adminStream`).
 */
export async function openNode(dataDir: string, options: { admin?: boolean } = {}): Promise<Node> {
  const config = await readConfig(dataDir);
  const keyring = await loadKeyring(within(dataDir, config.keys));
  const store = openStore(dataDir, config, false);
  try {
    await store.migrate();
    const writer = await LedgerWriter.open({
      store: store.ledger,
      stream: options.admin ? adminStream(config.stream) : config.stream,
      macKeys: keyring.macKeys,
      signer: keyring.signer,
      hasher: nodeHasher,
      clock: systemClock,
      checkpoints: {
        everyRecords: config.ledger.checkpointRecords,
        everyMs: config.ledger.checkpointSeconds * 1000,
      },
      mode: config.ledger.commit,
    });
    const close = async () => {
      try {
        await writer.close();
      } finally {
        await store.close();
      }
    };
    return { dataDir, config, store, keyring, writer, close };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** Reads an org file and the policy files under some paths: the sources to put in force. */
async function readGovernanceSources(
  orgFile: string,
  policyPaths: readonly string[],
): Promise<GovernanceSources> {
  const reader = new FsSourceReader();
  const [text, policies] = await Promise.all([reader.read(orgFile), readPolicySources(reader, policyPaths)]);
  return { org: { file: orgFile, text }, policies };
}

/** What putting sources in force on a node needs. */
function governanceDeps(node: Node, ids: UlidSource): GovernanceDeps {
  return { versions: node.store.versions, ledger: node.writer, hasher: nodeHasher, clock: systemClock, ids };
}

/**
 * Puts an org file and policy paths in force on a node (recording `org.changed` / `policy.changed` when
 * they differ from the stored versions) and returns the pipeline that governs actions under them.
 */
export async function governNode(
  node: Node,
  orgFile: string,
  policyPaths: readonly string[],
): Promise<{ governance: Governance; pipeline: ActionPipeline }> {
  const ids = new UlidSource();
  const governance = await applyGovernance(
    governanceDeps(node, ids),
    await readGovernanceSources(orgFile, policyPaths),
  );
  const pipeline = new ActionPipeline({
    ledger: node.writer,
    ids,
    clock: systemClock,
    hasher: nodeHasher,
    governance: () => governance,
  });
  return { governance, pipeline };
}

/** Ports for reading the ledger back (explain, episodes): ids and the hasher. */
export function historyPorts(): { ids: UlidSource; hasher: Hasher } {
  return { ids: new UlidSource(), hasher: nodeHasher };
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

/** The org in force on a node: the newest stored version, or the configured org file before the first. */
async function orgInForce(node: Node): Promise<Org> {
  const latest = await node.store.versions.latest('org');
  if (latest) return orgFromContent(latest.version, latest.content);
  const file = within(node.dataDir, node.config.org);
  return parseOrg(await new FsSourceReader().read(file), file);
}

function authDeps(node: Node, store: DaemonStore = node.store): AuthDeps {
  return {
    tokens: store.tokens,
    credentials: store.credentials,
    hasher: nodeHasher,
    ids: new UlidSource(),
    clock: systemClock,
    secrets: nodeSecrets,
  };
}

/** `agentos token create`: a person's API token on a data directory (whoever holds its keys is an admin). */
export async function createPersonToken(
  dataDir: string,
  person: string,
  role: PersonRole,
): Promise<{ id: string; secret: string }> {
  const node = await openNode(dataDir, { admin: true });
  try {
    const { token, secret } = await createToken(authDeps(node), await orgInForce(node), person, role);
    await node.writer.append('credential.created', { kind: 'token', id: token.id, person, role });
    return { id: token.id, secret };
  } finally {
    await node.close();
  }
}

/** `agentos agents credential`: mints a credential for an agent on a data directory. */
export async function createAgentCredential(
  dataDir: string,
  agent: string,
): Promise<{ id: string; secret: string }> {
  const node = await openNode(dataDir, { admin: true });
  try {
    const minted = await createCredential(authDeps(node), await orgInForce(node), agent);
    await node.writer.append('credential.created', { kind: 'credential', id: minted.id, agent });
    return minted;
  } finally {
    await node.close();
  }
}

/** Where and how `agentos serve` runs; unset fields come from `agentos.yaml`. */
export interface DaemonOptions {
  readonly dataDir: string;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly org?: string | undefined;
  readonly policies?: string | undefined;
  /** Pino logger options (structured JSON logs), or false. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Where executors' `${env:NAME}` header values come from (default: the process's environment). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The built web console to serve (default `dist/console`, beside this module). */
  readonly consoleDir?: string | undefined;
}

/** A running daemon. */
export interface RunningDaemon {
  readonly url: string;
  /** The egress proxy's URL (`http://host:port`), when `egress.listen` is set. */
  readonly egressUrl?: string | undefined;
  /** What this machine can enforce for sandboxed runs (`agentos doctor`). */
  readonly enforcement: Enforcement;
  /** Stops accepting requests, finishes those in flight, flushes the ledger and closes the store. */
  close(): Promise<void>;
}

/** Starts the kernel daemon on a data directory: the org and policies in force, the API, the sweeper. */
export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const node = await openNode(o.dataDir);
  try {
    const sources = await readGovernanceSources(o.org ?? within(o.dataDir, node.config.org), [
      o.policies ?? within(o.dataDir, node.config.policies),
    ]);
    const ids = new UlidSource();
    // Authentication and `kill` share the cached store, so a revocation is seen on the next request.
    const store = withSecretCache(node.store, systemClock);
    const deps = { store, ledger: node.writer, ids, clock: systemClock, hasher: nodeHasher };
    const gDeps = governanceDeps(node, ids);
    const allow: Allow = (who, what) => actions.allow(who, what);
    const live = new LiveGovernance(gDeps, await applyGovernance(gDeps, sources), sources, allow);
    const current = (): Governance => live.get();
    const board = new Map<string, StandingSignal>();
    const executors = new ExecutorTable(
      node.config.executors.map((c) => ({
        executor: httpExecutor(c, o.env ?? process.env),
        actions: c.actions,
      })),
    );
    const actions: ActionService = new ActionService({
      ...deps,
      governance: current,
      signals: board,
      executors,
      onError: (e) => api.log.error({ err: e }, 'an execution could not be recorded'),
    });
    const egress = new EgressProxy(actions, {
      approvalWaitMs: parseDuration(node.config.egress.approvalWait) ?? 30_000,
      maxTunnelsPerAgent: node.config.egress.maxTunnelsPerAgent,
    });
    const root = process.getuid?.() === 0;
    const enforcement = await probeEnforcement(root ? node.config.runs.hostUid : undefined);
    const runs = new RunService({
      actions,
      governance: current,
      egress,
      api: (req, res) => api.routing(req, res),
      hide: [resolve(o.dataDir)],
      // Agent OS's installation (this file is dist/root.js): the SDK runs may import, wherever it lives
      expose: [fileURLToPath(new URL('..', import.meta.url)).replace(/\/+$/, '')],
      hostUid: node.config.runs.hostUid,
      enforcement,
      approvalWaitMs: parseDuration(node.config.runs.approvalWait) ?? 600_000,
      scope: `d-${nodeHasher.sha256(resolve(o.dataDir)).slice(0, 16)}`,
    });
    await runs.reapStale();
    const signals = new SignalService({
      ...deps,
      governance: current,
      board,
      actions,
      onSignal: (signal, agents) => runs.signal(signal, agents),
    });
    await signals.load();
    const auth = authDeps(node, store);
    const reads = new ReadService({
      store: node.store,
      governance: current,
      board,
      allow: (who, what, target) => actions.allow(who, what, target),
      stream: node.config.stream,
      verify: { hasher: nodeHasher, macKeys: node.keyring.macKeys, publicKeys: node.keyring.publicKeys },
    });
    const api = buildApi({
      reads,
      consoleDir: o.consoleDir ?? fileURLToPath(new URL('./console/', import.meta.url)),
      service: actions,
      signals,
      governance: live,
      authenticate: async (header, raw) =>
        runs.identify(raw, header) ?? authenticate(auth, current().engine.org, header),
      runs,
      health: () =>
        Promise.resolve({
          stream: node.config.stream,
          org: current().org.version,
          policy: current().policy.version,
        }),
      logger: o.logger ?? false,
    });
    const webhooks = new WebhookDispatcher(
      {
        ledger: node.store.ledger,
        stream: node.config.stream,
        cursors: fileCursors(join(o.dataDir, 'webhooks'), node.config.stream),
        log: api.log,
      },
      node.config.webhooks.map((c) => ({ sender: httpWebhook(c, o.env ?? process.env), events: c.events })),
    );
    const stopWaking = node.writer.onCommit(() => webhooks.wake());
    await webhooks.start(node.writer.head.seq);
    const [host = '127.0.0.1', port = '7070'] = node.config.listen.split(':');
    // who calls a gateway: a run's agent on its own socket, else whoever the Authorization header names
    const gatewayCaller = async (req: FastifyRequest): Promise<Principal> =>
      runs.identify(req.raw, req.headers.authorization) ??
      authenticate(auth, current().engine.org, req.headers.authorization);
    // the LLM gateway: today's token spend replayed from the ledger, so budgets survive a restart
    const tokens = new TokenLedger(systemClock);
    await tokens.seed(
      current().engine.org,
      node.store.ledger.read({ type: 'action.completed', since: tokens.since }),
    );
    registerLlmRoutes(api, {
      service: actions,
      governance: current,
      config: node.config.llm,
      who: gatewayCaller,
      env: o.env ?? process.env,
      tokens,
    });
    const mcp = registerMcpRoutes(api, {
      service: actions,
      governance: current,
      config: node.config.mcp,
      who: gatewayCaller,
      env: o.env ?? process.env,
      log: (m) => api.log.info(m),
    });
    const address = await api.listen({ host: o.host ?? host, port: o.port ?? Number(port) });
    const proxy = node.config.egress.listen
      ? await listenProxy(
          egressTcpServer(egress, (header) => authenticate(auth, current().engine.org, header)),
          node.config.egress.listen,
        )
      : undefined;
    let sweeping = Promise.resolve();
    const sweeper = setInterval(() => {
      sweeping = sweeping
        .then(() => actions.approvals.sweep().then(() => undefined))
        .catch((e: unknown) => {
          api.log.error({ err: e }, 'approval sweep failed');
        });
    }, 1000);
    return {
      url: address,
      egressUrl: proxy?.url,
      enforcement,
      close: async () => {
        clearInterval(sweeper);
        await runs.closeAll();
        egress.closeAll();
        await proxy?.close();
        await api.close();
        await mcp.close();
        await actions.drain();
        await sweeping;
        stopWaking();
        await webhooks.close();
        await node.close();
      },
    };
  } catch (e) {
    await node.close();
    throw e;
  }
}

/** Starts the egress proxy's TCP listener on `host:port` (port 0: any free port). */
async function listenProxy(
  server: HttpServer,
  listen: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(listen.slice(colon + 1)), host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
