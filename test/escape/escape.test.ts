/**
 * The escape suite (issue 5 §6): attempts from inside a sandboxed run to act without the kernel, each
 * asserting it is blocked — and, where the attempt reached the kernel, that the refusal is recorded. The
 * targets are only loopback listeners this file starts (the host's 127.0.0.1, ::1 and an abstract Unix
 * socket), the machine's own PostgreSQL socket, and files this file makes. Every run is a real
 * `agentos run` against a real daemon.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canSandbox, RunFixture, type RunResult } from '../support/runs.js';

const PY = '/usr/bin/python3';
const hasPython = existsSync(PY);
const PROVIDER_KEY = 'sk-live-the-kernel-holds-this-0123456789';

let f: RunFixture;
let hostTcp: net.Server;
let hostTcpPort = 0;
let hostTcp6: net.Server | undefined;
let hostTcp6Port = 0;
let hostAbstract: net.Server;
let udp: UdpSocket;
let udpPort = 0;
const reached: string[] = [];
let secretFile = '';

beforeAll(async () => {
  if (!canSandbox) return;
  f = await RunFixture.start('agentos-escape-', { OPENAI_API_KEY: PROVIDER_KEY });
  hostTcp = net.createServer((c) => {
    reached.push('tcp');
    c.end('host');
  });
  await new Promise<void>((r) => hostTcp.listen(0, '127.0.0.1', r));
  hostTcpPort = (hostTcp.address() as net.AddressInfo).port;
  try {
    hostTcp6 = net.createServer((c) => {
      reached.push('tcp6');
      c.end('host');
    });
    await new Promise<void>((r, j) => hostTcp6?.once('error', j).listen(0, '::1', r));
    hostTcp6Port = (hostTcp6.address() as net.AddressInfo).port;
  } catch {
    hostTcp6 = undefined;
  }
  hostAbstract = net.createServer((c) => {
    reached.push('abstract');
    c.end('host');
  });
  await new Promise<void>((r) => hostAbstract.listen('\0agentos-escape-test', r));
  udp = createSocket('udp4');
  udp.on('message', () => reached.push('udp'));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  udpPort = udp.address().port;
  secretFile = join(f.node.tmp, 'host-secret.txt');
  writeFileSync(secretFile, 'the host secret', { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  hostTcp?.close();
  hostTcp6?.close();
  hostAbstract?.close();
  udp?.close();
  await f?.close();
});

/** A python attack script run in the sandbox as the agent without network permissions. */
const py = (script: string): Promise<RunResult> => f.run('escaper', [PY, '-c', script]);
const sh = (script: string): Promise<RunResult> => f.sh('escaper', script);
const nodeJs = (script: string): Promise<RunResult> => f.nodeScript('escaper', script);

/** Python: a raw syscall's errno (0 when it succeeded). */
const syscall = (nr: number, ...args: number[]) => `
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
r = libc.syscall(${[nr, ...args].map((a) => `ctypes.c_long(${a})`).join(', ')})
print(0 if r >= 0 else ctypes.get_errno())
`;
const NR =
  process.arch === 'arm64'
    ? { ptrace: 117, mount: 40, bpf: 280, io_uring_setup: 425, keyctl: 219, unshare: 97, setns: 268 }
    : { ptrace: 101, mount: 165, bpf: 321, io_uring_setup: 425, keyctl: 250, unshare: 272, setns: 308 };
const EPERM = 1;
const ENOSYS = 38;

describe.skipIf(!canSandbox)('escape attempts from a sandboxed run', () => {
  describe('network', () => {
    it('TCP to a listener on the host loopback reaches nothing', async () => {
      const r = await nodeJs(
        `require('net').connect(${hostTcpPort},'127.0.0.1').on('connect',()=>console.log('connected')).on('error',e=>console.log(e.code))`,
      );
      expect(r.stdout.trim()).toBe('ECONNREFUSED');
      expect(reached).not.toContain('tcp');
    });

    it.skipIf(!hostTcp6)('TCP to a listener on the host ::1 reaches nothing', async () => {
      const r = await nodeJs(
        `require('net').connect(${hostTcp6Port},'::1').on('connect',()=>console.log('connected')).on('error',e=>console.log(e.code))`,
      );
      expect(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH']).toContain(r.stdout.trim());
      expect(reached).not.toContain('tcp6');
    });

    it("TCP to the host's own non-loopback addresses has no route", async () => {
      const own = Object.values(networkInterfaces())
        .flat()
        .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
      if (!own) return;
      const r = await nodeJs(
        `require('net').connect(${hostTcpPort},${JSON.stringify(own)}).on('connect',()=>console.log('connected')).on('error',e=>console.log(e.code))`,
      );
      expect(r.stdout.trim()).toBe('ENETUNREACH');
    });

    it('UDP to a listener on the host loopback arrives nowhere', async () => {
      const r = await nodeJs(
        `const s=require('dgram').createSocket('udp4');s.send('x',${udpPort},'127.0.0.1',e=>{console.log(e?e.code:'sent');s.close()})`,
      );
      expect(r.code, r.stderr).toBe(0);
      await new Promise((res) => setTimeout(res, 200));
      expect(reached).not.toContain('udp');
    });

    it.skipIf(!hasPython)('a raw socket is refused', async () => {
      const r = await py(
        `import socket\ntry:\n  socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); print('opened')\nexcept OSError as e: print(e.errno)`,
      );
      expect(r.stdout.trim()).toBe(String(EPERM));
    });

    it.skipIf(!hasPython)('a netlink socket is refused', async () => {
      const r = await py(
        `import socket\ntry:\n  socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); print('opened')\nexcept OSError as e: print(e.errno)`,
      );
      expect(r.stdout.trim()).toBe(String(EPERM));
    });

    it.skipIf(!hasPython)('a packet socket is refused', async () => {
      const r = await py(
        `import socket\ntry:\n  socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0); print('opened')\nexcept OSError as e: print(e.errno)`,
      );
      expect(r.stdout.trim()).toBe(String(EPERM));
    });

    it('DNS lookups inside the sandbox fail: names are resolved by the proxy only', async () => {
      const r = await nodeJs(
        `require('dns').resolve4('example.com',(e,a)=>console.log(e?e.code:a.join(',')))`,
      );
      expect(['ECONNREFUSED', 'ENETUNREACH', 'ETIMEOUT', 'ECONNRESET', 'ESERVFAIL']).toContain(
        r.stdout.trim(),
      );
    });

    it("a host abstract Unix socket is another network namespace's", async () => {
      const r = await nodeJs(
        `require('net').connect('\\0agentos-escape-test').on('connect',()=>console.log('connected')).on('error',e=>console.log(e.code))`,
      );
      expect(r.stdout.trim()).toBe('ECONNREFUSED');
      expect(reached).not.toContain('abstract');
    });

    it("PostgreSQL's Unix socket and everything else under /run are gone", async () => {
      const r = await sh('ls -A /run /var/run/postgresql 2>&1; ls -A /run/agentos');
      expect(r.stdout).not.toMatch(/PGSQL/);
      expect(r.stdout).toMatch(/No such file or directory/);
      expect(r.stdout.trim().split('\n').slice(-2)).toEqual(['egress.sock', 'kernel.sock']);
    });
  });

  describe('the gateways', () => {
    it('a host name resolving to loopback is refused by the proxy, and recorded', async () => {
      const before = reachedWeb();
      const r = await sh(`curl -s -o /dev/null -w '%{http_code}' http://localhost:${f.webPort}/steal`);
      expect(r.stdout).toBe('403');
      expect(reachedWeb()).toBe(before);
      const denied = await f.actions('escaper', 'denied');
      expect(denied.some((a) => a.action === 'http.request' && a.resource?.endsWith('/steal'))).toBe(true);
    });

    it('the metadata address is refused by the proxy, and recorded', async () => {
      const r = await sh(`curl -s -o /dev/null -w '%{http_code}' http://169.254.169.254/latest/meta-data/`);
      expect(r.stdout).toBe('403');
      const denied = await f.actions('escaper', 'denied');
      expect(denied.some((a) => a.resource === 'http://169.254.169.254/latest/meta-data/')).toBe(true);
    });

    it('a CONNECT tunnel to a host policy does not allow is refused, and recorded', async () => {
      const r = await sh(
        `curl -s -o /dev/null -w '%{http_code}' --noproxy '' -p https://127.0.0.1:${hostTcpPort}/ 2>&1; echo`,
      );
      expect(r.stdout.trim()).toMatch(/^(403|000)$/); // curl reports the refused CONNECT as 000 or 403
      expect(reached).not.toContain('tcp');
      const denied = await f.actions('escaper', 'denied');
      expect(denied.some((a) => a.resource === `https://127.0.0.1:${hostTcpPort}/`)).toBe(true);
    });

    it('talking to the egress socket directly is governed all the same', async () => {
      const r = await nodeJs(
        `require('http').get({ socketPath: '/run/agentos/egress.sock', path: 'http://localhost:${f.webPort}/direct' }, (res) => { console.log(res.statusCode); process.exit(0); })`,
      );
      expect(r.stdout.trim()).toBe('403');
      const denied = await f.actions('escaper', 'denied');
      expect(denied.some((a) => a.resource?.endsWith('/direct'))).toBe(true);
    });

    it('the run socket knows only the run credential', async () => {
      const stolen = f.node.credential('worker');
      const r = await sh(
        `curl -s -w ' %{http_code}' -H 'authorization: Bearer ${stolen}' --unix-socket /run/agentos/kernel.sock http://kernel/v1/me`,
      );
      expect(r.stdout).toMatch(/AOS_UNAUTHENTICATED.* 401$/);
    });

    it('the run credential cannot act as another agent, and the attempt is recorded', async () => {
      const r = await sh(
        `curl -s -w ' %{http_code}' -H "authorization: Bearer $AGENTOS_CREDENTIAL" -H 'content-type: application/json' ` +
          `-d '{"agent":"worker","action":"notes.write","resource":"x","args":{}}' $AGENTOS_URL/v1/actions`,
      );
      expect(r.stdout).toMatch(/AOS_FORBIDDEN.* 403$/);
      const res = await fetch(`${f.daemon.url}/v1/ledger?type=access.denied&limit=1000`, {
        headers: { authorization: `Bearer ${f.adminToken}` },
      });
      const { records } = (await res.json()) as {
        records: { body: { who?: { id?: string }; agent?: string } }[];
      };
      expect(records.some((x) => x.body.who?.id === 'escaper' && x.body.agent === 'worker')).toBe(true);
    });

    it("the run cannot write its own input: that is its caller's", async () => {
      const r = await sh(
        `curl -s -w ' %{http_code}' -X PUT -H "authorization: Bearer $AGENTOS_CREDENTIAL" -H 'content-type: application/octet-stream' ` +
          `--data-binary 'injected' $AGENTOS_URL/v1/runs/$AGENTOS_RUN/stdin`,
      );
      expect(r.stdout).toMatch(/AOS_FORBIDDEN.* 403$/);
    });

    it('the bound sockets cannot be replaced', async () => {
      const r = await sh('rm -f /run/agentos/kernel.sock 2>&1; ls /run/agentos');
      expect(r.stdout).toMatch(/(Read-only file system|Permission denied|Device or resource busy)/);
      expect(r.stdout).toMatch(/kernel\.sock/);
    });
  });

  describe('files', () => {
    it('cannot write outside the workspace', async () => {
      const r = await sh(
        'for p in /etc/agentos-x /usr/agentos-x /opt/agentos-x /var/agentos-x; do touch $p 2>&1; done',
      );
      expect(r.stdout.trim().split('\n')).toHaveLength(4);
      expect(r.stdout).toMatch(/Read-only file system/);
      for (const p of ['/etc/agentos-x', '/usr/agentos-x', '/opt/agentos-x', '/var/agentos-x'])
        expect(existsSync(p)).toBe(false);
    });

    it("/tmp is the sandbox's own, not the host's", async () => {
      const r = await sh('echo planted > /tmp/agentos-planted && ls /tmp');
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync('/tmp/agentos-planted')).toBe(false);
    });

    it("cannot read the kernel's data directory or its keys", async () => {
      const r = await sh(
        `ls -A ${f.node.data}; cat ${join(f.node.data, 'agentos.yaml')} 2>&1; find / -name '*.key' -path '*agentos*' 2>/dev/null | head -3`,
      );
      expect(r.stdout).toMatch(/No such file or directory/);
      expect(r.stdout).not.toMatch(/runs:|stream:/);
    });

    it('cannot read a host secret', async () => {
      const r = await sh(`cat ${secretFile} 2>&1; cat /etc/shadow 2>&1 | head -1`);
      expect(r.stdout).not.toMatch(/the host secret/);
      expect(r.stdout).not.toMatch(/^root:/m);
      expect(r.stdout).toMatch(/No such file or directory|Permission denied/);
    });

    it('a symlink in the workspace leads nowhere outside it', async () => {
      const ws = f.workspace();
      const r = await f.sh(
        'escaper',
        `ln -s ${secretFile} leak && cat leak 2>&1; ln -s ${f.node.data} data && ls -A data/ 2>&1; echo end`,
        ['--workspace', ws],
      );
      expect(r.stdout).not.toMatch(/the host secret/);
      expect(r.stdout).not.toMatch(/agentos\.yaml/);
    });

    it('.. out of the workspace reaches only the sandbox view', async () => {
      const ws = f.workspace();
      const r = await f.sh('escaper', `cat ../../../../${secretFile} 2>/dev/null; ls -A ../`, [
        '--workspace',
        ws,
      ]);
      expect(r.stdout).not.toMatch(/the host secret/);
      // the workspace's parent holds the workspace and the (empty) cover over the data directory, nothing else
      const beside = r.stdout.trim().split('\n');
      expect(beside).toContain(ws.split('/').at(-1));
      expect(beside).not.toContain('host-secret.txt');
    });

    it('a hard link to a file outside the workspace is refused', async () => {
      const ws = f.workspace();
      const r = await f.sh('escaper', 'ln /etc/passwd passwd-link 2>&1; echo end', ['--workspace', ws]);
      expect(r.stdout).toMatch(/(Invalid cross-device link|Operation not permitted)/);
      expect(existsSync(join(ws, 'passwd-link'))).toBe(false);
    });

    it('cannot join another cgroup', async () => {
      const r = await sh(
        'for f in /sys/fs/cgroup/memory/cgroup.procs /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/cgroup.procs; do (echo $$ > $f) 2>&1 && echo joined $f; done; true',
      );
      expect(r.stdout).not.toMatch(/joined/);
      expect(r.stdout).toMatch(/(Read-only file system|Permission denied)/);
    });
  });

  describe('processes and the kernel', () => {
    it.skipIf(!hasPython)('ptrace is refused', async () => {
      expect((await py(syscall(NR.ptrace, 0, 0, 0, 0))).stdout.trim()).toBe(String(EPERM)); // PTRACE_TRACEME
    });

    it.skipIf(!hasPython)('mount is refused', async () => {
      expect((await py(syscall(NR.mount, 0, 0, 0, 0, 0))).stdout.trim()).toBe(String(EPERM));
    });

    it('a new user namespace is refused', async () => {
      const r = await sh('unshare -U -r id 2>&1; echo end');
      expect(r.stdout).toMatch(/Operation not permitted/);
      expect(r.stdout).not.toMatch(/uid=0/);
    });

    it.skipIf(!hasPython)('setns and unshare are refused', async () => {
      expect((await py(syscall(NR.unshare, 0x10000000))).stdout.trim()).toBe(String(EPERM));
      expect((await py(syscall(NR.setns, 0, 0))).stdout.trim()).toBe(String(EPERM));
    });

    it.skipIf(!hasPython)('bpf is refused', async () => {
      expect((await py(syscall(NR.bpf, 0, 0, 0))).stdout.trim()).toBe(String(EPERM));
    });

    it.skipIf(!hasPython)('io_uring is not there', async () => {
      expect((await py(syscall(NR.io_uring_setup, 1, 0))).stdout.trim()).toBe(String(ENOSYS));
    });

    it.skipIf(!hasPython)('the kernel keyring is refused', async () => {
      expect((await py(syscall(NR.keyctl, 0, 0))).stdout.trim()).toBe(String(EPERM));
    });

    it('host processes are invisible and cannot be signalled', async () => {
      const daemonPid = f.daemon.child.pid ?? 0;
      const r = await sh(
        `ls /proc/${daemonPid}/environ 2>&1; kill -0 ${daemonPid} 2>&1; ls /proc | grep -c '^[0-9]'`,
      );
      expect(r.stdout).toMatch(/No such file or directory/);
      expect(r.stdout).toMatch(/No such process/);
      expect(Number(r.stdout.trim().split('\n').at(-1))).toBeLessThan(10);
    });

    it("the provider keys in the kernel's environment are not in the run's", async () => {
      const r = await sh(
        'env; cat /proc/1/environ 2>/dev/null | tr "\\0" "\\n"; [ "$OPENAI_API_KEY" = "$AGENTOS_CREDENTIAL" ] && echo own-key',
      );
      expect(r.stdout).not.toContain(PROVIDER_KEY);
      // OPENAI_API_KEY is the run's own credential, for the LLM gateway
      expect(r.stdout).toMatch(/^own-key$/m);
    });

    it('a fork bomb hits the pids limit and stays contained', async () => {
      const r = await f.nodeScript(
        'small',
        `const { spawn } = require('child_process'); let up = 0; const errors = new Set();
        for (let i = 0; i < 100; i++) {
          try { const c = spawn('sleep', ['5']); c.on('spawn', () => up++); c.on('error', (e) => errors.add(e.code)); }
          catch (e) { errors.add(e.code); }
        }
        setTimeout(() => {
          const procs = require('fs').readdirSync('/proc').filter((n) => /^[0-9]+$/.test(n)).length;
          console.log(JSON.stringify({ up, errors: [...errors], procs })); process.exit(0);
        }, 1000);`,
      );
      const out = JSON.parse(r.stdout) as { up: number; errors: string[]; procs: number };
      expect(out.errors).toContain('EAGAIN');
      expect(out.up).toBeLessThan(32); // the group's pids.max, node's own threads included
      expect(out.procs).toBeLessThanOrEqual(32);
      // the daemon is still answering
      expect((await fetch(`${f.daemon.url}/healthz`)).status).toBe(200);
    });

    it('a memory bomb is killed by its own limit, nothing else', async () => {
      const r = await f.nodeScript('small', 'const a=[];for(;;)a.push(Buffer.alloc(8*1024*1024,1))');
      expect(r.code).toBe(137);
      expect(r.stderr).toMatch(/memory limit/);
      expect((await fetch(`${f.daemon.url}/healthz`)).status).toBe(200);
    });
  });
});

function reachedWeb(): number {
  return f.hits.length;
}
