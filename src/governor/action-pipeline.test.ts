/**
 * The action pipeline and the governance loader on a real SQLite store with the real writer: every
 * decision is recorded before anything runs, versions are recorded once, and when the ledger cannot
 * append the action is denied and its executor never called.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../adapters/clock.js';
import {
  generateMacKey,
  generateSigningKeyPair,
  NodeMacKeys,
  nodeHasher,
  NodeSignatureVerifier,
  NodeSigner,
} from '../adapters/crypto.js';
import { FsSourceReader } from '../adapters/fs-source.js';
import { UlidSource } from '../adapters/ids.js';
import { openSqliteStore } from '../adapters/store-sqlite/store.js';
import { isAgentOsError } from '../kernel/errors.js';
import type { JsonValue, LedgerRecord } from '../kernel/ledger/record.js';
import { verifyLedgerAsync } from '../kernel/ledger/verify.js';
import type { PolicySource } from '../kernel/policy/compile.js';
import { ActionPipeline } from './action-pipeline.js';
import { applyGovernance, type Governance, type GovernanceSources } from './governance.js';
import { LedgerWriter } from './ledger-writer.js';
import { readPolicySources } from './policy-workspace.js';
import type { Store } from './store.js';

const example = fileURLToPath(new URL('../../examples/onboarding', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'agentos-pipeline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const macKeys = new NodeMacKeys({ m1: generateMacKey() }, 'm1');
const pair = generateSigningKeyPair();
const signer = new NodeSigner({ s1: pair.privateKeyPem }, 's1');
const publicKeys = new NodeSignatureVerifier({ s1: pair.publicKeyPem });
const ids = new UlidSource();

const reader = new FsSourceReader();
const sources: GovernanceSources = {
  org: { file: 'org.yaml', text: await reader.read(join(example, 'org.yaml')) },
  policies: await readPolicySources(reader, [join(example, 'policies')]),
};

let n = 0;
const open: { store: Store; writer: LedgerWriter }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.writer.close().catch(() => undefined);
    await o.store.close();
  }
});

async function node(file = join(tmp, `ledger-${++n}.db`), readonly = false) {
  const store = openSqliteStore({ file, readonly });
  if (!readonly) await store.migrate();
  const writer = await LedgerWriter.open({
    store: store.ledger,
    stream: 'node-a',
    macKeys,
    signer,
    hasher: nodeHasher,
    clock: systemClock,
    checkpoints: { everyRecords: 50, everyMs: 60_000 },
  });
  open.push({ store, writer });
  const deps = { versions: store.versions, ledger: writer, hasher: nodeHasher, clock: systemClock, ids };
  return { file, store, writer, deps };
}

async function records(store: Store): Promise<LedgerRecord[]> {
  const out: LedgerRecord[] = [];
  for await (const r of store.ledger.read()) out.push(r);
  return out;
}

const pipelineOver = (writer: LedgerWriter, governance: Governance) =>
  new ActionPipeline({
    ledger: writer,
    ids,
    clock: systemClock,
    hasher: nodeHasher,
    governance: () => governance,
  });

const payroll = (salary: number) => ({
  agent: 'payroll-bot',
  action: 'payroll.update',
  resource: 'employee/1042',
  args: { salary },
  episode: 'ep_hire_jdoe',
});

describe('applyGovernance', () => {
  it('records the org and the policies once, and again only when they change', async () => {
    const { store, writer, deps } = await node();
    const g1 = await applyGovernance(deps, sources);
    expect([g1.org.version, g1.policy.version]).toEqual([1, 1]);
    await writer.flush();
    const first = await records(store);
    expect(first.map((r) => r.type)).toEqual(['org.changed', 'policy.changed']);
    expect(first[0]?.body).toMatchObject({ version: 1, hash: g1.org.hash, files: ['org.yaml'] });
    expect((await store.versions.get('policy', 1))?.hash).toBe(g1.policy.hash);

    const again = await applyGovernance(deps, sources);
    expect([again.org.version, again.policy.version]).toEqual([1, 1]);
    await writer.flush();
    expect(await records(store)).toHaveLength(2);

    const edited: PolicySource[] = sources.policies.map((s) =>
      s.file.endsWith('finance-payroll.yaml') ? { ...s, text: s.text.replace('200000', '100000') } : s,
    );
    expect(edited).not.toEqual(sources.policies);
    const g2 = await applyGovernance(deps, { ...sources, policies: edited });
    expect([g2.org.version, g2.policy.version]).toEqual([1, 2]);
    await writer.flush();
    const last = (await records(store)).at(-1);
    expect(last?.type).toBe('policy.changed');
    expect(last?.body).toMatchObject({ version: 2, previous: { version: 1, hash: g1.policy.hash } });
  });

  it('changes nothing when the sources are invalid', async () => {
    const { store, writer, deps } = await node();
    await applyGovernance(deps, sources);
    const broken = [
      ...sources.policies,
      { file: 'bad.yaml', text: 'apiVersion: agentos/v1\nkind: Policy\n' },
    ];
    await expect(applyGovernance(deps, { ...sources, policies: broken })).rejects.toMatchObject({
      code: 'AOS_POLICY_INVALID',
    });
    await writer.flush();
    expect(await records(store)).toHaveLength(2);
    expect((await store.versions.latest('policy'))?.version).toBe(1);
  });
});

describe('ActionPipeline', () => {
  it('records intent before running, then the outcome, and the ledger verifies', async () => {
    const { store, writer, deps } = await node();
    const pipeline = pipelineOver(writer, await applyGovernance(deps, sources));
    let ran = 0;
    const result = await pipeline.run(payroll(90_000), 'test', async (req) => {
      ran++;
      // INVARIANT under test: the intent is durable before the executor is called.
      const stored = (await records(store)).filter(
        (r) => (r.body as { action?: string }).action !== undefined,
      );
      expect(stored.map((r) => r.type)).toEqual(['action.requested', 'action.decided']);
      return { updated: req.resource ?? null };
    });
    expect(ran).toBe(1);
    expect(result.status).toBe('executed');
    expect(result.outcome).toEqual({ updated: 'employee/1042' });
    await writer.flush();
    const actionRecords = (await records(store)).filter((r) => r.type.startsWith('action.'));
    expect(actionRecords.map((r) => r.type)).toEqual([
      'action.requested',
      'action.decided',
      'action.completed',
    ]);
    for (const r of actionRecords) {
      expect(r.body).toMatchObject({ action: result.id, agent: 'payroll-bot', episode: 'ep_hire_jdoe' });
    }
    expect(actionRecords[0]?.body).toMatchObject({ request: payroll(90_000) });
    expect(actionRecords[1]?.body).toMatchObject({
      effect: 'allow',
      versions: { org: 1, policy: 1 },
      decision: { rules: ['finance-payroll/payroll-records'] },
    });
    expect(actionRecords[2]?.body).toMatchObject({ executor: 'test', outcome: { updated: 'employee/1042' } });
    expect(result.records).toEqual({
      requested: `node-a/${actionRecords[0]?.seq}`,
      decided: `node-a/${actionRecords[1]?.seq}`,
    });
    await writer.close();
    const verdict = await verifyLedgerAsync(store.ledger.read(), { hasher: nodeHasher, macKeys, publicKeys });
    expect(verdict.ok).toBe(true);
  });

  it('never runs a denied or pending action, and records why', async () => {
    const { store, writer, deps } = await node();
    const pipeline = pipelineOver(writer, await applyGovernance(deps, sources));
    let ran = 0;
    const exec = async () => {
      ran++;
      return null;
    };
    const denied = await pipeline.run(
      { agent: 'payroll-bot', action: 'sql.query', args: { sql: 'DROP TABLE employees' } },
      'test',
      exec,
    );
    const pending = await pipeline.run(payroll(250_000), 'test', exec);
    expect([denied.status, pending.status]).toEqual(['denied', 'pending_approval']);
    expect(ran).toBe(0);
    await writer.flush();
    const decided = (await records(store)).filter((r) => r.type === 'action.decided');
    expect(decided.map((r) => (r.body as { effect: string }).effect)).toEqual(['deny', 'require_approval']);
    expect((await records(store)).some((r) => r.type === 'action.completed')).toBe(false);
  });

  it('records a failing executor as action.failed with its code', async () => {
    const { store, writer, deps } = await node();
    const pipeline = pipelineOver(writer, await applyGovernance(deps, sources));
    const result = await pipeline.run(payroll(90_000), 'http', () =>
      Promise.reject(new Error('upstream 503')),
    );
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({ code: 'AOS_EXECUTOR_FAILED', message: 'upstream 503' });
    await writer.flush();
    const failed = (await records(store)).find((r) => r.type === 'action.failed');
    expect(failed?.body).toMatchObject({ action: result.id, executor: 'http', error: result.error });
  });

  it('denies and never executes when the ledger cannot append (read-only database)', async () => {
    const first = await node();
    const governance = await applyGovernance(first.deps, sources);
    await first.writer.close();
    // The same database, opened read-only: every append fails for real.
    const { store, writer } = await node(first.file, true);
    const pipeline = pipelineOver(writer, governance);
    let ran = 0;
    const result = await pipeline.run(payroll(90_000), 'test', async () => {
      ran++;
      return null;
    });
    expect(ran).toBe(0);
    expect(result.status).toBe('denied');
    expect(result.records).toBeUndefined();
    expect(result.decision.rules).toEqual(['ledger.unavailable']);
    expect(result.decision.reason).toMatch(
      /the ledger cannot record this action.*readonly.*\[AOS_LEDGER_UNAVAILABLE\]$/i,
    );
    expect((await records(store)).filter((r) => r.type.startsWith('action.'))).toEqual([]);
  });

  it('rejects a malformed request before recording anything', async () => {
    const { store, writer, deps } = await node();
    const pipeline = pipelineOver(writer, await applyGovernance(deps, sources));
    const bad: JsonValue = { agent: 'payroll-bot', action: 'not a name' };
    const error: unknown = await pipeline.admit(bad).catch((e: unknown) => e);
    expect(isAgentOsError(error) && error.code).toBe('AOS_REQUEST_INVALID');
    await writer.flush();
    expect((await records(store)).filter((r) => r.type.startsWith('action.'))).toEqual([]);
  });
});
