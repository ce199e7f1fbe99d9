/**
 * A real `agentos serve` for end-to-end tests: a fresh data directory holding the example organisation and
 * its policies, secrets minted by the real CLI, and the daemon as its own process on a free loopback port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const root = fileURLToPath(new URL('../..', import.meta.url));
/** The built CLI. */
export const bin = join(root, 'bin/agentos.js');
/** The example organisation. */
export const example = join(root, 'examples/onboarding');

/** An environment with no colour and no daemon or token settings from the caller's shell. */
export const cleanEnv = { ...process.env, NO_COLOR: '1', AGENTOS_URL: '', AGENTOS_TOKEN: '' };

/** A data directory with the example organisation, and the local commands that work on it. */
export class ExampleNode {
  readonly tmp: string;
  readonly data: string;

  constructor(prefix: string) {
    this.tmp = mkdtempSync(join(tmpdir(), prefix));
    this.data = join(this.tmp, 'data');
    this.run(['init']);
    copyFileSync(join(example, 'org.yaml'), join(this.data, 'org.yaml'));
    for (const f of readdirSync(join(example, 'policies'))) {
      copyFileSync(join(example, 'policies', f), join(this.data, 'policies', f));
    }
  }

  /** Runs a local command on the data directory; throws with its stderr unless it exits 0. */
  run(args: readonly string[]): string {
    const r = this.agentos(args);
    if (r.code !== 0) throw new Error(`agentos ${args.join(' ')} exited ${String(r.code)}: ${r.stderr}`);
    return r.stdout.trim();
  }

  /** Runs a command on the data directory and returns what it did. */
  agentos(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [bin, ...args, '--data', this.data], {
      encoding: 'utf8',
      env: cleanEnv,
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** An agent's credential, minted by `agentos agents credential`. */
  credential(agent: string): string {
    return this.run(['agents', 'credential', agent]);
  }

  /** A person's token, minted by `agentos token create`. */
  token(person: string, role: 'admin' | 'approver' | 'auditor' | 'viewer'): string {
    return this.run(['token', 'create', '--person', person, '--role', role]);
  }

  /**
   * Starts `agentos serve --port 0 --quiet` on the data directory, with extra environment variables;
   * resolves once it listens.
   */
  async serve(env: Readonly<Record<string, string>> = {}): Promise<Daemon> {
    const child = spawn(process.execPath, [bin, 'serve', '--data', this.data, '--port', '0', '--quiet'], {
      env: { ...cleanEnv, ...env },
    });
    const output = { text: '' };
    child.stdout.on('data', (b: Buffer) => (output.text += b.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/\S+)/.exec(output.text);
        if (m?.[1]) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${String(code)}: ${output.text}`)));
    });
    return new Daemon(child, url, output);
  }

  /** Removes the directory. */
  remove(): void {
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** A running daemon process. */
export class Daemon {
  constructor(
    readonly child: ChildProcess,
    readonly url: string,
    private readonly output: { text: string } = { text: '' },
  ) {}

  /** The first match of `pattern` in what the daemon printed on stdout, waiting up to 10 s for it. */
  async printed(pattern: RegExp): Promise<RegExpExecArray> {
    for (let waited = 0; waited < 10_000; waited += 20) {
      const m = pattern.exec(this.output.text);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`the daemon never printed ${String(pattern)}: ${this.output.text}`);
  }

  /** Sends a signal and resolves with the exit code. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    // a daemon already gone (exited, or killed by a signal) has nothing left to stop
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.resolve(this.child.exitCode);
    }
    const exited = new Promise<number | null>((resolve) => this.child.on('exit', resolve));
    this.child.kill(signal);
    return exited;
  }
}
