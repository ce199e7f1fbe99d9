/**
 * `npm run bench:api`: governed actions/s through a real `agentos serve` (its own process, SQLite, durable
 * group commit) and the latency it adds over a bare loopback HTTP call to a minimal node:http server (also its
 * own process) answering a JSON body of the same size, with N concurrent agents, each its own identity.
 * Both are driven by the same client loop in this process, in one run. Writes bench/results/api.{md,json}.
 *
 * Flags: `--quick` (short run, nothing written unless `--write`), `--agents=16,64` (concurrency levels),
 * `--cpu-prof=<dir>` (the daemon writes a V8 CPU profile there, for `bench/results/api.md`'s analysis).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { machine } from './lib/machine.js';
import { formatRate, quantile } from './lib/stats.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const write = argv.includes('--write') || !quick;
const levels = (argv.find((a) => a.startsWith('--agents='))?.slice(9) ?? '16,64').split(',').map(Number);
const cpuProf = argv.find((a) => a.startsWith('--cpu-prof='))?.slice(11);
const WARM_S = quick ? 0.5 : 1;
const RUN_S = quick ? 2 : 5;
const root = path.resolve('.');
const bin = path.join(root, 'bin/agentos.js');

interface Side {
  readonly perSecond: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly requests: number;
  readonly errors: number;
}
interface Row {
  readonly agents: number;
  readonly bare: Side;
  readonly governed: Side;
}

function agentos(args: string[], data: string): string {
  const r = spawnSync(process.execPath, [bin, ...args, '--data', data], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`agentos ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A data directory with the example org plus `n` payroll agents owned by gina. */
function dataDir(n: number): string {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'agentos-bench-api-'));
  const data = path.join(tmp, 'data');
  agentos(['init'], data);
  const example = path.join(root, 'examples/onboarding');
  const agents = Array.from(
    { length: n },
    (_, i) =>
      `  - { id: bench-${i}, owner: gina@acme.test, department: finance-payroll, role: payroll-clerk, autonomy: 3 }`,
  );
  writeFileSync(
    path.join(data, 'org.yaml'),
    `${readFileSync(path.join(example, 'org.yaml'), 'utf8')}\n${agents.join('\n')}\n`,
  );
  for (const f of readdirSync(path.join(example, 'policies'))) {
    copyFileSync(path.join(example, 'policies', f), path.join(data, 'policies', f));
  }
  return data;
}

function start(cmd: string[], pattern: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, cmd, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = pattern.exec(out);
      if (m?.[1]) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`exited ${String(code)}: ${out}`)));
  });
}

const BARE = `
  const http = require('node:http');
  const body = JSON.stringify({ id: 'act_01M80Z9JAKCAA6F37YECBC9MYF', status: 'allowed', decision: { effect: 'allow',
    rules: ['finance-payroll/payroll-records'], reason: 'allowed by rule finance-payroll/payroll-records', risk: 'medium',
    constraints: [], approvers: [], decisionId: 'dec_01M80Z9JAKCAA6F37YECBC9MYF' } });
  const s = http.createServer((req, res) => { const chunks = []; req.on('data', (c) => chunks.push(c));
    req.on('end', () => { JSON.parse(Buffer.concat(chunks).toString()); res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); }); });
  s.keepAliveTimeout = 60000;
  s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
`;

/** N clients, each looping POST /v1/actions as its own agent over keep-alive, for warm-up then the run. */
async function drive(url: string, secrets: readonly string[]): Promise<Side> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: secrets.length });
  const target = new URL('/v1/actions', url);
  let measuring = false;
  let stop = false;
  let errors = 0;
  const samples: number[] = [];
  const one = (secret: string, i: number) =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify({
        agent: `bench-${i}`,
        action: 'payroll.update',
        resource: 'employee/1042',
        args: { salary: 90_000 },
      });
      const t0 = process.hrtime.bigint();
      const req = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${secret}`,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) errors++;
            if (measuring) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const loops = secrets.map(async (secret, i) => {
    while (!stop) await one(secret, i);
  });
  await new Promise((r) => setTimeout(r, WARM_S * 1000));
  measuring = true;
  errors = 0;
  const started = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, RUN_S * 1000));
  measuring = false;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const n = samples.length;
  stop = true;
  await Promise.all(loops);
  agent.destroy();
  const sorted = Float64Array.from(samples).sort();
  return {
    perSecond: n / seconds,
    p50ms: quantile(sorted, 0.5),
    p99ms: quantile(sorted, 0.99),
    requests: n,
    errors,
  };
}

async function main(): Promise<void> {
  const m = machine();
  const rows: Row[] = [];
  const verified: string[] = [];
  for (const n of levels) {
    const bare = await start(['-e', BARE], /listening on (http:\/\/\S+)/);
    const bareSide = await drive(
      bare.url,
      Array.from({ length: n }, () => 'x'.repeat(48)),
    );
    bare.child.kill('SIGTERM');

    const data = dataDir(n);
    const secrets = Array.from({ length: n }, (_, i) =>
      agentos(['agents', 'credential', `bench-${i}`], data),
    );
    const daemon = await start(
      [
        ...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProf)}`] : []),
        bin,
        'serve',
        '--data',
        data,
        '--port',
        '0',
        '--quiet',
      ],
      /listening on (http:\/\/\S+)/,
    );
    const governed = await drive(daemon.url, secrets);
    const exited = new Promise((r) => daemon.child.on('exit', r));
    daemon.child.kill('SIGTERM');
    await exited;
    verified.push(`${n} agents: ${agentos(['audit', 'verify'], data)}`);
    rmSync(path.dirname(data), { recursive: true, force: true });
    rows.push({ agents: n, bare: bareSide, governed });
    console.log(
      `${n} agents: governed ${formatRate(governed.perSecond)} (p50 ${governed.p50ms.toFixed(2)} ms, p99 ${governed.p99ms.toFixed(2)} ms, ${governed.errors} errors); ` +
        `bare ${formatRate(bareSide.perSecond)} (p50 ${bareSide.p50ms.toFixed(2)} ms, p99 ${bareSide.p99ms.toFixed(2)} ms)`,
    );
  }
  if (!write) return;
  const md = [
    '# API benchmark: governed actions over HTTP',
    '',
    `- Date: ${m.date}; commit \`${m.commit}\``,
    `- Machine: ${m.cpuModel}, ${m.cpus} CPUs, ${m.ramGiB} GiB RAM; ${m.os}; Node ${m.node}`,
    `- Load average at start ${m.loadAverage.join(' / ')}`,
    `- Each level: ${WARM_S} s warm-up, ${RUN_S} s measured; N clients in this process, each looping one`,
    '  `POST /v1/actions` at a time over keep-alive, each as its own agent (autonomy 3, an allowed `payroll.update`).',
    '- Governed: `agentos serve` in its own process on a fresh SQLite data directory (WAL, synchronous=FULL,',
    '  group commit): authenticate, contract, classify, decide, record `action.requested` + `action.decided`',
    '  durably, store the action, answer `allowed`. Bare: a node:http server in its own process that parses the',
    '  body and answers a decision-sized JSON, no work. The client and both servers share the 2 cores.',
    '',
    '| agents | governed actions/s | p50 | p99 | bare calls/s | p50 | p99 | governed / bare | added p50 | added p99 | errors |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.agents} | ${formatRate(r.governed.perSecond)} | ${r.governed.p50ms.toFixed(2)} ms | ${r.governed.p99ms.toFixed(2)} ms | ` +
        `${formatRate(r.bare.perSecond)} | ${r.bare.p50ms.toFixed(2)} ms | ${r.bare.p99ms.toFixed(2)} ms | ` +
        `${(r.governed.perSecond / r.bare.perSecond).toFixed(2)} | ${(r.governed.p50ms - r.bare.p50ms).toFixed(2)} ms | ` +
        `${(r.governed.p99ms - r.bare.p99ms).toFixed(2)} ms | ${r.governed.errors} |`,
    ),
    '',
    `Target: ≥ 10k governed actions/s per node with durable group commit: ${
      rows.some((r) => r.governed.perSecond >= 10_000) ? 'met' : 'MISSED'
    } (best ${formatRate(Math.max(...rows.map((r) => r.governed.perSecond)))}).`,
    '',
    'Ledger after each run (`agentos audit verify`):',
    '',
    ...verified.map((v) => `- ${v}`),
    '',
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/api.md', md);
  writeFileSync(
    'bench/results/api.json',
    JSON.stringify({ machine: m, warmSeconds: WARM_S, seconds: RUN_S, rows }, null, 2) + '\n',
  );
  console.log('wrote bench/results/api.md and api.json');
}

await main();
