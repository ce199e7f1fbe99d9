/**
 * One cgroup per sandboxed run (issue 5 §1): memory, pids and CPU limits from the agent's contract, and the
 * signals — `stop` freezes the whole group, `cont` thaws it, `kill` kills every process in it at once, so
 * nothing a run forked survives it. Works on cgroup v2 (unified) and on the v1 hierarchies (memory, pids,
 * freezer, cpu) of hybrid machines. Needs write access to the hierarchy (the kernel running as root);
 * {@link cgroupSupport} says what this machine gives.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentOsError } from '../../kernel/errors.js';

/** The limits of one run. */
export interface CgroupLimits {
  readonly memoryBytes: number;
  readonly pids: number;
  /** CPU cores (fractions allowed); absent for no limit. */
  readonly cpu?: number | undefined;
}

/** Which cgroup interface this machine offers, and whether we may write it. */
export type CgroupSupport =
  | { readonly kind: 'v2'; readonly root: string }
  | { readonly kind: 'v1'; readonly roots: Readonly<Record<V1Controller, string>> & { cpu?: string } }
  | { readonly kind: 'none'; readonly why: string };

type V1Controller = 'memory' | 'pids' | 'freezer';

const MOUNT = '/sys/fs/cgroup';
/** The parent of every run's cgroup. */
const PARENT = 'agentos';
const CPU_PERIOD_US = 100_000;

/** What this machine's cgroups give us (root: `/sys/fs/cgroup` unless testing elsewhere). */
export function cgroupSupport(mount = MOUNT): CgroupSupport {
  if (existsSync(join(mount, 'cgroup.controllers'))) {
    const controllers = read(join(mount, 'cgroup.controllers')).split(/\s+/);
    for (const c of ['memory', 'pids', 'freezer'] as const) {
      // the freezer is built into cgroup v2 (cgroup.freeze), not a controller
      if (c !== 'freezer' && !controllers.includes(c)) {
        return { kind: 'none', why: `cgroup v2 has no \`${c}\` controller` };
      }
    }
    if (!writable(mount)) return { kind: 'none', why: `${mount} is not writable (the kernel is not root)` };
    return { kind: 'v2', root: mount };
  }
  const roots: Partial<Record<V1Controller | 'cpu', string>> = {};
  for (const c of ['memory', 'pids', 'freezer', 'cpu'] as const) {
    const dir = join(mount, c);
    if (existsSync(join(dir, 'cgroup.procs'))) roots[c] = dir;
  }
  for (const c of ['memory', 'pids', 'freezer'] as const) {
    const dir = roots[c];
    if (!dir) return { kind: 'none', why: `no cgroup v1 \`${c}\` hierarchy under ${mount}` };
    if (!writable(dir)) return { kind: 'none', why: `${dir} is not writable (the kernel is not root)` };
  }
  return { kind: 'v1', roots: roots as Record<V1Controller, string> & { cpu?: string } };
}

/** A run's cgroup: the `cgroup.procs` files a process joins, the limits set, and the signals. */
export class RunCgroup {
  private constructor(
    private readonly support: Exclude<CgroupSupport, { kind: 'none' }>,
    private readonly dirs: readonly string[],
    /** Where `freeze`/`thaw` write: the v2 group itself, or the v1 freezer hierarchy's. */
    private readonly freezer: string,
  ) {}

  /**
   * Makes `agentos/<name>` with `limits` (`name` may hold a `/`: `<daemon>/<run>`); throws
   * AOS_SANDBOX_FAILED when the hierarchy refuses.
   */
  static create(support: CgroupSupport, name: string, limits: CgroupLimits): RunCgroup {
    if (support.kind === 'none') throw new AgentOsError('AOS_SANDBOX_FAILED', `no cgroups: ${support.why}`);
    try {
      if (support.kind === 'v2') {
        // every ancestor delegates the controllers to its children (cgroup v2's no-internal-process rule)
        const parts = join(PARENT, name).split('/');
        let parent = support.root;
        enableControllers(parent);
        for (const part of parts.slice(0, -1)) {
          parent = join(parent, part);
          mkdirSync(parent, { recursive: true });
          enableControllers(parent);
        }
        const dir = join(parent, parts.at(-1) ?? name);
        mkdirSync(dir);
        writeFileSync(join(dir, 'memory.max'), String(limits.memoryBytes));
        writeIfExists(join(dir, 'memory.swap.max'), '0');
        writeFileSync(join(dir, 'pids.max'), String(limits.pids));
        if (limits.cpu !== undefined) {
          writeFileSync(join(dir, 'cpu.max'), `${Math.round(limits.cpu * CPU_PERIOD_US)} ${CPU_PERIOD_US}`);
        }
        return new RunCgroup(support, [dir], dir);
      }
      const dirs: string[] = [];
      const make = (root: string): string => {
        const dir = join(root, PARENT, name);
        mkdirSync(dir, { recursive: true });
        dirs.push(dir);
        return dir;
      };
      const memory = make(support.roots.memory);
      writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // with swap accounting, memory + swap is capped too, so the limit cannot be dodged into swap
      writeIfExists(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
      writeFileSync(join(make(support.roots.pids), 'pids.max'), String(limits.pids));
      const freezer = make(support.roots.freezer);
      if (limits.cpu !== undefined) {
        if (!support.roots.cpu) throw new Error('no cgroup v1 `cpu` hierarchy for the CPU limit');
        const cpu = make(support.roots.cpu);
        writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
        writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.cpu * CPU_PERIOD_US)));
      }
      return new RunCgroup(support, dirs, freezer);
    } catch (e) {
      if (e instanceof AgentOsError) throw e;
      throw new AgentOsError('AOS_SANDBOX_FAILED', `cannot make the run's cgroup: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** The files a process writes its pid to, to join every hierarchy of this cgroup. */
  get procsFiles(): readonly string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  /** The pids in the group. */
  pids(): number[] {
    const dir = this.dirs[0];
    if (!dir) return [];
    return read(join(dir, 'cgroup.procs'))
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
  }

  /** Freezes every process of the run (`stop`). */
  freeze(): void {
    this.setFrozen(true);
  }

  /** Thaws them (`cont`). */
  thaw(): void {
    this.setFrozen(false);
  }

  /** Kills every process of the run at once, frozen ones included. */
  kill(): void {
    if (this.support.kind === 'v2') {
      const dir = this.dirs[0] ?? '';
      if (existsSync(join(dir, 'cgroup.kill'))) {
        writeFileSync(join(dir, 'cgroup.kill'), '1');
        return;
      }
    }
    // v1 (or v2 before 5.14): freeze so nothing forks between reading the list and the kills, then thaw
    this.setFrozen(true);
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.setFrozen(false);
  }

  /** Whether the kernel's OOM killer killed a process of the run. */
  oomKilled(): boolean {
    const dir = this.dirs[0] ?? '';
    const file = this.support.kind === 'v2' ? 'memory.events' : 'memory.oom_control';
    const m = /^oom_kill (\d+)$/m.exec(readIfExists(join(dir, file)));
    return m !== null && Number(m[1]) > 0;
  }

  /** Removes the cgroup once its processes are gone (retries briefly while the kernel reaps them). */
  async remove(): Promise<void> {
    for (const dir of [...this.dirs].reverse()) {
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(dir);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }

  private setFrozen(frozen: boolean): void {
    if (this.support.kind === 'v2') writeFileSync(join(this.freezer, 'cgroup.freeze'), frozen ? '1' : '0');
    else writeFileSync(join(this.freezer, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED');
  }
}

/**
 * Removes the run cgroups a previous daemon on the same data directory (`scope`) left — it was killed
 * before it could: their processes are killed first, since no supervisor is left for them. Other daemons'
 * runs are under other scopes and are not touched. Returns how many there were.
 */
export async function reapStaleRuns(support: CgroupSupport, scope: string): Promise<number> {
  if (support.kind === 'none') return 0;
  const roots = support.kind === 'v2' ? [support.root] : Object.values(support.roots);
  let reaped = 0;
  for (const root of roots) {
    const parent = join(root, PARENT, scope);
    let names: string[];
    try {
      names = readdirSync(parent, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = join(parent, name);
      for (const pid of readIfExists(join(dir, 'cgroup.procs')).split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone
        }
      }
      if (support.kind === 'v1' && dir.startsWith(support.roots.freezer)) {
        writeIfExists(join(dir, 'freezer.state'), 'THAWED');
      }
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(dir);
          reaped++;
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
  return reaped;
}

/** Removes a daemon's (empty) parent cgroup when it closes; one that still holds runs is left alone. */
export function removeScope(support: CgroupSupport, scope: string): void {
  if (support.kind === 'none') return;
  const roots = support.kind === 'v2' ? [support.root] : Object.values(support.roots);
  for (const root of roots) {
    try {
      rmdirSync(join(root, PARENT, scope));
    } catch {
      // not there, or not empty
    }
  }
}

function enableControllers(dir: string): void {
  const available = read(join(dir, 'cgroup.controllers')).split(/\s+/);
  const want = ['memory', 'pids', 'cpu'].filter((c) => available.includes(c));
  writeFileSync(join(dir, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
}

function read(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

function readIfExists(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function writeIfExists(file: string, value: string): void {
  if (existsSync(file)) writeFileSync(file, value);
}

function writable(dir: string): boolean {
  const probe = join(dir, `${PARENT}-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}
