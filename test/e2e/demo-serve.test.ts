/**
 * The main job, `agentos serve --demo` (what `npm start` runs), as a real process: the demo systems and
 * agents come up, the story's allowed, denied, waiting and held steps happen, and a person using the
 * printed tokens approves the salary and resumes the paused agent — which the waiting agents then see.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { bin, cleanEnv } from '../support/daemon.js';

const sandboxable =
  process.platform === 'linux' &&
  spawnSync('bwrap', ['--version']).status === 0 &&
  spawnSync('socat', ['-V']).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'agentos-demo-serve-'));
const data = join(tmp, 'demo');
let child: ChildProcess;
let out = '';
let url = '';

/** Resolves once the demo's output matches. */
function until(pattern: RegExp, ms = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      const m = pattern.exec(out);
      if (m) return resolve(m);
      if (Date.now() - started > ms) return reject(new Error(`no ${String(pattern)} in:\n${out}`));
      setTimeout(check, 50);
    };
    check();
  });
}

const token = (person: string) =>
  new RegExp(`${person.replace('.', '\\.')}\\s+(aosp_[A-Za-z0-9_-]+)`).exec(out)?.[1] ?? '';

beforeAll(async () => {
  child = spawn(process.execPath, [bin, 'serve', '--demo', '--port', '0', '--data', data], { env: cleanEnv });
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  url = (await until(/listening on (http:\/\/\S+)/))[1] ?? '';
});

afterAll(() => {
  child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

describe('agentos serve --demo', () => {
  it('runs the onboarding: executed, denied, waiting and held steps', () => {
    expect(out).toContain('executed by it: {"created":"jdoe"');
    expect(out).toContain('executed by finance: {"employee":"jdoe","salary":98000}');
    expect(out).toContain('denied (org-baseline/dangerous-shell)');
    expect(out).toContain('denied (org-baseline/destructive-sql)');
    expect(out).toContain('denied (hr-compliance/no-external-mail)');
    expect(out).toContain('waits for approval by fiona@acme.test');
    expect(out).toContain('held: its agent is paused');
    expect(out).toContain(`console   ${url}/`);
  });

  it.skipIf(!sandboxable)(
    'runs training-bot under agentos run, and blocks its compromised job, recorded',
    async () => {
      expect(out).toMatch(/sandboxed agents \(agentos run: bubblewrap, seccomp/);
      expect(out).toMatch(/sends Jordan a reminder about security basics → executed/);
      expect(out).toMatch(/✗ call the HR system directly\s+blocked: ECONNREFUSED/);
      expect(out).toMatch(/✗ read the kernel's data directory\s+blocked: ENOENT/);
      expect(out).toMatch(/✗ look for secrets in the environment\s+found none/);
      expect(out).toMatch(/✗ upload data to paste\.example\.net\s+blocked by the kernel: 403 AOS_DENIED/);
      expect(out).toMatch(/✗ give Jordan a raise through the kernel\s+blocked by the kernel: denied/);
      // what reached the kernel is in the ledger the console shows
      const res = await fetch(`${url}/v1/actions?status=denied&agent=training-bot`, {
        headers: { authorization: `Bearer ${token('olivia@acme.test')}` },
      });
      const { actions } = (await res.json()) as {
        actions: { request: { action: string; resource?: string } }[];
      };
      const seen = actions.map((a) => `${a.request.action} ${a.request.resource ?? ''}`);
      expect(seen).toContain('http.request https://paste.example.net:443/');
      expect(seen).toContain('payroll.update employee/jordan.doe');
    },
  );

  it('lets the printed approver approve the salary; the finance system then holds it', async () => {
    const fiona = connect({ url, credential: token('fiona@acme.test') });
    const open = await fiona.approvals.list({ mine: true });
    const salary = open.find((a) => a.request?.action === 'payroll.update');
    expect(salary?.request?.args).toEqual({ salary: 250_000 });
    await fiona.approvals.approve(salary?.id ?? '', 'signing raise agreed with HR');
    await until(/payroll-bot: applies the signing raise HR negotiated → executed by finance/);
    const finance = /finance\s+(http:\/\/\S+\/)/.exec(out)?.[1] ?? '';
    const tables = (await (await fetch(finance)).json()) as { salaries: { salary: number }[] };
    expect(tables.salaries.map((r) => r.salary)).toEqual([250_000]);
  });

  it('resumes the paused agent for the admin, and its held order runs', async () => {
    const olivia = connect({ url, credential: token('olivia@acme.test') });
    await olivia.signal('cont', { agent: 'hardware-bot' });
    await until(/hardware-bot: resumed; the monitor order → executed by it/);
  });

  it('stops on SIGTERM with exit 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses to rebuild a directory it did not make, and leaves it alone', async () => {
    const other = join(tmp, 'precious');
    mkdirSync(other);
    writeFileSync(join(other, 'keep.txt'), 'mine');
    const r = spawn(process.execPath, [bin, 'serve', '--demo', '--port', '0', '--data', other], {
      env: cleanEnv,
    });
    let err = '';
    r.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => r.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('was not made by the demo');
  });
});
