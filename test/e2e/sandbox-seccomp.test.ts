/**
 * End-to-end: the generated seccomp filter loaded by the real kernel through bubblewrap, around small
 * probes. Each refusal has a control run without the filter, so a filter that refused nothing would fail.
 * Skips (with a message) only when bwrap is not installed; a probe tool the machine lacks skips that probe.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { runSandboxed } from '../../src/adapters/sandbox-linux/bwrap.js';
import { hostArch } from '../../src/adapters/sandbox-linux/host-arch.js';
import { ERRNO, TIOCSTI } from '../../src/adapters/sandbox-linux/seccomp/policy.js';
import { sandboxFilter } from '../../src/adapters/sandbox-linux/seccomp/program.js';
import type { SyscallName } from '../../src/adapters/sandbox-linux/seccomp/syscalls.js';
import { syscallNumber } from '../../src/adapters/sandbox-linux/seccomp/syscalls.js';

const arch = hostArch();
const haveBwrap = spawnSync('bwrap', ['--version']).status === 0;
const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : undefined;
if (!haveBwrap)
  console.warn('skipping the seccomp kernel tests: `bwrap` is not installed (apt-get install bubblewrap)');
if (!arch) console.warn(`skipping the seccomp kernel tests: no filter for \`${process.arch}\``);

const filter = arch ? sandboxFilter(arch) : undefined;
const node = process.execPath;
const sandboxed = (command: string[], withFilter = true) =>
  runSandboxed({
    command,
    seccomp: withFilter ? filter : undefined,
    disableUserns: !withFilter ? false : true,
  });

/** Node probes: a TCP connection (its error code), a TCP round trip on the sandbox's loopback, a Unix one. */
const tcpProbe = (port: number): string =>
  `const s=require('net').connect(${port},'127.0.0.1');s.on('connect',()=>{console.log('connected');s.destroy()});s.on('error',e=>console.log(e.code))`;
const loopbackProbe = `const net=require('net');const srv=net.createServer(c=>c.end('inside'));srv.listen(0,'127.0.0.1',()=>net.connect(srv.address().port,'127.0.0.1').on('data',d=>{console.log(String(d));srv.close()}))`;
const unixProbe = `const net=require('net');const srv=net.createServer(c=>c.on('data',d=>{console.log(String(d));c.end();srv.close()}));srv.listen('/tmp/probe.sock',()=>net.connect('/tmp/probe.sock',function(){this.end('over unix')}))`;

/** Raw syscalls from python's ctypes: `[name, nr, args]` in, `{name: errno}` out (0 when it succeeded). */
const syscallProbe = `
import ctypes, json, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
out = {}
for name, nr, args in json.loads(sys.argv[1]):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    out[name] = 0 if r >= 0 else ctypes.get_errno()
print(json.dumps(out))
`;
type Call = readonly [label: string, name: SyscallName, args: readonly number[]];
const rawSyscalls = async (calls: readonly Call[], withFilter = true): Promise<Record<string, number>> => {
  if (!python || !arch) throw new Error('no python');
  const spec = calls.map(([label, name, args]) => [label, syscallNumber(name, arch), args]);
  const r = await sandboxed([python, '-c', syscallProbe, JSON.stringify(spec)], withFilter);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, number>;
};

describe.skipIf(!haveBwrap || !arch)('seccomp filter in the real kernel (bwrap)', () => {
  it('is loaded: the sandboxed process runs under a seccomp filter, as nobody, with no capabilities', async () => {
    const status = await sandboxed(['/bin/cat', '/proc/self/status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(status.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status.stdout).toMatch(/^CapEff:\s+0+$/m);
    expect(status.stdout).toMatch(/^Uid:\s+65534\s/m);
    const control = await sandboxed(['/bin/cat', '/proc/self/status'], false);
    expect(control.stdout).toMatch(/^Seccomp:\s+0$/m);
  });

  it("allows TCP only inside the sandbox's own loopback, and a Unix socket", async () => {
    // a listener on the host's loopback is not the sandbox's loopback: the network namespace has only `lo`
    const host = net.createServer((c) => c.end('host'));
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    const port = (host.address() as net.AddressInfo).port;
    try {
      const tcp = await sandboxed([node, '-e', tcpProbe(port)]);
      expect(tcp.stdout.trim(), tcp.stderr).toBe('ECONNREFUSED');
      const inside = await sandboxed([node, '-e', loopbackProbe]);
      expect(inside.stdout.trim(), inside.stderr).toBe('inside');
    } finally {
      host.close();
    }
    const unix = await sandboxed([node, '-e', unixProbe]);
    expect(unix.stderr).toBe('');
    expect(unix.stdout.trim()).toBe('over unix');
  });

  it('refuses a new user namespace', async () => {
    const r = await sandboxed(['unshare', '-U', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Operation not permitted/);
    const control = await sandboxed(['unshare', '-U', 'true'], false);
    expect(control.code, control.stderr).toBe(0);
  });

  it.skipIf(!has('strace'))('refuses ptrace (strace cannot trace)', async () => {
    const r = await sandboxed(['strace', '-o', '/dev/null', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/PTRACE_TRACEME: Operation not permitted/);
    const control = await sandboxed(['strace', '-o', '/dev/null', 'true'], false);
    expect(control.code, control.stderr).toBe(0);
  });

  it.skipIf(!python)('returns the documented errno for each refused syscall', async () => {
    const { EPERM, ENOSYS } = ERRNO;
    const calls: Call[] = [
      ['socket(AF_INET, SOCK_STREAM)', 'socket', [2, 1, 0]],
      ['socket(AF_INET6, SOCK_DGRAM)', 'socket', [10, 2, 0]],
      ['socket(AF_INET, SOCK_RAW)', 'socket', [2, 3, 1]],
      ['socket(AF_PACKET)', 'socket', [17, 3, 0]],
      ['socket(AF_NETLINK)', 'socket', [16, 3, 0]],
      ['socket(AF_UNIX)', 'socket', [1, 1, 0]],
      ['clone(CLONE_NEWUSER)', 'clone', [0x10000000 | 17, 0, 0, 0, 0]],
      ['clone3', 'clone3', [0, 0]],
      ['io_uring_setup', 'io_uring_setup', [1, 0]],
      ['ioctl(TIOCSTI)', 'ioctl', [0, TIOCSTI, 0]],
      ...(
        [
          'unshare',
          'setns',
          'ptrace',
          'process_vm_readv',
          'bpf',
          'perf_event_open',
          'userfaultfd',
          'mount',
          'umount2',
          'pivot_root',
          'open_tree',
          'fsopen',
          'mount_setattr',
          'open_by_handle_at',
          'keyctl',
          'add_key',
          'init_module',
          'finit_module',
          'delete_module',
          'kexec_load',
        ] as const
      ).map((name): Call => [name, name, []]),
    ];
    const got = await rawSyscalls(calls);
    const want = Object.fromEntries(calls.map(([label]) => [label, EPERM]));
    Object.assign(want, {
      'socket(AF_UNIX)': 0,
      'socket(AF_INET, SOCK_STREAM)': 0,
      'socket(AF_INET6, SOCK_DGRAM)': 0,
      clone3: ENOSYS,
      io_uring_setup: ENOSYS,
    });
    expect(got).toEqual(want);
    // without the filter the kernel answers these itself, differently
    const control = await rawSyscalls(
      calls.filter(([l]) => ['socket(AF_NETLINK)', 'clone3', 'io_uring_setup', 'ioctl(TIOCSTI)'].includes(l)),
      false,
    );
    expect(control['socket(AF_NETLINK)']).toBe(0);
    expect(control['clone3']).not.toBe(ENOSYS);
    expect(control['io_uring_setup']).not.toBe(ENOSYS);
    expect(control['ioctl(TIOCSTI)']).not.toBe(EPERM);
  });

  it('keeps node, bash, python, git and file reading working', async () => {
    const nodeRun = await sandboxed([node, '-e', 'console.log(1 + 1)']);
    expect(nodeRun.stdout.trim(), nodeRun.stderr).toBe('2');
    const bash = await sandboxed(['bash', '-c', 'true && echo ok']);
    expect(bash.stdout.trim(), bash.stderr).toBe('ok');
    const read = await sandboxed([
      node,
      '-e',
      'process.stdout.write(require("fs").readFileSync("/etc/passwd","utf8").split(":")[0])',
    ]);
    expect(read.stdout, read.stderr).toBe('root');
    const threads = await sandboxed([
      node,
      '-e',
      'new (require("worker_threads").Worker)("process.exit(0)",{eval:true}).on("exit",c=>console.log("worker",c))',
    ]);
    expect(threads.stdout.trim(), threads.stderr).toBe('worker 0');
    if (python) {
      const py = await sandboxed([
        python,
        '-c',
        'import subprocess; print(subprocess.run(["true"]).returncode)',
      ]);
      expect(py.stdout.trim(), py.stderr).toBe('0');
    }
    if (has('git')) {
      const git = await sandboxed([
        'sh',
        '-c',
        'cd /tmp && git init -q r && cd r && git -c user.name=a -c user.email=a@b commit -q --allow-empty -m m && git log --format=%s',
      ]);
      expect(git.stdout.trim(), git.stderr).toBe('m');
    }
  });
});
