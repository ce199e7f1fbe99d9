/**
 * The main job, `agentos serve --demo` (what `npm start` runs), as a real process: the demo systems and
 * agents come up, the story's allowed, denied, waiting and held steps happen, and a person using the
 * printed tokens approves the salary and resumes the paused agent — which the waiting agents then see.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { bin, cleanEnv } from '../support/daemon.js';

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
