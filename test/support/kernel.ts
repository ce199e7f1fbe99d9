/**
 * A daemon's governor in-process for tests: a real SQLite store in a temporary directory, the real ledger
 * writer, the example organisation and its policies, the action and signal services, and helpers that mint
 * an agent's credential or a person's token. The clock is the test's to move.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  generateMacKey,
  generateSigningKeyPair,
  NodeMacKeys,
  nodeHasher,
  NodeSigner,
  nodeSecrets,
} from '../../src/adapters/crypto.js';
import { FsSourceReader } from '../../src/adapters/fs-source.js';
import { UlidSource } from '../../src/adapters/ids.js';
import { openSqliteStore } from '../../src/adapters/store-sqlite/store.js';
import type { LedgerRecord } from '../../src/kernel/ledger/record.js';
import { ActionService, type ActionServiceDeps } from '../../src/governor/action-service.js';
import {
  authenticate,
  createCredential,
  createToken,
  type AuthDeps,
  type Principal,
} from '../../src/governor/auth.js';
import { applyGovernance, type GovernanceSources } from '../../src/governor/governance.js';
import { LedgerWriter } from '../../src/governor/ledger-writer.js';
import { readPolicySources } from '../../src/governor/policy-workspace.js';
import { SignalService } from '../../src/governor/signal-service.js';
import type { StandingSignal } from '../../src/governor/store.js';

const example = fileURLToPath(new URL('../../examples/onboarding', import.meta.url));
const HOUR = 3_600_000;

/** Kernels on fresh SQLite files; `closeAll` (an `afterEach`) closes every kernel made since
 * the last call, `dispose` (an `afterAll`) removes their files. `sources` replaces the example
 * organisation and its policies. */
export function kernelFixture(
  fixtureOptions: Partial<Pick<ActionServiceDeps, 'executors'>> & { sources?: GovernanceSources } = {},
) {
  const { sources, ...options } = fixtureOptions;
  const tmp = mkdtempSync(join(tmpdir(), 'agentos-service-'));
  const closers: (() => Promise<void>)[] = [];
  let n = 0;
  const reader = new FsSourceReader();
  const sourcesP = (async (): Promise<GovernanceSources> =>
    sources ?? {
      org: { file: 'org.yaml', text: await reader.read(join(example, 'org.yaml')) },
      policies: await readPolicySources(reader, [join(example, 'policies')]),
    })();

  async function kernel() {
    const file = join(tmp, `k-${++n}.db`);
    const store = openSqliteStore({ file });
    await store.migrate();
    const clock = { t: Date.UTC(2026, 10, 22, 9), now: () => clock.t };
    const writer = await LedgerWriter.open({
      store: store.ledger,
      stream: 'node-a',
      macKeys: new NodeMacKeys({ m: generateMacKey() }, 'm'),
      signer: new NodeSigner({ s: generateSigningKeyPair().privateKeyPem }, 's'),
      hasher: nodeHasher,
      clock,
      checkpoints: { everyRecords: 1000, everyMs: 10 * HOUR },
    });
    closers.push(async () => {
      await writer.close();
      await store.close();
    });
    const ids = new UlidSource();
    const governance = await applyGovernance(
      { versions: store.versions, ledger: writer, hasher: nodeHasher, clock, ids },
      await sourcesP,
    );
    const board = new Map<string, StandingSignal>();
    const deps = { store, ledger: writer, ids, clock, hasher: nodeHasher, governance: () => governance };
    const actions = new ActionService({ ...deps, signals: board, ...options });
    const signals = new SignalService({ ...deps, board, actions });
    const auth: AuthDeps = {
      tokens: store.tokens,
      credentials: store.credentials,
      hasher: nodeHasher,
      ids,
      clock,
      secrets: nodeSecrets,
    };
    const org = governance.engine.org;
    const agent = async (id: string): Promise<Principal> =>
      authenticate(auth, org, `Bearer ${(await createCredential(auth, org, id)).secret}`);
    const person = async (id: string, role: 'admin' | 'approver' | 'auditor' | 'viewer' = 'approver') =>
      authenticate(auth, org, `Bearer ${(await createToken(auth, org, id, role)).secret}`);
    const records = async (type?: LedgerRecord['type']) => {
      await writer.flush();
      const out: LedgerRecord[] = [];
      for await (const r of store.ledger.read(type ? { type } : {})) out.push(r);
      return out;
    };
    return { store, file, clock, actions, signals, agent, person, records, auth, org, writer, governance };
  }

  const closeAll = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  /** Closes what is open and removes the temporary directory (an `afterAll`). */
  const dispose = async (): Promise<void> => {
    await closeAll();
    rmSync(tmp, { recursive: true, force: true });
  };
  return { kernel, closeAll, dispose };
}
