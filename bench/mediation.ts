/**
 * `npm run bench:mediation`: what mandatory mediation costs (issue 5 §7), each side by side in one run:
 *
 * - spawn: a bare `spawn` of a command vs the same command started in the sandbox (bubblewrap namespaces,
 *   the seccomp filter on a file descriptor); the difference is the time added per spawn.
 * - mcp: a `tools/call` of server-filesystem's `read_text_file` over stdio, directly vs through
 *   `agentos mcp` (the action decided and recorded by a real daemon before the call, its outcome after).
 * - egress: an HTTP GET to a loopback server, directly vs through a real daemon's egress proxy (the
 *   `http.request` action decided and recorded, then `net.connect` on the loopback address, then forwarded).
 *
 * Writes bench/results/mediation.{md,json}. Flags: `--quick` (short run, nothing written unless `--write`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createAgentCredential, initDataDir, startDaemon } from '../src/root.js';
import { runSandboxed } from '../src/adapters/sandbox-linux/bwrap.js';
import { hostArch } from '../src/adapters/sandbox-linux/host-arch.js';
import { sandboxFilter } from '../src/adapters/sandbox-linux/seccomp/program.js';
import { machine, type Machine } from './lib/machine.js';
import { quantile } from './lib/stats.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const write = argv.includes('--write') || !quick;
const SPAWNS = quick ? 30 : 200;
const EGRESS = quick ? 50 : 500;
const MCP_CALLS = quick ? 50 : 500;
const WARM = quick ? 5 : 20;

/** Milliseconds per call: median, p99, mean. */
interface Side {
  readonly n: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly meanMs: number;
}

/** One comparison: the direct way and the mediated way of doing the same thing. */
interface Comparison {
  readonly name: string;
  readonly what: string;
  readonly direct: Side;
  readonly mediated: Side;
  /** Target, as the issue states it. */
  readonly target: string;
  readonly met: boolean;
}

function side(samples: readonly number[]): Side {
  const sorted = Float64Array.from(samples).sort();
  return {
    n: samples.length,
    p50ms: quantile(sorted, 0.5),
    p99ms: quantile(sorted, 0.99),
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

/** Times `n` sequential runs of `once` after `warm` unmeasured ones. */
async function timed(n: number, warm: number, once: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < warm; i++) await once();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await once();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

/** Alternates the two sides in rounds of ten, so drift on the machine touches both alike. */
async function interleaved(
  n: number,
  warm: number,
  a: () => Promise<void>,
  b: () => Promise<void>,
): Promise<[number[], number[]]> {
  const sa: number[] = [];
  const sb: number[] = [];
  await timed(0, warm, a);
  await timed(0, warm, b);
  for (let done = 0; done < n; done += 10) {
    sa.push(...(await timed(Math.min(10, n - done), 0, a)));
    sb.push(...(await timed(Math.min(10, n - done), 0, b)));
  }
  return [sa, sb];
}

/** Times both ways of doing the same thing, interleaved, and says whether the mediated one met `target`. */
async function compare(c: {
  readonly name: string;
  readonly what: string;
  readonly n: number;
  readonly direct: () => Promise<void>;
  readonly mediated: () => Promise<void>;
  readonly target: string;
  readonly met: (direct: Side, mediated: Side) => boolean;
}): Promise<Comparison> {
  const [d, m] = await interleaved(c.n, WARM, c.direct, c.mediated);
  const direct = side(d);
  const mediated = side(m);
  return { name: c.name, what: c.what, direct, mediated, target: c.target, met: c.met(direct, mediated) };
}

const bareSpawn = (command: readonly string[]) => (): Promise<void> =>
  new Promise((resolve, reject) => {
    const [file = '', ...args] = command;
    const child = spawn(file, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${String(code)}`))));
  });

async function benchSpawn(): Promise<Comparison> {
  const arch = hostArch();
  if (!arch) throw new Error(`no seccomp filter for ${process.arch}`);
  const seccomp = sandboxFilter(arch);
  const command = ['/bin/true'];
  const sandboxed = async (): Promise<void> => {
    const r = await runSandboxed({ command, seccomp });
    if (r.code !== 0) throw new Error(`sandboxed /bin/true: ${r.code} ${r.stderr}`);
  };
  return compare({
    name: 'spawn',
    what: '`/bin/true`: node `spawn` vs `runSandboxed` (bwrap: user, net, pid, ipc, uts, mount namespaces, read-only root, seccomp on fd 3)',
    n: SPAWNS,
    direct: bareSpawn(command),
    mediated: sandboxed,
    target: '≤ 15 ms added per spawn (p50)',
    met: (d, m) => m.p50ms - d.p50ms <= 15,
  });
}

/** A data directory whose org has one agent, `agent`, under `policy` (rules scoped to its department). */
async function benchNode(dir: string, agent: string, rules: string): Promise<string> {
  await initDataDir(dir);
  writeFileSync(
    path.join(dir, 'org.yaml'),
    `apiVersion: agentos/v1
kind: Organization
metadata: { name: bench }
departments:
  - { id: eng, name: Engineering }
people:
  - { id: ann@bench.test, name: Ann, department: eng }
agents:
  - { id: ${agent}, owner: ann@bench.test, department: eng, autonomy: 3 }
`,
  );
  writeFileSync(
    path.join(dir, 'policies', 'bench.yaml'),
    `apiVersion: agentos/v1
kind: Policy
metadata: { name: bench }
scope: { department: eng }
rules:
${rules}`,
  );
  return (await createAgentCredential(dir, agent)).secret;
}

/** A data directory with one agent allowed to reach `port` on loopback through the proxy. */
async function egressNode(port: number): Promise<{ dir: string; credential: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'agentos-bench-mediation-'));
  const credential = await benchNode(
    dir,
    'fetcher',
    `  - { id: web, effect: allow, action: http.request, resource: "http://127.0.0.1:${port}/**" }
  - { id: web-address, effect: allow, action: net.connect, resource: "127.0.0.1:${port}" }
`,
  );
  appendFileSync(path.join(dir, 'agentos.yaml'), '\negress: { listen: 127.0.0.1:0 }\n');
  return { dir, credential };
}

/** One GET, resolved once the whole body has arrived. */
function get(options: http.RequestOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function benchEgress(): Promise<Comparison> {
  const body = Buffer.alloc(1024, 'x');
  const web = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const port = (web.address() as AddressInfo).port;
  const { dir, credential } = await egressNode(port);
  const daemon = await startDaemon({ dataDir: dir });
  try {
    const proxy = new URL(daemon.egressUrl ?? '');
    const auth = `Basic ${Buffer.from(`fetcher:${credential}`).toString('base64')}`;
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const viaProxy = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const direct = () => get({ host: '127.0.0.1', port, path: '/page', agent: keepAlive });
    const proxied = () =>
      get({
        host: proxy.hostname,
        port: proxy.port,
        path: `http://127.0.0.1:${port}/page`,
        headers: { 'proxy-authorization': auth, host: `127.0.0.1:${port}` },
        agent: viaProxy,
      });
    return await compare({
      name: 'egress',
      what: 'HTTP GET of 1 KiB from a loopback server, keep-alive: direct vs through the egress proxy of a real daemon (SQLite, group commit): `http.request` decided and recorded, `net.connect` on the loopback address decided and recorded, then forwarded and the outcome recorded',
      n: EGRESS,
      direct,
      mediated: proxied,
      target: 'none set (reported)',
      met: () => true,
    });
  } finally {
    await daemon.close();
    web.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchMcp(): Promise<Comparison> {
  const filesystem = path.resolve('node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'agentos-bench-mcp-'));
  const files = path.join(dir, 'files');
  mkdirSync(files);
  writeFileSync(path.join(files, 'notes.txt'), 'x'.repeat(1024));
  const data = path.join(dir, 'data');
  const secret = await benchNode(
    data,
    'coder',
    '  - { id: reads, effect: allow, action: "mcp.filesystem.*", when: { mcp.readOnly: true } }\n',
  );
  const daemon = await startDaemon({ dataDir: data });
  const direct = new Client({ name: 'bench', version: '1' });
  const governed = new Client({ name: 'bench', version: '1' });
  try {
    await direct.connect(
      new StdioClientTransport({ command: process.execPath, args: [filesystem, files], stderr: 'ignore' }),
    );
    await governed.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [
          path.resolve('bin/agentos.js'),
          'mcp',
          '--agent',
          'coder',
          '--',
          process.execPath,
          filesystem,
          files,
        ],
        env: { PATH: process.env.PATH ?? '', AGENTOS_URL: daemon.url, AGENTOS_CREDENTIAL: secret },
        stderr: 'ignore',
      }),
    );
    const call = (client: Client) => async (): Promise<void> => {
      const r = await client.callTool({
        name: 'read_text_file',
        arguments: { path: path.join(files, 'notes.txt') },
      });
      if (r.isError) throw new Error(`read_text_file: ${JSON.stringify(r.content)}`);
    };
    return await compare({
      name: 'mcp',
      what: "`tools/call` of server-filesystem's `read_text_file` (1 KiB) over stdio: the server directly vs through `agentos mcp` (submit, decided and recorded by a real daemon on SQLite with group commit, the call, the outcome reported and recorded)",
      n: MCP_CALLS,
      direct: call(direct),
      mediated: call(governed),
      target: '≤ 1.2× direct (p50)',
      met: (d, m) => m.p50ms / d.p50ms <= 1.2,
    });
  } finally {
    await direct.close();
    await governed.close();
    await daemon.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function render(m: Machine, rows: readonly Comparison[]): string {
  const f = (ms: number) => `${ms.toFixed(2)} ms`;
  const lines = [
    '# Mediation benchmark: what the sandbox and the gateways add',
    '',
    `- Date: ${m.date}; commit \`${m.commit}\``,
    `- Machine: ${m.cpuModel}, ${m.cpus} CPUs, ${m.ramGiB} GiB RAM; ${m.os}; Node ${m.node}`,
    `- Load average at start ${m.loadAverage.join(' / ')}`,
    '- Each comparison alternates the direct and the mediated side in rounds of ten calls, sequentially',
    '  (one call at a time), after a warm-up of each; figures are per call.',
    '',
    '| what | direct p50 | p99 | mediated p50 | p99 | mediated / direct (p50) | added p50 | target | met |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${f(r.direct.p50ms)} | ${f(r.direct.p99ms)} | ${f(r.mediated.p50ms)} | ${f(r.mediated.p99ms)} | ${(r.mediated.p50ms / r.direct.p50ms).toFixed(2)} | ${f(r.mediated.p50ms - r.direct.p50ms)} | ${r.target} | ${r.met ? 'yes' : 'NO'} |`,
    );
  }
  lines.push('', ...rows.map((r) => `- **${r.name}**: ${r.what}; ${r.direct.n} calls each side.`), '');
  lines.push(
    '## Reading the ratios',
    '',
    '- What mediation adds to an MCP call or an egress request is a fixed cost per call, independent of',
    '  what the call does: the decision is recorded durably before the call (a round trip to the daemon,',
    '  `action.requested` + `action.decided` and the action row committed) and the outcome after. A ratio',
    '  against a tool that answers in about a millisecond is therefore large; against a tool that takes T ms',
    '  it is (T + added) / T, so the 1.2× target holds for tools taking at least five times the added p50.',
    '- An egress request to a non-public address (these loopback fixtures) is two actions, `http.request` and',
    '  `net.connect`; a public address needs only the first.',
    '- Spawn: both sides fork this benchmark process, whose size (the daemon and its parsers are loaded for',
    '  the other rows) makes even the bare spawn cost several milliseconds.',
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (spawnSync('bwrap', ['--version']).status !== 0) throw new Error('bwrap is not installed');
  const m = machine();
  const rows: Comparison[] = [];
  rows.push(await benchSpawn());
  rows.push(await benchMcp());
  rows.push(await benchEgress());
  const md = render(m, rows);
  process.stdout.write(md);
  if (write) {
    const dir = path.resolve('bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'mediation.md'), md);
    writeFileSync(path.join(dir, 'mediation.json'), JSON.stringify({ machine: m, rows }, null, 2) + '\n');
  }
}

await main();
