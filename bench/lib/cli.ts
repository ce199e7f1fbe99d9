/**
 * The CLI's NDJSON path: `agentos policy eval --org … --policies … --request <file>` (and the same through a
 * stdin pipe) over a generated file of requests, timed as wall clock from spawn to exit. Process start-up
 * (node, loading the org and compiling the policies) is measured separately with a two-line input and
 * reported, so the steady-state rate can be read as well as the end-to-end one.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import type { PolicySource } from '../../src/kernel/policy/compile.js';
import type { ActionRequest, Effect } from '../../src/kernel/types.js';
import type { GeneratedOrg } from './org.js';

/** One timed CLI run. */
export interface CliRun {
  /** `file`: `--request <file>`; `stdin`: piped; `jobs2`: `--request <file> --jobs 2` (two worker threads). */
  readonly mode: 'file' | 'stdin' | 'jobs2';
  readonly lines: number;
  readonly wallSeconds: number;
  readonly perSecond: number;
  /** Rate with the start-up time taken off the wall time. */
  readonly perSecondAfterStartup: number;
  readonly outputLines: number;
  readonly exitCode: number | null;
}

/** The CLI measurement. */
export interface CliResult {
  readonly startupSeconds: number;
  readonly runs: readonly CliRun[];
  /** Lines whose effect was compared with the in-process engine, and how many agreed. */
  readonly checked: number;
  readonly agreed: number;
  readonly inputBytes: number;
}

/** Workspace for the CLI run: org, policies and the request file in a temporary directory. */
export function writeWorkspace(
  org: GeneratedOrg,
  sources: readonly PolicySource[],
  requests: readonly ActionRequest[],
  lines: number,
): {
  dir: string;
  orgFile: string;
  policyDir: string;
  requestFile: string;
  smallFile: string;
  bytes: number;
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentos-bench-'));
  const orgFile = path.join(dir, 'org.yaml');
  const doc = {
    apiVersion: 'agentos/v1',
    kind: 'Organization',
    metadata: { name: org.data.name },
    ...org.data,
  };
  delete (doc as { name?: string }).name;
  writeFileSync(orgFile, stringify(JSON.parse(JSON.stringify(doc)), { lineWidth: 0 }));
  const policyDir = path.join(dir, 'policies');
  mkdirSync(policyDir);
  for (const s of sources) writeFileSync(path.join(policyDir, s.file), s.text);
  const encoded = requests.map((r) => JSON.stringify(r) + '\n');
  const requestFile = path.join(dir, 'requests.ndjson');
  const fd = openSync(requestFile, 'w');
  let bytes = 0;
  let chunk = '';
  for (let i = 0; i < lines; i++) {
    chunk += encoded[i % encoded.length];
    if (chunk.length > 1 << 20) {
      bytes += writeSync(fd, chunk);
      chunk = '';
    }
  }
  bytes += writeSync(fd, chunk);
  closeSync(fd);
  const smallFile = path.join(dir, 'two.ndjson');
  writeFileSync(smallFile, (encoded[0] ?? '') + (encoded[1] ?? ''));
  return { dir, orgFile, policyDir, requestFile, smallFile, bytes };
}

/** Runs the CLI benchmark; `expected(i)` is the in-process effect of input line i. */
export async function benchCli(
  ws: ReturnType<typeof writeWorkspace>,
  lines: number,
  expected: (i: number) => Effect,
  progress: (s: string) => void,
): Promise<CliResult> {
  const bin = path.resolve('bin/agentos.js');
  const args = ['policy', 'eval', '--org', ws.orgFile, '--policies', ws.policyDir];
  const startups: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, ...args, '--request', ws.smallFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    startups.push(Number(process.hrtime.bigint() - t) / 1e9);
    if (r.status !== 0) throw new Error(`agentos policy eval failed (${r.status}): ${String(r.stderr)}`);
  }
  startups.sort((a, b) => a - b);
  const startupSeconds = startups[1] ?? NaN;
  progress(`cli: start-up ${(startupSeconds * 1000).toFixed(0)} ms`);

  const runs: CliRun[] = [];
  const outFile = path.join(ws.dir, 'decisions.ndjson');
  for (const mode of ['file', 'stdin', 'jobs2'] as const) {
    rmSync(outFile, { force: true });
    const t = process.hrtime.bigint();
    let r;
    if (mode !== 'stdin') {
      const out = openSync(outFile, 'w');
      const jobs = mode === 'jobs2' ? ['--jobs', '2'] : [];
      r = spawnSync(process.execPath, [bin, ...args, '--request', ws.requestFile, ...jobs], {
        stdio: ['ignore', out, 'pipe'],
      });
      closeSync(out);
    } else {
      const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
      const cmd = `cat ${q(ws.requestFile)} | ${q(process.execPath)} ${[bin, ...args].map(q).join(' ')} > ${q(outFile)}`;
      r = spawnSync('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    const wallSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    const outputLines = await countLines(outFile);
    runs.push({
      mode,
      lines,
      wallSeconds,
      perSecond: lines / wallSeconds,
      perSecondAfterStartup: lines / Math.max(1e-9, wallSeconds - startupSeconds),
      outputLines,
      exitCode: r.status,
    });
    progress(
      `cli (${mode}): ${lines} lines in ${wallSeconds.toFixed(2)} s, ${outputLines} decisions out, exit ${r.status}`,
    );
    if (r.status !== 0) progress(`cli stderr: ${String(r.stderr).slice(0, 500)}`);
  }
  const { checked, agreed } = await compareEffects(outFile, 50_000, expected);
  rmSync(outFile, { force: true });
  return { startupSeconds, runs, checked, agreed, inputBytes: ws.bytes };
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let i = -1;
    while ((i = chunk.indexOf(10, i + 1)) !== -1) n++;
  }
  return n;
}

async function compareEffects(
  file: string,
  limit: number,
  expected: (i: number) => Effect,
): Promise<{ checked: number; agreed: number }> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let checked = 0;
  let agreed = 0;
  for await (const line of rl) {
    const d = JSON.parse(line) as { effect?: string };
    if (d.effect === expected(checked)) agreed++;
    if (++checked >= limit) break;
  }
  rl.close();
  return { checked, agreed };
}
