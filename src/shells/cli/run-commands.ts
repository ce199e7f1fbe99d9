/**
 * `agentos run` and `agentos doctor` (issue 5 §1). `run` asks the daemon to start a command as an agent in
 * a sandbox (`POST /v1/runs`) and relays what comes back: the command's stdout and stderr as they are, its
 * exit status as this process's own (128 + the signal number when a signal ended it). A run the kernel
 * refuses exits as its error code says (docs/cli.md). Killing `agentos run` kills the run. `doctor` probes
 * what this machine can enforce and exits 6 unless it is `os-enforced`.
 */
import type { Command } from 'commander';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { AgentOsError, ERROR_CODES, type ErrorCode } from '../../kernel/errors.js';
import { DEFAULT_RUNS_HOST_UID, probeEnforcement } from '../run/service.js';
import { DEFAULT_KERNEL_URL } from './client-commands.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { write } from './io.js';

interface RunOpts {
  agent: string;
  workspace?: string;
  kernel?: string;
  token?: string;
  env: string[];
  stdin?: boolean;
}

/** One line of the run's stream. */
type Line =
  | { type: 'waiting'; status: string; message: string }
  | { type: 'started'; run: string; enforcement: string }
  | { type: 'output'; fd: 1 | 2; data: string }
  | { type: 'exit'; code: number | null; signal: string | null; oom: boolean; killed: boolean }
  | { type: 'refused' | 'error'; code: string; message: string };

const collect = (v: string, all: string[]): string[] => [...all, v];

/** Adds `run` and `doctor`. */
export function addRunCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('run')
    .description('run a command as an agent, confined: its only ways out are the kernel (needs a daemon)')
    .usage('--agent <id> [options] -- <command...>')
    .requiredOption('--agent <id>', 'the agent the command runs as')
    .option('--workspace <dir>', 'the directory the command may write (default: a fresh empty one)')
    .option('--env <NAME=value>', 'an environment variable for the command (repeatable)', collect, [])
    .option('-i, --stdin', "send this process's stdin to the command (without it, the command reads nothing)")
    .option('--kernel <url>', `the daemon's URL (default: $AGENTOS_URL or ${DEFAULT_KERNEL_URL})`)
    .option('--token <token>', 'your API token, or the agent credential (default: $AGENTOS_TOKEN)')
    .argument('<command...>', 'the command and its arguments, after `--`')
    .action(async (command: string[], opts: RunOpts) => {
      setExit(await run(command, opts, io));
    });

  program
    .command('doctor')
    .description('what this machine can enforce for sandboxed agents, and the enforcement level')
    .option(
      '--uid <uid>',
      `the host uid sandboxes run as when the kernel is root (default ${DEFAULT_RUNS_HOST_UID})`,
    )
    .option('--json', 'print the report as JSON')
    .action(async (opts: { uid?: string; json?: boolean }) => {
      const uid = opts.uid === undefined ? DEFAULT_RUNS_HOST_UID : Number(opts.uid);
      if (!Number.isInteger(uid) || uid < 1)
        throw new AgentOsError('AOS_USAGE', `--uid must be a uid, not \`${opts.uid ?? ''}\``);
      const root = process.getuid?.() === 0;
      const e = await probeEnforcement(root ? uid : undefined, { landlock: true });
      if (opts.json) {
        const { level, missing, probes } = e;
        await write(io.stdout, `${JSON.stringify({ level, missing, probes }, null, 2)}\n`);
      } else {
        const rows = Object.entries(e.probes).map(
          ([name, p]) => `  ${p.ok ? 'ok  ' : 'no  '} ${name.padEnd(10)} ${p.detail}`,
        );
        const as = root ? `as uid ${uid} (the kernel is root)` : `as uid ${process.getuid?.() ?? '?'}`;
        await write(io.stdout, `sandbox probes, ${as}:\n${rows.join('\n')}\nenforcement: ${e.level}\n`);
      }
      if (e.level !== 'os-enforced') setExit(EXIT.unenforced);
    });
}

async function run(command: string[], opts: RunOpts, io: CliIo): Promise<number> {
  const url = (opts.kernel ?? (io.env.AGENTOS_URL || DEFAULT_KERNEL_URL)).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(url)) {
    throw new AgentOsError('AOS_USAGE', `kernel URL \`${url}\` is not an http:// or https:// URL`);
  }
  const token = opts.token ?? io.env.AGENTOS_TOKEN ?? io.env.AGENTOS_CREDENTIAL;
  if (!token) {
    throw new AgentOsError(
      'AOS_USAGE',
      'no API token: pass `--token` or set `AGENTOS_TOKEN` (or `AGENTOS_CREDENTIAL`)',
    );
  }
  const env: Record<string, string> = {};
  for (const pair of opts.env) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new AgentOsError('AOS_USAGE', `--env takes NAME=value, not \`${pair}\``);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const body = {
    agent: opts.agent,
    command,
    ...(opts.workspace === undefined ? {} : { workspace: resolve(opts.workspace) }),
    ...(opts.env.length > 0 ? { env } : {}),
    ...(opts.stdin ? { stdin: true } : {}),
  };
  let res: Response;
  try {
    res = await fetch(`${url}/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new AgentOsError('AOS_IO', `cannot reach the kernel at ${url}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (!res.ok || !res.body) {
    const answer = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    throw apiError(answer.error?.code, answer.error?.message ?? `the kernel answered ${res.status}`);
  }
  let exit: number | undefined;
  let lastWait = '';
  const feeding = new AbortController();
  let fed: Promise<void> | undefined;
  let buffered = '';
  const decoder = new TextDecoder();
  const handle = async (l: Line): Promise<void> => {
    switch (l.type) {
      case 'waiting':
        if (l.message !== lastWait) await write(io.stderr, `agentos: ${l.message}\n`);
        lastWait = l.message;
        break;
      case 'started':
        if (opts.stdin)
          fed = feed(`${url}/v1/runs/${encodeURIComponent(l.run)}/stdin`, token, io, feeding.signal);
        break;
      case 'output':
        await write(l.fd === 1 ? io.stdout : io.stderr, Buffer.from(l.data, 'base64'));
        break;
      case 'exit':
        if (l.oom) await write(io.stderr, 'agentos: the run went over its memory limit and was killed\n');
        else if (l.killed) await write(io.stderr, 'agentos: the run was killed\n');
        exit = l.code ?? 128 + signalNumber(l.signal);
        break;
      case 'refused':
      case 'error':
        throw apiError(l.code, l.message);
    }
  };
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (text.trim() !== '') await handle(JSON.parse(text) as Line);
      }
    }
  } finally {
    if (fed) {
      // the run has ended (or its stream failed): input it did not take is not sent, and stdin is let go
      feeding.abort();
      await fed;
      io.stdin.destroy();
    }
  }
  if (exit === undefined) throw new AgentOsError('AOS_IO', 'the kernel ended the run without an exit status');
  return exit;
}

/** Streams this process's stdin to the run (`PUT /v1/runs/:run/stdin`) until it ends or `signal` aborts. */
async function feed(url: string, token: string, io: CliIo, signal: AbortSignal): Promise<void> {
  const init: RequestInit & { duplex: 'half' } = {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: Readable.toWeb(io.stdin) as ReadableStream<Uint8Array>,
    duplex: 'half', // a streamed body
    signal,
  };
  try {
    const res = await fetch(url, init);
    if (!res.ok) {
      const answer = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      await write(
        io.stderr,
        `agentos: the run's input was refused: ${answer.error?.message ?? `the kernel answered ${res.status}`}\n`,
      );
    }
  } catch (e) {
    if (!signal.aborted)
      await write(io.stderr, `agentos: cannot send the run's input: ${(e as Error).message}\n`);
  }
}

function signalNumber(signal: string | null): number {
  const n = signal ? (constants.signals as Record<string, number>)[signal] : undefined;
  return n ?? 9;
}

function apiError(code: string | undefined, message: string): AgentOsError {
  if (code !== undefined && code in ERROR_CODES) return new AgentOsError(code as ErrorCode, message);
  return new AgentOsError('AOS_INTERNAL', `the kernel answered ${code ?? 'an error'}: ${message}`);
}
