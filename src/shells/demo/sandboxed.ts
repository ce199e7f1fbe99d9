/**
 * The demo's sandboxed agents (issue 5): training-bot's reminder job, then the same job with a backdoored
 * dependency, each started with the real `agentos run`. The first does its work through the kernel; the
 * second tries to get around it — the HR system directly, the kernel's files, secrets in its environment,
 * a paste site through the proxy, a raise through its own credential — and is blocked each time; what
 * reached the kernel is decided and recorded, so the console's ledger shows it.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Enforcement } from '../run/service.js';
import type { Style } from '../cli/style.js';

const BIN = fileURLToPath(new URL('../../../bin/agentos.js', import.meta.url));
const AGENTS_DIR = fileURLToPath(new URL('../../../examples/onboarding/agents/', import.meta.url));

/** What the sandboxed part needs. */
export interface SandboxedDeps {
  readonly url: string;
  /** The token `agentos run` starts the runs with (training-bot's owner). */
  readonly token: string;
  readonly dataDir: string;
  /** The HR system's URL, which the compromised job tries to call directly. */
  readonly hrSystem: string;
  readonly enforcement: Enforcement;
  readonly style: Style;
  say(line: string): void;
}

/** Runs both jobs under `agentos run`, one after the other; never throws (the demo goes on). */
export async function runSandboxedAgents(d: SandboxedDeps): Promise<void> {
  const s = d.style;
  if (d.enforcement.level === 'advisory') {
    d.say(
      `\n${s.bold('sandboxed agents')} ${s.dim('skipped: this machine cannot sandbox them')} (${d.enforcement.missing.join('; ')}; see \`agentos doctor\`)`,
    );
    return;
  }
  d.say(
    `\n${s.bold('sandboxed agents')} (agentos run: bubblewrap, seccomp${d.enforcement.cgroups.kind === 'none' ? '' : ', cgroups'}; enforcement ${d.enforcement.level}):`,
  );
  await job(d, 'reminders.mjs', 'runs its reminder job, confined');
  await job(d, 'compromised.mjs', 'runs it again, with a backdoored dependency that tries to get out:');
}

function job(d: SandboxedDeps, script: string, title: string): Promise<void> {
  const s = d.style;
  d.say(`  ${s.bold('training-bot'.padEnd(13))} ${title}`);
  const child = spawn(
    process.execPath,
    [
      BIN,
      'run',
      '--agent',
      'training-bot',
      '--env',
      `HR_SYSTEM=${d.hrSystem}`,
      '--env',
      `KERNEL_DATA=${resolve(d.dataDir)}`,
      '--',
      process.execPath,
      `${AGENTS_DIR}${script}`,
    ],
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AGENTOS_URL: d.url, AGENTOS_TOKEN: d.token } },
  );
  let out = '';
  const flush = (final: boolean): void => {
    const lines = out.split('\n');
    out = final ? '' : (lines.pop() ?? '');
    for (const l of lines)
      if (l.trim() !== '') d.say(`  ${' '.repeat(13)} ${l.startsWith('✗') ? s.red(l) : l}`);
  };
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    flush(false);
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    flush(false);
  });
  return new Promise((done) => {
    child.on('error', (e) => {
      d.say(`  ${' '.repeat(13)} ${s.red(`agentos run could not start: ${e.message}`)}`);
      done();
    });
    child.on('close', (code) => {
      flush(true);
      if (code !== 0) d.say(`  ${' '.repeat(13)} ${s.dim(`(agentos run exited ${String(code)})`)}`);
      done();
    });
  });
}
