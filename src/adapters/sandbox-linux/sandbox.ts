/**
 * Starts a long-lived, supervised sandbox for one run (issue 5 §1): the command in bubblewrap's namespaces
 * under the seccomp filter, inside the run's cgroup, as a dedicated unprivileged host uid when the kernel is
 * root, with a cleared environment, the host's sockets and secrets covered by tmpfs, the workspace the only
 * writable host directory, and the kernel's Unix sockets bound in as the only exits. Small TCP relays on the
 * sandbox's own loopback (socat, inside the sandbox) carry tools that only speak `HTTP_PROXY` or a URL to
 * those sockets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { AgentOsError } from '../../kernel/errors.js';
import { sandboxArgs } from './bwrap.js';
import { RunCgroup, type CgroupLimits, type CgroupSupport } from './cgroup.js';

/** A Unix socket of the kernel bound into the sandbox. */
export interface SocketBind {
  /** The socket's host path. */
  readonly source: string;
  /** Where the sandbox sees it (under `/run/agentos`). */
  readonly target: string;
}

/** A TCP listener on the sandbox's 127.0.0.1 relaying to a socket bound in. */
export interface Relay {
  readonly port: number;
  /** The socket's path inside the sandbox. */
  readonly socket: string;
}

/** Everything one sandboxed run needs. */
export interface SandboxSpec {
  /** Names the run's cgroup (`agentos/<name>`). */
  readonly name: string;
  readonly command: readonly string[];
  /** The host directory bound read-write at the same path (the command's working directory). */
  readonly workspace: string;
  /** The whole environment of the command. */
  readonly env: Readonly<Record<string, string>>;
  readonly sockets: readonly SocketBind[];
  readonly relays: readonly Relay[];
  /**
   * Host paths shown read-only at their own path even when a cover hides them (Agent OS's installation,
   * so its SDK and examples are there wherever it is installed).
   */
  readonly expose: readonly string[];
  /** More host paths to cover with an empty tmpfs (the kernel's data directory); they win over `expose`. */
  readonly hide: readonly string[];
  readonly limits: CgroupLimits;
  readonly cgroups: CgroupSupport;
  /** The host uid (and gid) the sandbox runs as; required when the kernel is root, else absent. */
  readonly hostUid?: number | undefined;
  /** The seccomp program. */
  readonly seccomp: Uint8Array;
  /** Whether the command's stdin is a pipe to write (`Sandbox.stdin`); otherwise it reads nothing. */
  readonly stdin?: boolean;
}

/** How a run ended. */
export interface SandboxExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** The OOM killer killed a process of the run (its memory limit). */
  readonly oom: boolean;
}

/** Paths covered by tmpfs in every sandbox: host sockets (`/run`), temporary files and home directories. */
const ALWAYS_HIDDEN = ['/run', '/var/run', '/var/tmp', '/home', '/root', '/mnt', '/media', '/srv'];

/**
 * The shell that joins the cgroup (as the kernel, before anything drops privileges), then execs the rest.
 * Arguments: the `cgroup.procs` files, `--`, the command.
 */
const JOIN_CGROUP = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

/**
 * Inside the sandbox: starts each relay (`port:socket` arguments up to `--`), waits until each listens on
 * 127.0.0.1 (its own `/proc/net/tcp`), then execs the command. 127 when socat is missing.
 */
const RELAYS = [
  'set -e',
  'command -v socat >/dev/null || { echo "agentos: socat is not installed; the sandbox relays need it" >&2; exit 127; }',
  'ports=""',
  'while [ "$1" != -- ]; do',
  '  port=${1%%:*}; sock=${1#*:}',
  '  socat -lf /dev/null TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:$sock </dev/null >/dev/null 2>&1 &',
  '  ports="$ports $(printf %04X $port)"; shift',
  'done',
  'shift',
  'for hex in $ports; do',
  '  n=0; until grep -q "0100007F:$hex 00000000:0000 0A" /proc/net/tcp; do',
  '    n=$((n+1)); [ $n -lt 500 ] || { echo "agentos: a sandbox relay did not start" >&2; exit 125; }; sleep 0.01',
  '  done',
  'done',
  'exec "$@"',
].join('\n');

/** A running sandbox: its output, its end, and the signals. */
export class Sandbox {
  private readonly ended: Promise<SandboxExit>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly cgroup: RunCgroup | undefined,
  ) {
    this.ended = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        // what the run forked and left behind dies with it (bwrap's PID namespace does the same)
        try {
          this.cgroup?.kill();
        } catch {
          // the group is already empty
        }
        const oom = this.cgroup?.oomKilled() ?? false;
        void (this.cgroup?.remove() ?? Promise.resolve()).then(() => resolve({ code, signal, oom }));
      });
    });
  }

  /** Starts `spec`; rejects (AOS_SANDBOX_FAILED) when the cgroup or bwrap cannot be set up. */
  static async start(spec: SandboxSpec): Promise<Sandbox> {
    const cgroup =
      spec.cgroups.kind === 'none' ? undefined : RunCgroup.create(spec.cgroups, spec.name, spec.limits);
    const bwrap = [...bwrapArgs(spec), '--seccomp', '3', '--', ...inner(spec)];
    const dropped =
      spec.hostUid === undefined
        ? ['bwrap', ...bwrap]
        : [
            'setpriv',
            `--reuid=${spec.hostUid}`,
            `--regid=${spec.hostUid}`,
            '--clear-groups',
            '--inh-caps=-all',
            'bwrap',
            ...bwrap,
          ];
    const argv = ['-c', JOIN_CGROUP, 'sh', ...(cgroup?.procsFiles ?? []), '--', ...dropped];
    const child = spawn('/bin/sh', argv, {
      stdio: [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    const fd3 = child.stdio[3] as Writable;
    fd3.on('error', () => {}); // bwrap failing early closes the pipe; its exit status says why
    fd3.end(spec.seccomp);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => {
        void cgroup?.remove();
        reject(
          new AgentOsError('AOS_SANDBOX_FAILED', `cannot start the sandbox: ${e.message}`, { cause: e }),
        );
      });
    });
    return new Sandbox(child, cgroup);
  }

  /** The command's stdin, when the spec asked for one. */
  get stdin(): Writable | undefined {
    return this.child.stdin ?? undefined;
  }

  get stdout(): Readable {
    return this.child.stdout as Readable;
  }

  get stderr(): Readable {
    return this.child.stderr as Readable;
  }

  /** Resolves when the run has ended and its cgroup is gone. */
  wait(): Promise<SandboxExit> {
    return this.ended;
  }

  /** Freezes the run (`stop`). Without a cgroup, SIGSTOP to bwrap's process group. */
  freeze(): void {
    if (this.cgroup) this.cgroup.freeze();
    else this.signalGroup('SIGSTOP');
  }

  /** Thaws it (`cont`). */
  thaw(): void {
    if (this.cgroup) this.cgroup.thaw();
    else this.signalGroup('SIGCONT');
  }

  /** Kills every process of the run. */
  kill(): void {
    if (this.cgroup) {
      try {
        this.cgroup.kill();
        return;
      } catch {
        // fall through to the process itself
      }
    }
    this.child.kill('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, signal);
      } catch {
        // ended
      }
    }
  }
}

/** bwrap's arguments for `spec`, without the seccomp descriptor and the command. */
export function bwrapArgs(spec: SandboxSpec): string[] {
  const args = sandboxArgs({ chdir: null }); // this sandbox works in the workspace (below)
  const usable = (p: string, i: number, all: readonly string[]): boolean =>
    all.indexOf(p) === i && existsSync(p) && !lstatSync(p).isSymbolicLink();
  // first the covers every sandbox gets, then what is shown again read-only (Agent OS's own files, which
  // may sit under /tmp or a home), then the covers of this kernel's own paths, which win over both
  for (const p of [...ALWAYS_HIDDEN, homedir()].filter(usable)) args.push('--tmpfs', p);
  for (const p of spec.expose.filter(usable)) args.push('--ro-bind', p, p);
  for (const p of spec.hide.filter(usable)) args.push('--tmpfs', p);
  args.push('--dir', '/run/agentos');
  for (const s of spec.sockets) args.push('--ro-bind', s.source, s.target);
  // the same path inside as outside, so paths a tool prints mean the same thing to its caller
  args.push('--bind', spec.workspace, spec.workspace, '--chdir', spec.workspace, '--clearenv');
  for (const [k, v] of Object.entries(spec.env)) args.push('--setenv', k, v);
  return args;
}

/** The command bwrap runs: the relays first when there are any. */
function inner(spec: SandboxSpec): string[] {
  if (spec.relays.length === 0) return [...spec.command];
  return [
    '/bin/sh',
    '-c',
    RELAYS,
    'relays',
    ...spec.relays.map((r) => `${r.port}:${r.socket}`),
    '--',
    ...spec.command,
  ];
}
