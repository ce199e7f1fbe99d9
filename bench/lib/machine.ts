/**
 * The machine a run was measured on, recorded with its results.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/** What was measured on. */
export interface Machine {
  readonly date: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly ramGiB: number;
  readonly node: string;
  readonly v8: string;
  readonly os: string;
  readonly loadAverage: readonly number[];
  readonly commit: string;
}

/** Describes this machine and the checkout. */
export function machine(): Machine {
  return {
    date: new Date().toISOString(),
    cpus: os.availableParallelism(),
    cpuModel: cpuModel(),
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    os: `${osName()} (${os.type()} ${os.release()} ${os.arch()})`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    commit: commit(),
  };
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux: fall through
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m?.[1]) return m[1];
  } catch {
    // not Linux: fall through
  }
  return os.type();
}

function commit(): string {
  try {
    // --no-optional-locks: `status` must not refresh the index, which others may be writing in a shared tree
    const git = (...args: string[]): string =>
      execFileSync('git', ['--no-optional-locks', ...args], { encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src') !== '';
    return dirty ? `${head} (src/ has uncommitted changes)` : head;
  } catch {
    return 'unknown';
  }
}
