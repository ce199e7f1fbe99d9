/**
 * Ledger results as a terminal table, a Markdown page (bench/results/ledger.md) and JSON (ledger.json).
 */
import type { SyncRate, WriterRun } from './ledger-measure.js';
import type { Machine } from './machine.js';
import { formatNs, formatRate } from './stats.js';
import type { Throughput } from './stats.js';

/** Targets from the issue. */
export const LEDGER_TARGETS = {
  /** Group commit: durable records/s (on 2 cores). */
  groupPerSecond: 30_000,
  /** Per-event: appends/s as a fraction of the raw fsync rate. */
  perEventOfFsync: 0.9,
} as const;

/** One store's runs, or why it could not run. */
export interface StoreResult {
  readonly store: 'sqlite' | 'postgres';
  /** Where: the SQLite directory, or the PostgreSQL URL and schema. */
  readonly where: string;
  /** Server settings that decide durability (PostgreSQL only). */
  readonly settings?: Readonly<Record<string, string>>;
  readonly runs: WriterRun[];
  error?: string;
}

/** The headline numbers of an earlier run, for a before/after table (`--compare=<ledger.json>`). */
export interface EarlierRun {
  readonly date: string;
  readonly commit: string;
  readonly loadAverage: readonly number[];
  readonly loadAverageEnd?: readonly number[] | undefined;
  readonly fsyncPerSecond?: number | undefined;
  readonly chainPerSecond: number;
  readonly runs: readonly {
    readonly store: string;
    readonly mode: string;
    readonly perSecond: number;
    readonly p50: number;
    readonly p99: number;
  }[];
}

/** The headline numbers of a run's results. */
export function headline(r: LedgerBenchResults): EarlierRun {
  return {
    date: r.machine.date,
    commit: r.machine.commit,
    loadAverage: r.machine.loadAverage,
    loadAverageEnd: r.loadAverageEnd,
    fsyncPerSecond: r.fsync?.perSecond,
    chainPerSecond: r.chain.perSecond,
    runs: r.stores.flatMap((s) =>
      s.runs.map((run) => ({
        store: s.store,
        mode: run.config.mode,
        perSecond: run.throughput.perSecond,
        p50: run.latency.p50,
        p99: run.latency.p99,
      })),
    ),
  };
}

/** Everything a run measured. */
export interface LedgerBenchResults {
  machine: Machine;
  quick: boolean;
  loadAverageEnd?: number[];
  /** Load average (1, 5, 15 min) just before each store run, by `store mode`. */
  loadAverageBefore?: Record<string, number[]>;
  /** The run this one is compared with. */
  earlier?: EarlierRun;
  /** Markdown written by hand for this run (`--notes=<file>`), rendered as is. */
  notes?: string;
  config: {
    syncSeconds: number;
    syncBlockBytes: number;
    chainSeconds: number;
    bodyBytes: number;
    body: unknown;
    checkpoints: { everyRecords: number; everyMs: number };
    sqliteDir: string;
    filesystem: string;
  };
  fsync?: SyncRate;
  fdatasync?: SyncRate;
  chain: Throughput;
  stores: StoreResult[];
}

const pct = (a: number, b: number): string => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(0)}%`);

/** The verdicts against the targets, one line each. */
export function verdicts(r: LedgerBenchResults): string[] {
  const out: string[] = [];
  const fsyncRate = r.fsync?.perSecond ?? 0;
  for (const s of r.stores) {
    for (const run of s.runs) {
      const rate = run.throughput.perSecond;
      if (run.config.mode === 'per-event') {
        const met = fsyncRate > 0 && rate >= LEDGER_TARGETS.perEventOfFsync * fsyncRate;
        out.push(
          `${s.store} per-event: ${formatRate(rate)} = ${pct(rate, fsyncRate)} of raw fsync ${formatRate(fsyncRate)} ` +
            `(target ≥ 90%): ${met ? 'MET' : 'MISSED'}`,
        );
      } else {
        const met = rate >= LEDGER_TARGETS.groupPerSecond;
        out.push(
          `${s.store} group: ${formatRate(rate)} = ${pct(rate, LEDGER_TARGETS.groupPerSecond)} of 30k/s ` +
            `(target ≥ 30k/s on 2 cores; this machine has ${r.machine.cpus}): ${met ? 'MET' : 'MISSED'}`,
        );
      }
    }
  }
  return out;
}

function runRows(r: LedgerBenchResults): string[] {
  const fsyncRate = r.fsync?.perSecond ?? 0;
  const lines = [
    '| store | mode | producers | durable appends/s | p50 | p99 | p99.9 | records/txn | CPU (cores) | vs target | verify |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const s of r.stores) {
    if (s.error) {
      lines.push(`| ${s.store} | — | — | not run: ${s.error.replace(/\|/g, '\\|')} | | | | | | | |`);
      continue;
    }
    for (const run of s.runs) {
      const rate = run.throughput.perSecond;
      const vs =
        run.config.mode === 'per-event'
          ? `${pct(rate, fsyncRate)} of fsync/s`
          : `${pct(rate, LEDGER_TARGETS.groupPerSecond)} of 30k/s`;
      const v = run.verification;
      lines.push(
        `| ${s.store} | ${run.config.mode} | ${run.config.producers} | ${formatRate(rate)} | ${formatNs(run.latency.p50)} | ` +
          `${formatNs(run.latency.p99)} | ${formatNs(run.latency.p999)} | ${run.recordsPerTransaction.toFixed(1)} | ` +
          `${run.cpuCores.toFixed(2)} | ${vs} | ${v.ok ? `ok (${v.records} records, ${v.checkpoints} checkpoints)` : `FAILED: ${v.problem ?? ''}`} |`,
      );
    }
  }
  return lines;
}

function baseRows(r: LedgerBenchResults): string[] {
  const lines = ['| measurement | rate | p50 | p99 |', '|---|---:|---:|---:|'];
  for (const s of [r.fsync, r.fdatasync]) {
    if (!s) continue;
    lines.push(
      `| raw ${s.call} (write ${s.blockBytes} B + ${s.call}, appending) | ${formatRate(s.perSecond)} | ${formatNs(s.latency.p50)} | ${formatNs(s.latency.p99)} |`,
    );
  }
  lines.push(
    `| canonicalisation + HMAC + hash alone (\`Chain.append\`, no store) | ${formatRate(r.chain.perSecond)} | | |`,
  );
  return lines;
}

function comparisonRows(r: LedgerBenchResults, e: EarlierRun): string[] {
  const now = headline(r);
  const x = (after: number, before: number | undefined): string =>
    before === undefined || before === 0 ? '' : `×${(after / before).toFixed(2)}`;
  const lines = [
    '| measurement | before | after | after/before |',
    '|---|---:|---:|---:|',
    `| raw fsync (the disk, measured in each run) | ${e.fsyncPerSecond === undefined ? '—' : formatRate(e.fsyncPerSecond)} | ` +
      `${now.fsyncPerSecond === undefined ? '—' : formatRate(now.fsyncPerSecond)} | ${now.fsyncPerSecond === undefined ? '' : x(now.fsyncPerSecond, e.fsyncPerSecond)} |`,
    `| chain alone | ${formatRate(e.chainPerSecond)} | ${formatRate(now.chainPerSecond)} | ${x(now.chainPerSecond, e.chainPerSecond)} |`,
  ];
  for (const run of now.runs) {
    const before = e.runs.find((b) => b.store === run.store && b.mode === run.mode);
    lines.push(
      `| ${run.store} ${run.mode} (p50 ${before ? formatNs(before.p50) : '—'} → ${formatNs(run.p50)}) | ` +
        `${before ? formatRate(before.perSecond) : '—'} | ${formatRate(run.perSecond)} | ${x(run.perSecond, before?.perSecond)} |`,
    );
  }
  return lines;
}

/** The table printed on stdout. */
export function renderLedgerTable(r: LedgerBenchResults): string {
  return [...baseRows(r), '', ...runRows(r), '', ...verdicts(r)].join('\n');
}

/** bench/results/ledger.md. */
export function renderLedgerMarkdown(r: LedgerBenchResults): string {
  const m = r.machine;
  const c = r.config;
  const storeNotes = r.stores.map((s) => {
    const settings = s.settings
      ? ` Server settings: ${Object.entries(s.settings)
          .map(([k, v]) => `\`${k}=${v}\``)
          .join(', ')}.`
      : '';
    return `- **${s.store}**: ${s.where}.${settings}${s.error ? ` Not run: ${s.error}` : ''}`;
  });
  const runNotes = r.stores.flatMap((s) =>
    s.runs.map(
      (run) =>
        `- ${s.store} ${run.config.mode}: stream \`${run.stream}\`, ${run.config.producers} producer(s), ` +
        `${run.config.warmSeconds} s warm-up + ${run.config.seconds} s measured` +
        (run.config.mode === 'group'
          ? `, maxBatch ${run.config.maxBatch ?? 256}, maxWaitMs ${run.config.maxWaitMs ?? 0}`
          : '') +
        `; ${run.acknowledged} appends acknowledged in all, ${run.rejected} rejected, ${run.transactions} transactions, ` +
        `${run.latency.samples} latency samples; verified in ${run.verification.ms.toFixed(0)} ms ` +
        `(${run.verification.uncovered} uncovered).`,
    ),
  );
  return `# Ledger benchmark

\`npm run bench:ledger\` (bench/ledger.ts). ${r.quick ? '**Quick run: short budgets, indicative only.**' : ''}

- Date: ${m.date}; commit \`${m.commit}\`
- Machine: ${m.cpuModel}, ${m.cpus} CPUs, ${m.ramGiB} GiB RAM; ${m.os}; Node ${m.node} (V8 ${m.v8})
- Load average at start ${m.loadAverage.join(' / ')}${r.loadAverageEnd ? `, at end ${r.loadAverageEnd.join(' / ')}` : ''}${
    r.loadAverageBefore
      ? `; before each store run: ${Object.entries(r.loadAverageBefore)
          .map(([k, l]) => `${k} ${l.join(' / ')}`)
          .join('; ')}`
      : ''
  }
- Disk: \`${c.sqliteDir}\` on ${c.filesystem}

The machine may be shared: other work (other engineers' test runs, a PostgreSQL server serving them) can
run on the same cores and disk during a run, so absolute rates vary between runs; the load averages above
say how busy it was, and the raw fsync rate is measured in the same run as the stores it is compared with.
${
  r.earlier
    ? `
## Before and after

Before: the run of ${r.earlier.date} (commit \`${r.earlier.commit}\`, load average ${r.earlier.loadAverage.join(' / ')}` +
      `${r.earlier.loadAverageEnd ? ` → ${r.earlier.loadAverageEnd.join(' / ')}` : ''}). After: this run. ` +
      `Different runs, so different load and disk: compare the rates with the raw fsync row in mind.

${comparisonRows(r, r.earlier).join('\n')}
`
    : ''
}${r.notes ? `\n## Notes\n\n${r.notes.trim()}\n` : ''}
## The physical limit and the CPU-only cost

${baseRows(r).join('\n')}

## Writer on real stores

Durable appends/s are appends whose promise resolved inside the measured window; latency is enqueue → durable
(the \`append\` call to its promise resolving) for appends started and acknowledged inside the window.
"records/txn" counts checkpoint records too. CPU is this process only (the PostgreSQL server's CPU is not
included), as a fraction of one core, over the measured window. better-sqlite3 commits synchronously on the
event loop, so SQLite's fsync time is spent on the writer's thread; PostgreSQL's is spent in the server.

One writer builds its stream's records on one thread (\`Chain.append\`), so the chain-alone rate above
(${formatRate(r.chain.perSecond)}) is a ceiling on one stream's group-commit rate however fast the disk is.

${runRows(r).join('\n')}

## Targets

${verdicts(r)
  .map((v) => `- ${v}`)
  .join('\n')}

## Settings

- Raw sync: append ${c.syncBlockBytes} B with \`fs.writeSync\` then \`fs.fsyncSync\` (resp. \`fs.fdatasyncSync\`) on a fresh
  file in the SQLite directory, ${c.syncSeconds} s each.
- Chain alone: \`Chain.append('action.decided', body, time)\` with NodeMacKeys (HMAC-SHA256) and nodeHasher (SHA-256),
  ${c.chainSeconds} s after a short warm-up; one time string per 1,000 records.
- Record body (${c.bodyBytes} B canonical JSON, a counter varies per record): \`${JSON.stringify(c.body)}\`
- Checkpoints every ${c.checkpoints.everyRecords} records or ${c.checkpoints.everyMs} ms (Ed25519 signed); \`close\` writes a final one.
- Each producer appends one record, awaits its acknowledgement, and appends the next.
- Verification: \`verifyLedgerAsync\` over the run's stream read back from the store, with the MAC keys and the public key.
${storeNotes.join('\n')}
${runNotes.join('\n')}
`;
}
