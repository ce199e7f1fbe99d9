/**
 * Runs a command under bubblewrap: new user (uid/gid 65534, no capabilities), network (loopback only), PID,
 * IPC, UTS and cgroup namespaces, a read-only root, tmpfs over `/tmp`, and — when given — a seccomp filter
 * passed on file descriptor 3.
 */
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

/** How to run one command in a sandbox. */
export interface SandboxRun {
  /** The program and its arguments, as seen inside the sandbox. */
  readonly command: readonly string[];
  /** The seccomp program (bytes of `struct sock_filter`), or none. */
  readonly seccomp?: Uint8Array | undefined;
  /** Disable user namespaces inside the sandbox (`--disable-userns`); default true. */
  readonly disableUserns?: boolean | undefined;
  /** Killed after this long; default 20 s. */
  readonly timeoutMs?: number | undefined;
  /** The bwrap binary; default `bwrap` on the PATH. */
  readonly bwrap?: string | undefined;
}

/** What a sandboxed command did. */
export interface SandboxResult {
  /** Exit code, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The uid and gid the agent runs as inside the sandbox (`nobody`). */
export const SANDBOX_ID = 65534;

/**
 * The bwrap arguments that build the sandbox (without `--seccomp` and the command); the command starts in
 * `chdir` (default `/tmp`; null: the caller says where).
 */
export function sandboxArgs(
  opts: { disableUserns?: boolean | undefined; chdir?: string | null } = {},
): string[] {
  const chdir = opts.chdir === undefined ? '/tmp' : opts.chdir;
  return [
    '--unshare-all',
    '--unshare-user',
    ...(opts.disableUserns === false ? [] : ['--disable-userns']),
    '--uid',
    String(SANDBOX_ID),
    '--gid',
    String(SANDBOX_ID),
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    '--die-with-parent',
    '--new-session',
    ...(chdir === null ? [] : ['--chdir', chdir]),
  ];
}

/** Runs a command in a sandbox and collects its output; rejects only when bwrap cannot be started. */
export function runSandboxed(run: SandboxRun): Promise<SandboxResult> {
  const seccomp = run.seccomp;
  const args = [
    ...sandboxArgs({ disableUserns: run.disableUserns }),
    ...(seccomp ? ['--seccomp', '3'] : []),
    '--',
    ...run.command,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(run.bwrap ?? 'bwrap', args, {
      stdio: ['ignore', 'pipe', 'pipe', seccomp ? 'pipe' : 'ignore'],
      timeout: run.timeoutMs ?? 20_000,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    if (seccomp) {
      // bwrap reads the filter to end of file before it builds the sandbox
      const fd3 = child.stdio[3] as Writable;
      fd3.on('error', () => {}); // bwrap failing early closes the pipe; its exit status says why
      fd3.end(seccomp);
    }
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
