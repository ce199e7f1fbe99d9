/**
 * The secret cache attacked: a secret revoked, killed, expired or dropped from the org is refused on the
 * very next request, and a lookup racing a revocation does not cache the row it read before it. Real
 * SQLite store, real writer, real signal service.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  generateMacKey,
  generateSigningKeyPair,
  NodeMacKeys,
  nodeHasher,
  NodeSigner,
  nodeSecrets,
} from '../adapters/crypto.js';
import { FsSourceReader } from '../adapters/fs-source.js';
import { UlidSource } from '../adapters/ids.js';
import { openSqliteStore } from '../adapters/store-sqlite/store.js';
import { isAgentOsError, type ErrorCode } from '../kernel/errors.js';
import { parseOrg } from '../kernel/org/load.js';
import { ActionService } from './action-service.js';
import { authenticate, createCredential, createToken, type AuthDeps } from './auth.js';
import { applyGovernance } from './governance.js';
import { LedgerWriter } from './ledger-writer.js';
import { readPolicySources } from './policy-workspace.js';
import { withSecretCache } from './secret-cache.js';
import { SignalService } from './signal-service.js';
import type { StandingSignal } from './store.js';

const example = fileURLToPath(new URL('../../examples/onboarding', import.meta.url));
const orgText = readFileSync(join(example, 'org.yaml'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'agentos-secret-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

let n = 0;
async function kernel() {
  const raw = openSqliteStore({ file: join(tmp, `c-${++n}.db`) });
  await raw.migrate();
  const clock = { t: Date.UTC(2026, 10, 22, 9), now: () => clock.t };
  const writer = await LedgerWriter.open({
    store: raw.ledger,
    stream: 'node-a',
    macKeys: new NodeMacKeys({ m: generateMacKey() }, 'm'),
    signer: new NodeSigner({ s: generateSigningKeyPair().privateKeyPem }, 's'),
    hasher: nodeHasher,
    clock,
    checkpoints: { everyRecords: 1000, everyMs: 3_600_000 },
  });
  closers.push(async () => {
    await writer.close();
    await raw.close();
  });
  const store = withSecretCache(raw, clock);
  const ids = new UlidSource();
  const reader = new FsSourceReader();
  const governance = await applyGovernance(
    { versions: store.versions, ledger: writer, hasher: nodeHasher, clock, ids },
    {
      org: { file: 'org.yaml', text: orgText },
      policies: await readPolicySources(reader, [join(example, 'policies')]),
    },
  );
  const board = new Map<string, StandingSignal>();
  const deps = { store, ledger: writer, ids, clock, hasher: nodeHasher, governance: () => governance };
  const actions = new ActionService({ ...deps, signals: board });
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
  return { raw, store, clock, auth, org, signals };
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'resolved'> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    if (isAgentOsError(e)) return e.code;
    throw e;
  }
}

describe('secret cache', () => {
  it('serves a busy secret from memory, and a secret it has not seen from the store', async () => {
    const k = await kernel();
    const { id, secret } = await createCredential(k.auth, k.org, 'payroll-bot');
    const header = `Bearer ${secret}`;
    expect(await authenticate(k.auth, k.org, header)).toMatchObject({ kind: 'agent', id: 'payroll-bot' });
    // Changed behind the cache's back (as another process would): the cached row is used until the TTL.
    await k.raw.credentials.revoke(id, new Date(k.clock.t).toISOString());
    expect(await codeOf(authenticate(k.auth, k.org, header))).toBe('resolved');
    k.clock.t += 1000;
    expect(await codeOf(authenticate(k.auth, k.org, header))).toBe('AOS_UNAUTHENTICATED');
    // Minted after a miss: an unknown secret is never cached as unknown.
    expect(await codeOf(authenticate(k.auth, k.org, 'Bearer aosa_not-minted-yet-0123456789'))).toBe(
      'AOS_UNAUTHENTICATED',
    );
  });

  it('refuses a revoked credential or token on the very next request', async () => {
    const k = await kernel();
    const cred = await createCredential(k.auth, k.org, 'payroll-bot');
    const { token, secret } = await createToken(k.auth, k.org, 'olivia@acme.test', 'admin');
    expect(await codeOf(authenticate(k.auth, k.org, `Bearer ${cred.secret}`))).toBe('resolved');
    expect(await codeOf(authenticate(k.auth, k.org, `Bearer ${secret}`))).toBe('resolved');
    await k.store.credentials.revoke(cred.id, new Date(k.clock.t).toISOString());
    await k.store.tokens.revoke(token.id, new Date(k.clock.t).toISOString());
    expect(await codeOf(authenticate(k.auth, k.org, `Bearer ${cred.secret}`))).toBe('AOS_UNAUTHENTICATED');
    expect(await codeOf(authenticate(k.auth, k.org, `Bearer ${secret}`))).toBe('AOS_UNAUTHENTICATED');
  });

  it('refuses a killed agent on the very next request', async () => {
    const k = await kernel();
    const bot = `Bearer ${(await createCredential(k.auth, k.org, 'payroll-bot')).secret}`;
    const admin = `Bearer ${(await createToken(k.auth, k.org, 'olivia@acme.test', 'admin')).secret}`;
    for (let i = 0; i < 3; i++) expect(await codeOf(authenticate(k.auth, k.org, bot))).toBe('resolved');
    const report = await k.signals.send(
      await authenticate(k.auth, k.org, admin),
      'kill',
      'agent',
      'payroll-bot',
    );
    expect(report.revoked).toBe(1);
    expect(await codeOf(authenticate(k.auth, k.org, bot))).toBe('AOS_UNAUTHENTICATED');
  });

  it('does not cache a row read while a revocation was under way', async () => {
    const k = await kernel();
    const cred = await createCredential(k.auth, k.org, 'payroll-bot');
    const header = `Bearer ${cred.secret}`;
    // The lookup reads the row before the revocation lands, and settles after it started.
    const racing = authenticate(k.auth, k.org, header);
    const revoking = k.store.credentials.revokeAgent('payroll-bot', new Date(k.clock.t).toISOString());
    expect(await codeOf(racing)).toBe('resolved');
    expect(await revoking).toBe(1);
    expect(await codeOf(authenticate(k.auth, k.org, header))).toBe('AOS_UNAUTHENTICATED');
  });

  it('checks the org in force and the expiry on every request', async () => {
    const k = await kernel();
    const bot = `Bearer ${(await createCredential(k.auth, k.org, 'payroll-bot')).secret}`;
    const expiring = await createCredential(k.auth, k.org, 'hardware-bot', {
      expiresAt: new Date(k.clock.t + 500).toISOString(),
    });
    expect(await codeOf(authenticate(k.auth, k.org, bot))).toBe('resolved');
    expect(await codeOf(authenticate(k.auth, k.org, `Bearer ${expiring.secret}`))).toBe('resolved');
    const without = parseOrg(orgText.replace(/ {2}- id: payroll-bot\n(?: {4}.*\n)+/, ''), 'org.yaml');
    expect(without.agents.has('payroll-bot')).toBe(false);
    expect(await codeOf(authenticate(k.auth, without, bot))).toBe('AOS_UNAUTHENTICATED');
    k.clock.t += 500;
    expect(await codeOf(authenticate(k.auth, k.org, `Bearer ${expiring.secret}`))).toBe(
      'AOS_UNAUTHENTICATED',
    );
  });
});
