/**
 * A kernel that is not root (run here as an unprivileged uid through setpriv): it cannot make cgroups, so
 * the machine gives `partial` enforcement. `agentos doctor` says so and exits 6; an agent that requires
 * `os-enforced` (the default) is refused with AOS_SANDBOX_UNAVAILABLE and exit 6, never started with less;
 * an agent whose department accepts `partial` runs, as the kernel's own uid, with the kernel's data
 * directory hidden. Root only (it needs to become another user).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, cleanEnv, ExampleNode } from '../support/daemon.js';
import { canSandbox, isRoot } from '../support/runs.js';

const UID = 2_000_000_321;
const as = ['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups'];

const ORG = `apiVersion: agentos/v1
kind: Organization
metadata: { name: unprivileged }
departments:
  - { id: eng, name: Engineering }
  - { id: tolerant, name: Tolerant, parent: eng, sandbox: { enforcement: partial } }
people:
  - { id: ann@u.test, name: Ann, department: eng }
agents:
  - { id: strict, owner: ann@u.test, department: eng, autonomy: 3 }
  - { id: relaxed, owner: ann@u.test, department: tolerant, autonomy: 3 }
`;
const POLICY = `apiVersion: agentos/v1
kind: Policy
metadata: { name: runs }
scope: { department: eng }
rules:
  - { id: runs, effect: allow, action: agent.run }
`;

let node: ExampleNode;
let daemon: ChildProcess;
let url = '';
let token = '';

/** Runs a command as the unprivileged uid. */
function unprivileged(args: readonly string[], env: Record<string, string> = {}) {
  const r = spawnSync(as[0] ?? 'setpriv', [...as.slice(1), process.execPath, bin, ...args], {
    encoding: 'utf8',
    env: { ...cleanEnv, HOME: '/tmp', ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  if (!isRoot || !canSandbox) return;
  node = new ExampleNode('agentos-unpriv-');
  writeFileSync(join(node.data, 'org.yaml'), ORG);
  spawnSync('sh', ['-c', `rm -f ${join(node.data, 'policies')}/*.yaml`]);
  writeFileSync(join(node.data, 'policies', 'runs.yaml'), POLICY);
  token = node.token('ann@u.test', 'viewer');
  chmodSync(node.tmp, 0o755);
  spawnSync('chown', ['-R', `${UID}:${UID}`, node.data]);
  chownSync(node.tmp, UID, UID);
  daemon = spawn(
    as[0] ?? 'setpriv',
    [...as.slice(1), process.execPath, bin, 'serve', '--data', node.data, '--port', '0', '--quiet'],
    { env: { ...cleanEnv, HOME: '/tmp' } },
  );
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    daemon.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    daemon.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    daemon.on('exit', (code) => reject(new Error(`serve exited ${String(code)}: ${out}`)));
  });
}, 60_000);

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((r) => daemon.on('exit', r));
    daemon.kill('SIGTERM');
    await exited;
  }
  node?.remove();
});

describe.skipIf(!isRoot || !canSandbox)('agentos doctor as root', () => {
  it('probes as the sandbox host uid and reports os-enforced (exit 0)', () => {
    const r = spawnSync(process.execPath, [bin, 'doctor'], { encoding: 'utf8', env: cleanEnv });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^sandbox probes, as uid 2000000000 \(the kernel is root\):$/m);
    for (const probe of ['namespaces', 'seccomp', 'relays', 'cgroups']) {
      expect(r.stdout).toMatch(new RegExp(`^  ok   ${probe}`, 'm'));
    }
    expect(r.stdout).toMatch(/^enforcement: os-enforced$/m);
  });
});

describe.skipIf(!isRoot || !canSandbox)('a kernel that is not root', () => {
  it('agentos doctor reports partial enforcement (no cgroups) and exits 6', () => {
    const r = unprivileged(['doctor', '--json']);
    expect(r.code).toBe(6);
    const report = JSON.parse(r.stdout) as { level: string; probes: Record<string, { ok: boolean }> };
    expect(report.level).toBe('partial');
    expect(report.probes.namespaces?.ok).toBe(true);
    expect(report.probes.seccomp?.ok).toBe(true);
    expect(report.probes.cgroups?.ok).toBe(false);
  });

  it('refuses to run an agent that requires os-enforced, with exit 6', () => {
    const r = unprivileged(['run', '--agent', 'strict', '--', '/bin/sh', '-c', 'echo started'], {
      AGENTOS_URL: url,
      AGENTOS_TOKEN: token,
    });
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /requires `os-enforced` enforcement; this machine gives `partial`.*AOS_SANDBOX_UNAVAILABLE/,
    );
  });

  it('runs an agent that accepts partial, as the kernel uid, the data directory hidden', () => {
    const r = unprivileged(
      [
        'run',
        '--agent',
        'relaxed',
        '--',
        '/bin/sh',
        '-c',
        `id -u; ls -A ${node.data} | wc -l; cat /proc/self/status | grep CapEff`,
      ],
      { AGENTOS_URL: url, AGENTOS_TOKEN: token },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [uid, entries, caps] = r.stdout.trim().split('\n');
    expect(uid).toBe('65534');
    expect(entries?.trim()).toBe('0');
    expect(caps).toMatch(/CapEff:\s+0+$/);
  });
});
