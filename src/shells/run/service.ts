/**
 * Runs (issue 5 §1): `agentos run` asks the daemon to start a command as an agent, confined. Starting it is
 * the action `agent.run` (resource: the program; args: the argv and the workspace), decided by policy and
 * recorded; the run's exit is its outcome. Each run gets its own directory of Unix sockets — the kernel
 * API, answered as that agent for the run's own credential only, and the egress proxy — bound into the
 * sandbox as its only exits. Signals reach the run's cgroup: `stop` freezes it, `cont` thaws it, `kill`
 * kills it and revokes the run's credential (the socket closes, its secret is forgotten).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  cgroupSupport,
  reapStaleRuns,
  removeScope,
  type CgroupSupport,
} from '../../adapters/sandbox-linux/cgroup.js';
import { hostArch } from '../../adapters/sandbox-linux/host-arch.js';
import { probeBwrap, probeLandlock, probeSocat, type Probe } from '../../adapters/sandbox-linux/probe.js';
import { Sandbox, type SandboxExit } from '../../adapters/sandbox-linux/sandbox.js';
import { sandboxFilter } from '../../adapters/sandbox-linux/seccomp/program.js';
import type { ActionService, ActionView } from '../../governor/action-service.js';
import { authorize, type Principal } from '../../governor/auth.js';
import type { Governance } from '../../governor/governance.js';
import { mediate, refusal } from '../../governor/mediate.js';
import type { SignalName } from '../../governor/signal-service.js';
import { AgentOsError } from '../../kernel/errors.js';
import type { JsonValue } from '../../kernel/ledger/record.js';
import {
  enforcementSatisfies,
  sandboxLimitsOf,
  type EnforcementLevel,
  type SandboxLimits,
} from '../../kernel/org/limits.js';
import type { EgressHandler } from '../egress/handler.js';
import { serveIdentified } from '../egress/proxy-server.js';

/** What a caller asks to run. */
export interface RunRequest {
  readonly agent: string;
  readonly command: readonly string[];
  /** An absolute host directory; absent: a fresh empty one, removed when the run ends. */
  readonly workspace?: string | undefined;
  /** More environment for the command (never `AGENTOS_*` or proxy settings). */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** The caller sends the command's input (`feed`); otherwise its stdin is empty. */
  readonly stdin?: boolean | undefined;
}

/** What a run tells its caller as it goes. */
export type RunEvent =
  | { readonly type: 'waiting'; readonly action: string; readonly status: string; readonly message: string }
  | {
      readonly type: 'started';
      readonly run: string;
      readonly action: string;
      readonly enforcement: EnforcementLevel;
      readonly limits: JsonValue;
    }
  | { readonly type: 'output'; readonly fd: 1 | 2; readonly data: Buffer }
  | {
      readonly type: 'exit';
      readonly code: number | null;
      readonly signal: string | null;
      readonly oom: boolean;
      readonly killed: boolean;
    }
  | { readonly type: 'refused'; readonly action: string; readonly code: string; readonly message: string };

/** Where a run's events go: its caller's stream, which may fill up. */
export interface RunSink {
  /** Tells one event; `false` when the caller's buffer is full and output should wait for `onDrain`. */
  emit(e: RunEvent): boolean;
  /** Calls `resume` once, when the caller has taken what was buffered. */
  onDrain(resume: () => void): void;
}

/** What this machine can enforce, as `agentos doctor` reports it. */
export interface Enforcement {
  readonly level: EnforcementLevel;
  readonly cgroups: CgroupSupport;
  /** Why the level is not `os-enforced`, when it is not. */
  readonly missing: readonly string[];
  /** Each probe, as `agentos doctor` prints it. */
  readonly probes: Readonly<Record<'namespaces' | 'seccomp' | 'relays' | 'cgroups', Probe>> & {
    /** Reported by `agentos doctor` only: the sandbox does not rely on it, so the daemon does not ask. */
    readonly landlock?: Probe;
  };
}

/** How the run service is set up. */
export interface RunServiceOptions {
  readonly actions: ActionService;
  readonly governance: () => Governance;
  readonly egress: EgressHandler;
  /** Answers a request on a run's kernel socket (the daemon's API). */
  readonly api: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** Host paths covered inside every sandbox (the data directory). */
  readonly hide: readonly string[];
  /** Host paths shown read-only inside every sandbox (Agent OS's installation: the SDK). */
  readonly expose: readonly string[];
  /** The host uid sandboxes run as when the kernel is root. */
  readonly hostUid: number;
  /** What the machine can enforce (probed once by the daemon). */
  readonly enforcement: Enforcement;
  /** How long `agent.run` waits for approval or a `cont` (ms). */
  readonly approvalWaitMs: number;
  /** Names this daemon's runs among the machine's cgroups (one per data directory). */
  readonly scope: string;
}

/** The host uid sandboxes run as when the kernel is root and `runs.hostUid` does not say. */
export const DEFAULT_RUNS_HOST_UID = 2_000_000_000;

/** Ports of the in-sandbox relays, on the sandbox's own 127.0.0.1. */
export const RELAY_PORTS = { kernel: 7070, egress: 3128 } as const;
/** Where the sandbox sees the kernel's sockets. */
export const SOCKET_DIR = '/run/agentos';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_ENV = /^(AGENTOS_|HTTPS?_PROXY$|NO_PROXY$|ALL_PROXY$|OPENAI_BASE_URL$|OPENAI_API_KEY$)/i;

/** One live run. */
class LiveRun {
  killed = false;
  /** Set when nobody will read the run's output any more (its caller went, the daemon closes). */
  discarding = false;
  /** Set once the caller began to send the command's input. */
  fed = false;
  constructor(
    readonly id: string,
    /** Who started the run: only they may send its input. */
    readonly caller: Principal,
    readonly agent: string,
    readonly secret: string,
    readonly sandbox: Sandbox,
    readonly servers: readonly http.Server[],
  ) {}
}

/** Starts and supervises runs. */
export class RunService {
  private readonly live = new Map<string, LiveRun>();
  /** Connections accepted on a run's kernel socket, and whose they are. */
  private readonly sockets = new WeakMap<Socket, LiveRun>();

  constructor(private readonly o: RunServiceOptions) {}

  /**
   * Kills what a previous daemon on this data directory left running (it was killed before it could) and
   * removes its cgroups: no run outlives its supervisor. Call once before serving.
   */
  reapStale(): Promise<number> {
    return reapStaleRuns(this.o.enforcement.cgroups, this.o.scope);
  }

  /**
   * Who is calling on `raw`'s connection, when it came in on a run's kernel socket: the run's agent, for
   * the run's own credential only. Undefined for any other connection (the caller authenticates as usual),
   * so a run credential means nothing outside its socket.
   */
  identify(raw: http.IncomingMessage, header: string | undefined): Principal | undefined {
    const run = this.sockets.get(raw.socket);
    if (!run) return undefined;
    const m = /^Bearer (\S+)$/.exec(header ?? '');
    const given = Buffer.from(m?.[1] ?? '');
    const want = Buffer.from(run.secret);
    if (run.killed || given.length !== want.length || !timingSafeEqual(given, want)) {
      throw new AgentOsError(
        'AOS_UNAUTHENTICATED',
        run.killed
          ? `not authenticated: run \`${run.id}\` was killed and its credential revoked`
          : 'not authenticated: send the run credential (`AGENTOS_CREDENTIAL`) as `Authorization: Bearer …`',
      );
    }
    return { kind: 'agent', id: run.agent, credential: `run:${run.id}` };
  }

  /**
   * Starts `request` for `who`, telling `sink` as it goes; resolves when the run has ended (or was refused).
   * The run's output waits while the sink is full, so a command writing faster than its caller reads is
   * held by its pipes, not buffered here. `abort` fires when the caller has gone: the run is killed.
   */
  async run(who: Principal, request: RunRequest, sink: RunSink, abort: AbortSignal): Promise<void> {
    const emit = (e: RunEvent): void => void sink.emit(e);
    const org = this.o.governance().engine.org;
    if (!org.agents.has(request.agent)) {
      throw new AgentOsError('AOS_NOT_FOUND', `no agent \`${request.agent}\` in the org`);
    }
    authorize(who, 'agents.run', { agent: request.agent, org });
    const limits = sandboxLimitsOf(org, request.agent);
    const available = this.o.enforcement.level;
    if (available === 'advisory' || !enforcementSatisfies(available, limits.enforcement)) {
      throw new AgentOsError(
        'AOS_SANDBOX_UNAVAILABLE',
        `agent \`${request.agent}\` requires \`${limits.enforcement}\` enforcement; this machine gives \`${available}\` (${this.o.enforcement.missing.join('; ')}); see \`agentos doctor\``,
      );
    }
    const workspace = checkWorkspace(request.workspace, this.sandboxUid());
    const env = checkEnv(request.env);
    const program = request.command[0];
    if (program === undefined) throw new AgentOsError('AOS_USAGE', 'give a command to run after `--`');
    const agent: Principal = { kind: 'agent', id: request.agent, credential: 'run' };
    const mediated = await mediate(
      this.o.actions,
      agent,
      {
        agent: request.agent,
        action: 'agent.run',
        resource: program,
        args: { argv: [...request.command], ...(workspace ? { workspace } : {}) },
      },
      'run',
      async (view) => {
        const exit = await this.supervise(who, view, request, limits, workspace, env, sink, abort);
        const outcome: JsonValue = {
          code: exit.code,
          signal: exit.signal,
          oom: exit.oom,
          killed: exit.killed,
        };
        return { value: exit, outcome };
      },
      {
        waitMs: this.o.approvalWaitMs,
        pollMs: 2_000,
        onWait: (view) => emit({ type: 'waiting', action: view.id, status: view.status, ...refusal(view) }),
      },
    );
    if (!mediated.ran) {
      const r = refusal(mediated.view);
      emit({ type: 'refused', action: mediated.view.id, code: r.code, message: r.message });
    }
  }

  /**
   * `PUT /v1/runs/:run/stdin`: streams `input` to the command's stdin, then closes it; resolves when the
   * input has been taken or the run has ended. Only for a live run started with `stdin`, once, by the
   * caller who started it (with the same token or credential: a run's own credential is not its caller's).
   */
  async feed(who: Principal, runId: string, input: Readable): Promise<void> {
    const run = this.live.get(runId);
    if (!run || run.killed) throw new AgentOsError('AOS_NOT_FOUND', `no live run \`${runId}\``);
    if (!sameCaller(who, run.caller)) {
      throw new AgentOsError(
        'AOS_FORBIDDEN',
        `run \`${runId}\` was started by ${run.caller.kind} \`${run.caller.id}\`; only they may send its input`,
      );
    }
    const stdin = run.sandbox.stdin;
    if (!stdin) {
      throw new AgentOsError('AOS_CONFLICT', `run \`${runId}\` was started without stdin; it reads nothing`);
    }
    if (run.fed) throw new AgentOsError('AOS_CONFLICT', `run \`${runId}\` is already given its input`);
    run.fed = true;
    // a command that exits before reading it all (EPIPE), or a caller that goes, ends the input
    await pipeline(input, stdin).catch(() => undefined);
  }

  /** Freezes, thaws or kills the runs of `agents` (the signal service calls this once a signal is in force). */
  signal(signal: SignalName, agents: readonly string[]): Promise<void> {
    const reached = new Set(agents);
    for (const run of this.live.values()) {
      if (!reached.has(run.agent)) continue;
      try {
        if (signal === 'stop') run.sandbox.freeze();
        else if (signal === 'cont') run.sandbox.thaw();
        else this.kill(run);
      } catch {
        // the run ended meanwhile
      }
    }
    return Promise.resolve();
  }

  /** Kills every run (the daemon is closing: no sandbox outlives its supervisor). */
  async closeAll(): Promise<void> {
    const runs = [...this.live.values()];
    for (const run of runs) {
      this.kill(run);
      this.discard(run);
    }
    await Promise.all(runs.map((r) => r.sandbox.wait()));
    removeScope(this.o.enforcement.cgroups, this.o.scope);
  }

  /** The host uid sandboxes run as: the configured one when the kernel is root, else the kernel's own. */
  private sandboxUid(): number | undefined {
    return process.getuid?.() === 0 ? this.o.hostUid : undefined;
  }

  /** Drops what is left in the run's pipes, so they end and the run's exit is seen without a reader. */
  private discard(run: LiveRun): void {
    run.discarding = true;
    run.sandbox.stdout.resume();
    run.sandbox.stderr.resume();
  }

  private kill(run: LiveRun): void {
    run.killed = true; // and with it the run's credential is revoked (`identify`)
    for (const s of run.servers) {
      s.close();
      s.closeAllConnections();
    }
    run.sandbox.kill();
  }

  private async supervise(
    caller: Principal,
    view: ActionView,
    request: RunRequest,
    limits: SandboxLimits,
    given: string | undefined,
    env: Record<string, string>,
    sink: RunSink,
    abort: AbortSignal,
  ): Promise<SandboxExit & { killed: boolean }> {
    const id = view.id.replace(/^act_/, 'run_');
    const uid = this.sandboxUid();
    const dir = mkdtempSync(join(tmpdir(), 'agentos-run-'));
    const own = (path: string): void => {
      if (uid !== undefined) chownSync(path, uid, uid);
    };
    let workspace = given;
    let servers: http.Server[] = [];
    try {
      own(dir);
      if (workspace === undefined) {
        workspace = join(dir, 'workspace');
        mkdirSync(workspace, { mode: 0o755 });
        own(workspace);
      }
      const secret = `aosr_${randomBytes(24).toString('base64url')}`;
      const kernelSock = join(dir, 'kernel.sock');
      const egressSock = join(dir, 'egress.sock');
      const principal: Principal = { kind: 'agent', id: request.agent, credential: `run:${id}` };
      const kernel = http.createServer((req, res) => this.o.api(req, res));
      const egress = serveIdentified(this.o.egress, () => principal);
      servers = [kernel, egress];
      kernel.on('connection', (s: Socket) => {
        // a connection is the run's only once the run is live
        const live = this.live.get(id);
        if (live) this.sockets.set(s, live);
        else s.destroy();
      });
      await Promise.all([listen(kernel, kernelSock), listen(egress, egressSock)]);
      for (const s of [kernelSock, egressSock]) {
        own(s);
        chmodSync(s, 0o600);
      }
      const sandbox = await Sandbox.start({
        name: `${this.o.scope}/${id}`,
        command: request.command,
        workspace,
        env: {
          PATH: '/usr/local/bin:/usr/bin:/bin',
          HOME: '/tmp',
          LANG: 'C.UTF-8',
          ...env,
          AGENTOS_AGENT: request.agent,
          AGENTOS_RUN: id,
          AGENTOS_URL: `http://127.0.0.1:${RELAY_PORTS.kernel}`,
          AGENTOS_SOCKET: `${SOCKET_DIR}/kernel.sock`,
          AGENTOS_CREDENTIAL: secret,
          HTTP_PROXY: `http://127.0.0.1:${RELAY_PORTS.egress}`,
          HTTPS_PROXY: `http://127.0.0.1:${RELAY_PORTS.egress}`,
          http_proxy: `http://127.0.0.1:${RELAY_PORTS.egress}`,
          https_proxy: `http://127.0.0.1:${RELAY_PORTS.egress}`,
          // the LLM gateway, as OpenAI clients find it: the run credential is their API key
          OPENAI_BASE_URL: `http://127.0.0.1:${RELAY_PORTS.kernel}/v1`,
          OPENAI_API_KEY: secret,
          NO_PROXY: '127.0.0.1',
          no_proxy: '127.0.0.1',
        },
        sockets: [
          { source: kernelSock, target: `${SOCKET_DIR}/kernel.sock` },
          { source: egressSock, target: `${SOCKET_DIR}/egress.sock` },
        ],
        relays: [
          { port: RELAY_PORTS.kernel, socket: `${SOCKET_DIR}/kernel.sock` },
          { port: RELAY_PORTS.egress, socket: `${SOCKET_DIR}/egress.sock` },
        ],
        hide: this.o.hide,
        expose: this.o.expose,
        limits: { memoryBytes: limits.memory, pids: limits.pids, cpu: limits.cpu },
        cgroups: this.o.enforcement.cgroups,
        hostUid: uid,
        seccomp: sandboxFilter(requiredArch()),
        stdin: request.stdin === true,
      });
      const current = new LiveRun(id, caller, request.agent, secret, sandbox, servers);
      this.live.set(id, current);
      sink.emit({
        type: 'started',
        run: id,
        action: view.id,
        enforcement: this.o.enforcement.level,
        limits: { memory: limits.memory, pids: limits.pids, cpu: limits.cpu ?? null },
      });
      // a full sink pauses both pipes (the command then blocks on its writes); the exit waits for them
      const pipes = [sandbox.stdout, sandbox.stderr] as const;
      let held = false;
      pipes.forEach((pipe, i) =>
        pipe.on('data', (data: Buffer) => {
          if (current.discarding) return;
          if (sink.emit({ type: 'output', fd: i === 0 ? 1 : 2, data }) || held) return;
          held = true;
          for (const p of pipes) p.pause();
          sink.onDrain(() => {
            held = false;
            if (!current.discarding) for (const p of pipes) p.resume();
          });
        }),
      );
      const onAbort = (): void => {
        this.kill(current);
        this.discard(current);
      };
      abort.addEventListener('abort', onAbort);
      if (abort.aborted) onAbort();
      const exit = await sandbox.wait();
      abort.removeEventListener('abort', onAbort);
      this.live.delete(id);
      const result = { ...exit, killed: current.killed };
      sink.emit({ type: 'exit', ...result });
      return result;
    } finally {
      for (const s of servers) {
        s.close();
        s.closeAllConnections();
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * Probes what this machine can enforce: bubblewrap's namespaces and the seccomp filter (tried for real as
 * `hostUid` when the kernel is root), socat for the relays, cgroups. `os-enforced` needs all of them;
 * `partial` is a sandbox without cgroups (no memory, pids or CPU limits, and stop/kill reach only bwrap's
 * process tree); `advisory` is no sandbox at all — and `agentos run` never starts one then.
 */
export async function probeEnforcement(
  hostUid: number | undefined,
  { landlock = false }: { landlock?: boolean } = {},
): Promise<Enforcement> {
  const { namespaces, seccomp } = await probeBwrap(hostUid);
  const socat = probeSocat();
  const cgroups = cgroupSupport();
  const cgroupProbe: Probe =
    cgroups.kind === 'none'
      ? { ok: false, detail: cgroups.why }
      : {
          ok: true,
          detail:
            cgroups.kind === 'v2' ? `cgroup v2 at ${cgroups.root}` : 'cgroup v1 (memory, pids, freezer)',
        };
  const probes = {
    namespaces,
    seccomp,
    relays: socat,
    cgroups: cgroupProbe,
    ...(landlock ? { landlock: probeLandlock() } : {}),
  };
  const sandbox = namespaces.ok && seccomp.ok && socat.ok;
  const missing = (['namespaces', 'seccomp', 'relays', 'cgroups'] as const)
    .filter((k) => !probes[k].ok)
    .map((k) => `${k}: ${probes[k].detail}`);
  const level: EnforcementLevel = !sandbox ? 'advisory' : cgroups.kind === 'none' ? 'partial' : 'os-enforced';
  return { level, cgroups, missing, probes };
}

function requiredArch(): NonNullable<ReturnType<typeof hostArch>> {
  const arch = hostArch();
  if (!arch) throw new AgentOsError('AOS_SANDBOX_UNAVAILABLE', `no seccomp filter for \`${process.arch}\``);
  return arch;
}

function checkWorkspace(dir: string | undefined, uid: number | undefined): string | undefined {
  if (dir === undefined) return undefined;
  if (!isAbsolute(dir))
    throw new AgentOsError('AOS_USAGE', `the workspace \`${dir}\` is not an absolute path`);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new AgentOsError('AOS_USAGE', `the workspace \`${dir}\` is not a directory`);
  if (uid !== undefined) {
    // asked as the sandbox's own host uid: only it knows what it may reach
    const probe = spawnSync('setpriv', [
      `--reuid=${uid}`,
      `--regid=${uid}`,
      '--clear-groups',
      'test',
      '-w',
      dir,
    ]);
    if (probe.status !== 0) {
      throw new AgentOsError(
        'AOS_USAGE',
        `the workspace \`${dir}\` is not writable by uid ${uid}, which sandboxes run as (\`runs.hostUid\`): \`chown -R ${uid} ${dir}\`, or make it and its parents reachable`,
      );
    }
  }
  return dir;
}

/** The same principal by the same means: one token of a person, one credential of an agent. */
function sameCaller(a: Principal, b: Principal): boolean {
  if (a.kind === 'person' && b.kind === 'person') return a.id === b.id && a.token === b.token;
  return a.kind === 'agent' && b.kind === 'agent' && a.id === b.id && a.credential === b.credential;
}

function checkEnv(env: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    if (!ENV_NAME.test(k))
      throw new AgentOsError('AOS_USAGE', `\`${k}\` is not an environment variable name`);
    if (RESERVED_ENV.test(k)) {
      throw new AgentOsError('AOS_USAGE', `\`${k}\` is set by the kernel for every run; it cannot be passed`);
    }
    out[k] = v;
  }
  return out;
}

function listen(server: http.Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
}
