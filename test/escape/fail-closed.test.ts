/**
 * Fail closed (issue 5 §5), for real: kill the daemon and the sandboxed run dies with it (nothing left
 * running unsupervised, its sockets dead); kill `agentos run` and the sandbox dies; fill the disk under the
 * ledger and the egress and LLM gateways refuse instead of forwarding, and no run starts (no record, no
 * request). Processes are found on the host by a marker in their command line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canSandbox, isRoot, RunFixture } from '../support/runs.js';

let fixtures: RunFixture[] = [];

afterEach(async () => {
  for (const f of fixtures) await f.close().catch(() => undefined);
  fixtures = [];
});

async function fixture(prefix: string): Promise<RunFixture> {
  const f = await RunFixture.start(prefix);
  fixtures.push(f);
  return f;
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** Host pids whose command line holds `marker`. */
function pidsWith(marker: string): number[] {
  const r = spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((p) => p !== process.pid);
}

async function until(test: () => boolean, ms = 10_000): Promise<void> {
  for (let waited = 0; !test(); waited += 50) {
    if (waited > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A run that prints a line every 100 ms until killed, with `marker` in its command line. */
const looping = (marker: string, body = 'echo tick') => [
  '/bin/sh',
  '-c',
  `while true; do ${body}; sleep 0.1; done`,
  marker,
];

/** Whether the end of a run of `worker` was recorded as the outcome of its agent.run: killed (waits 5 s). */
async function recordedKilled(f: RunFixture): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${f.daemon.url}/v1/ledger?type=action.completed&agent=worker&limit=1000`, {
      headers: { authorization: `Bearer ${f.adminToken}` },
    });
    const { records } = (await res.json()) as { records: { body: { outcome?: { killed?: boolean } } }[] };
    if (records.some((r) => r.body.outcome?.killed === true)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe.skipIf(!canSandbox)('fail closed', () => {
  it('killing the daemon kills the sandboxed run: nothing is left running unsupervised', async () => {
    const f = await fixture('agentos-fc-daemon-');
    const marker = `agentos-fc-${process.pid}-daemon`;
    const run = f.spawnRun('worker', looping(marker));
    let out = '';
    run.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise<number | null>((r) => run.on('close', r));
    await until(() => out.includes('tick'));
    expect(pidsWith(marker).length).toBeGreaterThan(0);
    await f.daemon.stop('SIGKILL');
    await until(() => pidsWith(marker).length === 0);
    expect(await exited).not.toBe(0); // the caller is told the run did not end well
    if (isRoot) {
      // the killed daemon could not remove the run's cgroup; the next one on the data directory does
      const scope = join('/sys/fs/cgroup/memory/agentos', `d-${sha256(resolve(f.node.data)).slice(0, 16)}`);
      const left = () => (existsSync(scope) ? readdirSync(scope).filter((n) => n.startsWith('run_')) : []);
      expect(left().length).toBeGreaterThan(0);
      f.daemon = await f.serve();
      expect(left()).toEqual([]);
    }
  });

  it('killing `agentos run` kills the sandbox, and the run is recorded as killed', async () => {
    const f = await fixture('agentos-fc-cli-');
    const marker = `agentos-fc-${process.pid}-cli`;
    const run = f.spawnRun('worker', looping(marker));
    let out = '';
    run.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    await until(() => out.includes('tick'));
    run.kill('SIGKILL');
    await until(() => pidsWith(marker).length === 0);
    expect(await recordedKilled(f)).toBe(true);
  });

  it('killing `agentos run` while its output is held back still ends the run and records it', async () => {
    const f = await fixture('agentos-fc-held-');
    const marker = `agentos-fc-${process.pid}-held`;
    // nobody reads this `agentos run`: the daemon holds the run's pipes, and the run blocks on its writes
    const run = f.spawnRun('worker', looping(marker, 'head -c 1048576 /dev/zero'));
    await until(() => pidsWith(marker).length > 0);
    await new Promise((r) => setTimeout(r, 1_500));
    run.kill('SIGKILL');
    await until(() => pidsWith(marker).length === 0);
    expect(await recordedKilled(f)).toBe(true);
  });

  it.skipIf(!isRoot)(
    'a full disk under the ledger: the egress and LLM gateways refuse, nothing is forwarded, no run starts',
    async () => {
      const f = await fixture('agentos-fc-disk-');
      // the daemon's data directory on its own small tmpfs, so the test can fill it
      await f.daemon.stop();
      const mount = join(f.node.tmp, 'small');
      mkdirSync(mount);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount]);
      try {
        execFileSync('cp', ['-a', `${f.node.data}/.`, mount]);
        execFileSync('mount', ['--bind', mount, f.node.data]);
        try {
          f.daemon = await f.serve();
          const marker = `agentos-fc-${process.pid}-disk`;
          const run = f.spawnRun(
            'worker',
            looping(
              marker,
              `curl -s -o /dev/null -w '%{http_code}\\n' http://localhost:${f.webPort}/tick; ` +
                `curl -s -o /dev/null -w 'llm %{http_code}\\n' -H "authorization: Bearer $OPENAI_API_KEY" ` +
                `-H 'content-type: application/json' -d '{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}' ` +
                '$OPENAI_BASE_URL/chat/completions',
            ),
          );
          let out = '';
          run.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
          await until(() => out.includes('\n200\n') && out.includes('llm 200'));
          // fill the disk
          const filler = openSync(join(f.node.data, 'filler'), 'w');
          const chunk = Buffer.alloc(1024 * 1024);
          try {
            for (;;) writeSync(filler, chunk);
          } catch {
            // ENOSPC: full
          } finally {
            closeSync(filler);
          }
          const seen = out.length;
          await until(() => /\b(5\d\d|403)\b/.test(out.slice(seen)));
          const hitsThen = f.hits.length;
          const llmThen = f.llmCalls.length;
          const before = out.length;
          await until(() => out.slice(before).split('\n').filter(Boolean).length >= 6);
          // every request after the disk filled was refused by both gateways, none reached an upstream
          const after = out.slice(before).split('\n').filter(Boolean);
          expect(after).not.toContain('200');
          expect(after).not.toContain('llm 200');
          expect(f.hits.length).toBe(hitsThen);
          expect(f.llmCalls.length).toBe(llmThen);
          // and no new run starts: agent.run cannot be recorded
          const refused = await f.sh('worker', 'echo started');
          expect(refused.code).not.toBe(0);
          expect(refused.stdout).not.toContain('started');
          run.kill('SIGKILL');
          await until(() => pidsWith(marker).length === 0);
          await f.daemon.stop('SIGKILL');
        } finally {
          spawnSync('umount', ['-l', f.node.data]);
        }
      } finally {
        spawnSync('umount', ['-l', mount]);
      }
    },
  );
});
