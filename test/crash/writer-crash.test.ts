/**
 * Crash test: a child process appends to a SQLite ledger under load through the compiled writer (dist/, built
 * by `npm test`; rebuilt here when older than src/) and is killed with SIGKILL at a random moment, several
 * times over the same file. After each kill, every record it acknowledged must be stored exactly as
 * acknowledged, and the whole ledger must verify with the MAC keys and the public key.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  generateMacKey,
  generateSigningKeyPair,
  NodeMacKeys,
  nodeHasher,
  NodeSignatureVerifier,
} from '../../src/adapters/crypto.js';
import { openSqliteStore } from '../../src/adapters/store-sqlite/store.js';
import type { LedgerRecord } from '../../src/kernel/ledger/record.js';
import { verifyLedger } from '../../src/kernel/ledger/verify.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');
const child = join(dirname(fileURLToPath(import.meta.url)), 'append-child.mjs');
const dir = mkdtempSync(join(tmpdir(), 'agentos-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** True when some source file under src/ is newer than its compiled file in dist/ (or has none). */
function distStale(at = join(root, 'src')): boolean {
  for (const entry of readdirSync(at, { withFileTypes: true })) {
    const path = join(at, entry.name);
    if (entry.isDirectory()) {
      if (distStale(path)) return true;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      const out = join(dist, relative(join(root, 'src'), path)).replace(/\.ts$/, '.js');
      if (!existsSync(out) || statSync(out).mtimeMs < statSync(path).mtimeMs) return true;
    }
  }
  return false;
}

beforeAll(() => {
  if (!distStale()) return;
  try {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
  } catch (e) {
    // A type error elsewhere still emits; what matters is that the writer's modules are there.
    if (!existsSync(join(dist, 'governor/ledger-writer.js'))) throw e;
  }
}, 120_000);

const mac = generateMacKey();
const pair = generateSigningKeyPair();
const macKeys = new NodeMacKeys({ m1: mac }, 'm1');
const publicKeys = new NodeSignatureVerifier({ s1: pair.publicKeyPem });

/** Runs the child until a random moment after it is ready, kills it with SIGKILL, returns what it acknowledged. */
async function runAndKill(file: string, afterMs: number, round: number): Promise<Map<number, string>> {
  const ackFile = join(dir, `acks-${round}.txt`);
  const p = spawn(process.execPath, [child, dist, file, ackFile], {
    env: {
      ...process.env,
      AOS_CRASH_MAC_KEY: Buffer.from(mac).toString('hex'),
      AOS_CRASH_SIGNING_KEY: pair.privateKeyPem,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (!out.includes('ready\n') && (out + d).includes('ready\n')) {
      setTimeout(() => p.kill('SIGKILL'), afterMs);
    }
    out += d;
  });
  p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    p.on('close', (_code, s) => resolve(s)),
  );
  if (signal !== 'SIGKILL') throw new Error(`the child exited by itself before the kill: ${err}`);
  const acked = new Map<number, string>();
  for (const line of readFileSync(ackFile, 'utf8').split('\n')) {
    const m = /^(\d+) ([0-9a-f]{64})$/.exec(line);
    if (m) acked.set(Number(m[1]), m[2] as string);
  }
  return acked;
}

async function readLedger(file: string): Promise<LedgerRecord[]> {
  const store = openSqliteStore({ file });
  try {
    const out: LedgerRecord[] = [];
    for await (const r of store.ledger.read()) out.push(r);
    return out;
  } finally {
    await store.close();
  }
}

it('keeps every acknowledged record across repeated kill -9 under load', async () => {
  const file = join(dir, 'crash.db');
  const acked = new Map<number, string>();
  let before = 0;
  for (let round = 0; round < 5; round++) {
    const got = await runAndKill(file, 100 + Math.floor(Math.random() * 400), round);
    expect(got.size).toBeGreaterThan(0);
    expect(Math.min(...got.keys())).toBeGreaterThan(before); // the new process continued the stream
    for (const [seq, m] of got) acked.set(seq, m);
    const stored = await readLedger(file);
    const bySeq = new Map(stored.map((r) => [r.seq, r.mac]));
    for (const [seq, m] of acked) expect(bySeq.get(seq), `acknowledged seq ${seq}`).toBe(m);
    expect(stored.map((r) => r.seq)).toEqual(stored.map((_, i) => i + 1));
    const v = verifyLedger(stored, { hasher: nodeHasher, macKeys, publicKeys });
    expect(v).toMatchObject({ ok: true });
    expect(v.ok && v.checkpoints).toBeGreaterThan(0);
    before = stored.length;
  }
}, 30_000);
