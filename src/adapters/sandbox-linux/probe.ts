/**
 * What this machine's sandbox can do, probed for real (issue 5 §1, `agentos doctor`): bubblewrap making
 * its namespaces as the uid sandboxes run as, the seccomp filter loading, socat for the in-sandbox relays,
 * and Landlock (reported; the sandbox does not rely on it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { hostArch } from './host-arch.js';
import { sandboxFilter } from './seccomp/program.js';

/** One probe's result. */
export interface Probe {
  readonly ok: boolean;
  /** What was found, or why not. */
  readonly detail: string;
}

/** The sandbox's bwrap namespaces, without a workspace or sockets. */
const BASE = [
  '--unshare-all',
  '--unshare-user',
  '--disable-userns',
  '--cap-drop',
  'ALL',
  '--ro-bind',
  '/',
  '/',
  '--proc',
  '/proc',
  '--dev',
  '/dev',
];

/** Runs `args` under bwrap (as `hostUid` through setpriv, when given), the filter on fd 3 when given. */
function bwrap(
  hostUid: number | undefined,
  args: readonly string[],
  filter?: Uint8Array,
): Promise<{ code: number | null; stderr: string }> {
  const argv =
    hostUid === undefined
      ? ['bwrap', ...args]
      : ['setpriv', `--reuid=${hostUid}`, `--regid=${hostUid}`, '--clear-groups', 'bwrap', ...args];
  return new Promise((resolve) => {
    const child = spawn(argv[0] ?? 'bwrap', argv.slice(1), {
      stdio: ['ignore', 'ignore', 'pipe', filter ? 'pipe' : 'ignore'],
      timeout: 10_000,
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (filter) {
      const fd3 = child.stdio[3] as Writable;
      fd3.on('error', () => {});
      fd3.end(filter);
    }
    child.on('error', (e) => resolve({ code: null, stderr: e.message }));
    child.on('close', (code) => resolve({ code, stderr: stderr.trim() }));
  });
}

/** bubblewrap's namespaces and the seccomp filter, tried for real as the uid sandboxes run as. */
export async function probeBwrap(
  hostUid: number | undefined,
): Promise<{ namespaces: Probe; seccomp: Probe }> {
  const version = spawnSync('bwrap', ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) {
    return {
      namespaces: { ok: false, detail: 'bubblewrap is not installed (apt-get install bubblewrap)' },
      seccomp: { ok: false, detail: 'needs bubblewrap' },
    };
  }
  const ns = await bwrap(hostUid, [...BASE, '--', '/bin/true']);
  const namespaces: Probe =
    ns.code === 0
      ? { ok: true, detail: `${version.stdout.trim()}: user, network, PID, IPC, UTS and mount namespaces` }
      : { ok: false, detail: `bwrap cannot make the namespaces: ${ns.stderr || `exit ${String(ns.code)}`}` };
  const arch = hostArch();
  if (!arch) return { namespaces, seccomp: { ok: false, detail: `no filter for \`${process.arch}\`` } };
  if (!namespaces.ok) return { namespaces, seccomp: { ok: false, detail: 'needs the namespaces' } };
  // grep exits 0 only when the kernel reports the process filtered (mode 2)
  const sc = await bwrap(
    hostUid,
    [...BASE, '--seccomp', '3', '--', '/bin/grep', '-q', '^Seccomp:[[:space:]]*2$', '/proc/self/status'],
    sandboxFilter(arch),
  );
  const seccomp: Probe =
    sc.code === 0
      ? { ok: true, detail: `the ${arch} filter loads` }
      : { ok: false, detail: `the ${arch} filter did not load: ${sc.stderr || `exit ${String(sc.code)}`}` };
  return { namespaces, seccomp };
}

/** socat, which the in-sandbox relays need. */
export function probeSocat(): Probe {
  const r = spawnSync('socat', ['-V'], { encoding: 'utf8' });
  const v = /socat version (\S+)/.exec(r.stdout ?? '');
  return r.status === 0
    ? { ok: true, detail: `socat ${v?.[1] ?? ''}`.trim() }
    : { ok: false, detail: 'socat is not installed (apt-get install socat): the sandbox relays need it' };
}

/** `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)`: the ABI version, or an errno. */
const LANDLOCK_ABI = `
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
r = libc.syscall(ctypes.c_long(444), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(1))
print(r if r >= 0 else -ctypes.get_errno())
`;

/**
 * Landlock: the kernel's list of security modules when securityfs is mounted, else the ABI version the
 * kernel answers (syscall 444 on x86_64 and aarch64, asked through python3 when it is installed).
 */
export function probeLandlock(): Probe {
  try {
    const lsm = readFileSync('/sys/kernel/security/lsm', 'utf8').trim();
    return lsm.split(',').includes('landlock')
      ? { ok: true, detail: 'an active security module (reported; the sandbox does not use it)' }
      : { ok: false, detail: `not among the active security modules (${lsm})` };
  } catch {
    // securityfs is not mounted here: ask the kernel itself
  }
  const r = spawnSync('python3', ['-c', LANDLOCK_ABI], { encoding: 'utf8', timeout: 5_000 });
  const answer = Number(r.stdout?.trim());
  if (r.status !== 0 || !Number.isInteger(answer)) {
    return {
      ok: false,
      detail: 'unknown: /sys/kernel/security/lsm is not readable and python3 could not ask',
    };
  }
  if (answer > 0)
    return { ok: true, detail: `ABI version ${answer} (reported; the sandbox does not use it)` };
  return {
    ok: false,
    detail:
      answer === -95 ? 'built in but disabled at boot (EOPNOTSUPP)' : `not available (errno ${-answer})`,
  };
}
