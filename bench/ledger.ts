/**
 * `npm run bench:ledger`: durable appends/s and enqueue→durable p50/p99 of the `LedgerWriter` in per-event and
 * group commit on SQLite and PostgreSQL, next to the raw fsync rate of the disk measured in the same run (the
 * physical limit) and canonicalisation + HMAC alone. Writes bench/results/ledger.{md,json}.
 *
 * Flags: `--quick` (short budgets; results are not written unless `--write`), `--only=sqlite,postgres`,
 * `--no-write`, `--compare=<ledger.json>` (a before/after table against an earlier run; default: the results
 * file this run replaces), `--notes=<file.md>` (hand-written notes, rendered as is). PostgreSQL: `AGENTOS_BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`),
 * in a fresh schema `agentos_bench_<random>` that is dropped at the end.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import {
  generateMacKey,
  generateSigningKeyPair,
  NodeMacKeys,
  nodeHasher,
  NodeSignatureVerifier,
  NodeSigner,
} from '../src/adapters/crypto.js';
import { openPostgresStore } from '../src/adapters/store-postgres/store.js';
import { openSqliteStore } from '../src/adapters/store-sqlite/store.js';
import type { Store } from '../src/governor/store.js';
import { canonicalJson } from '../src/kernel/ledger/canonical.js';
import type { JsonValue } from '../src/kernel/ledger/record.js';
import { measureChain, measureSync, measureWriter } from './lib/ledger-measure.js';
import type { WriterDeps, WriterRun, WriterRunConfig } from './lib/ledger-measure.js';
import { headline, renderLedgerMarkdown, renderLedgerTable } from './lib/ledger-report.js';
import type { LedgerBenchResults, StoreResult } from './lib/ledger-report.js';
import { machine } from './lib/machine.js';
import { formatNs, formatRate } from './lib/stats.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = new Set((argv.find((a) => a.startsWith('--only='))?.slice(7) ?? 'sqlite,postgres').split(','));
const write = argv.includes('--write') || (!quick && !argv.includes('--no-write'));
const PG_URL = process.env['AGENTOS_BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const flag = (name: string): string | undefined =>
  argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const OUT_DIR = path.resolve('bench/results');
const comparePath = flag('compare') ?? path.join(OUT_DIR, 'ledger.json');
const notesPath = flag('notes');

const SYNC_SECONDS = quick ? 0.5 : 2;
const SYNC_BLOCK = 4096;
const CHAIN_SECONDS = quick ? 0.5 : 2;
const WARM = quick ? 0.3 : 0.5;
const SECONDS = quick ? 1 : 3;
const CHECKPOINTS = { everyRecords: 1000, everyMs: 1000 };
const RUNS: readonly WriterRunConfig[] = [
  { mode: 'per-event', producers: 1, warmSeconds: WARM, seconds: SECONDS, checkpoints: CHECKPOINTS },
  {
    mode: 'group',
    producers: 256,
    warmSeconds: WARM,
    seconds: SECONDS,
    checkpoints: CHECKPOINTS,
    maxBatch: 256,
    maxWaitMs: 2,
  },
];

const progress = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);

/** An `action.decided`-like body of about 300 bytes; `i` varies the ids. */
function body(i: number): JsonValue {
  const n = String(i).padStart(10, '0');
  return {
    decision: `dec_01JD8Q${n}`,
    request: `req_01JD8Q${n}`,
    agent: `agent-${String(i % 1000).padStart(5, '0')}`,
    action: 'fs.write',
    resource: `/workspace/eng/reports/q3-${i % 97}.md`,
    effect: 'allow',
    rules: ['eng.workspace-write', 'org.default-audit'],
    policyVersion: 7,
    orgVersion: 3,
    reason: 'allowed by eng.workspace-write',
  };
}

function filesystemOf(dir: string): string {
  try {
    const out = execFileSync('df', ['-PT', dir], { encoding: 'utf8' }).trim().split('\n')[1] ?? '';
    const [device, type] = out.split(/\s+/);
    return `${device ?? '?'} (${type ?? '?'})`;
  } catch {
    return 'unknown';
  }
}

const macKeys = new NodeMacKeys({ m1: generateMacKey() }, 'm1');
const pair = generateSigningKeyPair();
const signer = new NodeSigner({ s1: pair.privateKeyPem }, 's1');
const publicKeys = new NodeSignatureVerifier({ s1: pair.publicKeyPem });
const dir = mkdtempSync(path.join(os.tmpdir(), 'agentos-bench-ledger-'));

const results: LedgerBenchResults = {
  machine: machine(),
  quick,
  config: {
    syncSeconds: SYNC_SECONDS,
    syncBlockBytes: SYNC_BLOCK,
    chainSeconds: CHAIN_SECONDS,
    bodyBytes: Buffer.byteLength(canonicalJson(body(0))),
    body: body(0),
    checkpoints: CHECKPOINTS,
    sqliteDir: dir,
    filesystem: filesystemOf(dir),
  },
  chain: { ops: 0, seconds: 0, perSecond: 0 },
  stores: [],
  loadAverageBefore: {},
};
if (existsSync(comparePath)) {
  results.earlier = headline(JSON.parse(readFileSync(comparePath, 'utf8')) as LedgerBenchResults);
}
if (notesPath) results.notes = readFileSync(notesPath, 'utf8');
const noteLoad = (key: string): void => {
  (results.loadAverageBefore ??= {})[key] = os.loadavg().map((l) => Math.round(l * 100) / 100);
};
progress(`machine: ${results.machine.cpuModel}, ${results.machine.cpus} cpus, node ${results.machine.node}`);
progress(`directory ${dir} on ${results.config.filesystem}; body ${results.config.bodyBytes} B`);

try {
  for (const call of ['fsync', 'fdatasync'] as const) {
    progress(`raw ${call}: write ${SYNC_BLOCK} B + ${call} for ${SYNC_SECONDS} s …`);
    const r = measureSync(dir, call, SYNC_SECONDS, SYNC_BLOCK);
    if (r) {
      results[call] = r;
      progress(
        `  ${formatRate(r.perSecond)}, p50 ${formatNs(r.latency.p50)}, p99 ${formatNs(r.latency.p99)}`,
      );
    } else progress(`  ${call} not available`);
  }

  progress(`chain alone (canonicalisation + HMAC + hash) for ${CHAIN_SECONDS} s …`);
  results.chain = measureChain(macKeys, nodeHasher, body, CHAIN_SECONDS);
  progress(`  ${formatRate(results.chain.perSecond)}`);

  const deps = (store: Store): WriterDeps => ({
    store,
    macKeys,
    signer,
    publicKeys,
    hasher: nodeHasher,
    body,
  });
  const report = (name: string, run: WriterRun): void =>
    progress(
      `  ${name} ${run.config.mode}: ${formatRate(run.throughput.perSecond)}, p50 ${formatNs(run.latency.p50)}, ` +
        `p99 ${formatNs(run.latency.p99)}, ${run.recordsPerTransaction.toFixed(1)} records/txn, ` +
        `verify ${run.verification.ok ? 'ok' : `FAILED (${run.verification.problem ?? ''})`}`,
    );

  if (only.has('sqlite')) {
    const result: StoreResult = {
      store: 'sqlite',
      where: `a fresh file per run in \`${dir}\` (WAL, synchronous=FULL)`,
      runs: [],
    };
    results.stores.push(result);
    for (const [i, config] of RUNS.entries()) {
      progress(
        `sqlite ${config.mode}, ${config.producers} producer(s), ${config.warmSeconds}+${config.seconds} s …`,
      );
      noteLoad(`sqlite ${config.mode}`);
      const store = openSqliteStore({ file: path.join(dir, `ledger-${i}.db`) });
      try {
        await store.migrate();
        const run = await measureWriter(deps(store), `bench-${config.mode}`, config);
        result.runs.push(run);
        report('sqlite', run);
      } finally {
        await store.close();
      }
    }
  }

  if (only.has('postgres')) {
    const schema = `agentos_bench_${randomBytes(6).toString('hex')}`;
    const settings: Record<string, string> = {};
    const result: StoreResult = {
      store: 'postgres',
      where: `\`${PG_URL.replace(/:[^:@/]*@/, ':***@')}\`, fresh schema \`${schema}\` (dropped at the end)`,
      settings,
      runs: [],
    };
    results.stores.push(result);
    const admin = new pg.Client({ connectionString: PG_URL });
    let store: Store | undefined;
    try {
      await admin.connect();
      const v = await admin.query<{ v: string }>('SELECT version() AS v');
      settings['version'] = (v.rows[0]?.v ?? '').split(' on ')[0] ?? '';
      for (const name of [
        'fsync',
        'synchronous_commit',
        'wal_sync_method',
        'commit_delay',
        'full_page_writes',
      ]) {
        const r = await admin.query<Record<string, string>>(`SHOW ${name}`);
        settings[name] = String(r.rows[0]?.[name] ?? '?');
      }
      try {
        const r = await admin.query<{ data_directory: string }>('SHOW data_directory');
        const dataDir = r.rows[0]?.data_directory ?? '?';
        settings['data_directory'] = `${dataDir} on ${filesystemOf(dataDir)}`;
      } catch {
        // not a superuser: leave it out
      }
      store = openPostgresStore({ connectionString: PG_URL, schema, applicationName: 'agentos-bench' });
      await store.migrate();
      for (const config of RUNS) {
        progress(
          `postgres ${config.mode}, ${config.producers} producer(s), ${config.warmSeconds}+${config.seconds} s …`,
        );
        noteLoad(`postgres ${config.mode}`);
        const run = await measureWriter(deps(store), `bench-${config.mode}`, config);
        result.runs.push(run);
        report('postgres', run);
      }
    } catch (e) {
      result.error = e instanceof Error ? e.message : String(e);
      progress(`postgres failed: ${result.error ?? ''}`);
    } finally {
      await store?.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch((e: unknown) => {
        progress(`could not drop schema ${schema}: ${e instanceof Error ? e.message : String(e)}`);
      });
      await admin.end().catch(() => undefined);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

results.loadAverageEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
process.stdout.write(renderLedgerTable(results) + '\n');
if (write) {
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, 'ledger.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(OUT_DIR, 'ledger.md'), renderLedgerMarkdown(results));
  progress(`wrote ${path.join(OUT_DIR, 'ledger.md')} and ledger.json`);
}
