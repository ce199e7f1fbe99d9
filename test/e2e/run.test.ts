/**
 * End-to-end: `agentos run` against a real daemon — the command runs confined as the agent, its output and
 * exit status come back, starting it is the recorded action `agent.run`, the SDK and HTTP_PROXY tools
 * inside reach the kernel only through the run's sockets, and signals freeze, thaw and kill the run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../support/daemon.js';
import { canSandbox, LLM_KEY, RunFixture } from '../support/runs.js';

let f: RunFixture;

beforeAll(async () => {
  if (canSandbox) f = await RunFixture.start('agentos-run-');
}, 60_000);

afterAll(async () => {
  await f?.close();
});

describe.skipIf(!canSandbox)('agentos run', () => {
  it('runs the command as the agent: output and exit status come back, agent.run is recorded', async () => {
    const r = await f.sh('worker', 'echo out; echo err >&2; exit 7');
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    expect(r.code).toBe(7);
    const done = await f.actions('worker', 'executed');
    expect(done.some((a) => a.action === 'agent.run' && a.resource === '/bin/sh')).toBe(true);
  });

  it('refuses a run policy does not allow, before anything starts (exit 5)', async () => {
    const ws = f.workspace();
    const r = await f.sh('unrun', 'touch started', ['--workspace', ws]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/AOS_DENIED/);
    expect(() => readFileSync(join(ws, 'started'))).toThrow();
  });

  it('refuses an unknown agent and a workspace that is not a directory', async () => {
    expect((await f.sh('ghost', 'true')).stderr).toMatch(/no agent `ghost`.*AOS_NOT_FOUND/);
    const r = await f.sh('worker', 'true', ['--workspace', '/nonexistent/ws']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a directory/);
  });

  it('confines it: nobody with no capabilities, a cleared environment, its own PID namespace', async () => {
    const r = await f.sh(
      'worker',
      'id -u; grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status; env | cut -d= -f1 | sort | tr "\\n" " "; echo; ls /proc | grep -c "^[0-9]"',
      ['--env', 'GREETING=hi'],
    );
    expect(r.code, r.stderr).toBe(0);
    const [uid, cap, nnp, seccomp, env, procs] = r.stdout.trim().split('\n');
    expect(uid).toBe('65534');
    expect(cap).toMatch(/CapEff:\s+0+$/);
    expect(nnp).toMatch(/NoNewPrivs:\s+1/);
    expect(seccomp).toMatch(/Seccomp:\s+2/);
    expect(env?.split(' ').filter(Boolean).sort()).toEqual(
      [
        'AGENTOS_AGENT',
        'AGENTOS_CREDENTIAL',
        'AGENTOS_RUN',
        'AGENTOS_SOCKET',
        'AGENTOS_URL',
        'GREETING',
        'HOME',
        'HTTPS_PROXY',
        'HTTP_PROXY',
        'LANG',
        'NO_PROXY',
        'OPENAI_API_KEY',
        'OPENAI_BASE_URL',
        'PATH',
        'PWD',
        'http_proxy',
        'https_proxy',
        'no_proxy',
      ].sort(),
    );
    // bwrap's init, the relays, the shell and ls: a handful, never the host's hundreds
    expect(Number(procs)).toBeLessThan(10);
  });

  it('writes only the workspace', async () => {
    const ws = f.workspace();
    const r = await f.sh('worker', 'echo made > result.txt && pwd', ['--workspace', ws]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(ws);
    expect(readFileSync(join(ws, 'result.txt'), 'utf8')).toBe('made\n');
  });

  it('gives the SDK the kernel through the run socket, as the agent, with the run credential', async () => {
    const sdk = join(root, 'dist/sdk/index.js');
    const r = await f.nodeScript(
      'worker',
      `import(${JSON.stringify(sdk)}).then(async ({ connect }) => {
        const c = connect({ url: process.env.AGENTOS_URL, credential: process.env.AGENTOS_CREDENTIAL, agent: 'worker' });
        const d = await c.submit({ action: 'notes.write', resource: 'notes/today', args: {} });
        console.log(d.status);
      }).catch((e) => { console.error(e.code, e.message); process.exit(1); })`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('allowed');
    const allowed = await f.actions('worker', 'allowed');
    expect(allowed.some((a) => a.action === 'notes.write' && a.resource === 'notes/today')).toBe(true);
  });

  it('connects the SDK through AGENTOS_SOCKET with connectFromEnv', async () => {
    const node = join(root, 'dist/sdk/node.js');
    const r = await f.nodeScript(
      'worker',
      `import(${JSON.stringify(node)}).then(async ({ connectFromEnv }) => {
        const d = await connectFromEnv().submit({ action: 'notes.write', resource: 'notes/socket', args: {} });
        console.log(d.status);
      }).catch((e) => { console.error(e.code, e.message); process.exit(1); })`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('allowed');
    const allowed = await f.actions('worker', 'allowed');
    expect(allowed.some((a) => a.resource === 'notes/socket')).toBe(true);
  });

  it('sends HTTP_PROXY tools through the egress proxy, decided and recorded', async () => {
    f.hits.length = 0;
    const r = await f.sh('worker', `curl -sS http://localhost:${f.webPort}/from-the-sandbox`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('web says hi to /from-the-sandbox');
    expect(f.hits).toEqual(['GET /from-the-sandbox']);
    const done = await f.actions('worker', 'executed');
    expect(done.some((a) => a.resource === `http://localhost:${f.webPort}/from-the-sandbox`)).toBe(true);
  });

  it('gives OpenAI clients the LLM gateway: the model answers, the provider key stays with the kernel', async () => {
    const openai = join(root, 'node_modules/openai/index.js');
    f.llmCalls.length = 0;
    const r = await f.nodeScript(
      'worker',
      `const { default: OpenAI } = require(${JSON.stringify(openai)});
      new OpenAI({ maxRetries: 0 }).chat.completions
        .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })
        .then((c) => console.log(c.choices[0].message.content), (e) => { console.error(e.status, e.message); process.exit(1); });`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('hello from the model');
    expect(f.llmCalls).toHaveLength(1);
    expect(f.llmCalls[0]).toMatch(new RegExp(`^Bearer ${LLM_KEY} `));
    const denied = await f.nodeScript(
      'worker',
      `const { default: OpenAI } = require(${JSON.stringify(openai)});
      new OpenAI({ maxRetries: 0 }).chat.completions
        .create({ model: 'gpt-unlisted', messages: [{ role: 'user', content: 'hi' }] })
        .then(() => console.log('answered'), (e) => console.log(e.status));`,
    );
    expect(denied.stdout.trim()).toMatch(/^40[34]$/);
    expect(f.llmCalls).toHaveLength(1);
  });

  it('holds a run that writes faster than its caller reads, instead of buffering it in the daemon', async () => {
    const size = 64 * 1024 * 1024;
    const ws = f.workspace();
    const rss = () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(f.daemon.child.pid)}/status`, 'utf8'));
      return Number(m?.[1]) * 1024;
    };
    const before = rss();
    // nobody reads `agentos run`'s stdout yet: it stops reading the daemon, which must stop reading the run
    const child = f.spawnRun(
      'worker',
      ['/bin/sh', '-c', `head -c ${String(size)} /dev/zero; touch done`],
      ['--workspace', ws],
    );
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await new Promise((r) => setTimeout(r, 3_000));
    expect(existsSync(join(ws, 'done'))).toBe(false); // the command is blocked on its writes
    expect(rss() - before).toBeLessThan(32 * 1024 * 1024); // 64 MiB (as base64) is not held in the daemon
    let got = 0;
    child.stdout?.on('data', (b: Buffer) => (got += b.length));
    expect(await exited).toBe(0);
    expect(got).toBe(size);
    expect(existsSync(join(ws, 'done'))).toBe(true);
  }, 60_000);

  it('sends stdin to the command with --stdin, byte for byte; without it the command reads nothing', async () => {
    const input = randomBytes(8 * 1024 * 1024);
    const child = f.spawnRun('worker', ['/bin/sh', '-c', 'sha256sum; echo done >&2'], ['--stdin']);
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    child.stdin?.end(input);
    expect(await exited).toBe(0);
    expect(out.split(' ')[0]).toBe(createHash('sha256').update(input).digest('hex'));

    const none = spawnRunWithInput('cat; echo end', [], 'ignored\n');
    expect(await none).toEqual({ code: 0, stdout: 'end\n' });
    // a command that exits without reading its input still ends the run (and `agentos run`)
    expect(await spawnRunWithInput('echo quick', ['--stdin'], 'x'.repeat(1 << 20))).toEqual({
      code: 0,
      stdout: 'quick\n',
    });
    // nor does `agentos run` wait for input that never ends once the command is done
    const open = f.spawnRun('worker', ['/bin/sh', '-c', 'echo bye'], ['--stdin']);
    open.stdin?.write('never closed\n');
    expect(await new Promise((r) => open.on('close', r))).toBe(0);
  });

  it("lets only the run's caller send its input, once", async () => {
    const child = f.spawnRun('worker', ['/bin/cat'], ['--stdin']);
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    let run: string | undefined;
    await until(
      () => run !== undefined,
      10_000,
      async () => {
        const live = await f.actions('worker', 'allowed');
        run = live.find((a) => a.action === 'agent.run')?.id.replace(/^act_/, 'run_');
      },
    );
    const put = (token: string) =>
      fetch(`${f.daemon.url}/v1/runs/${run ?? ''}/stdin`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: 'injected\n',
      });
    const other = await put(f.adminToken); // an admin, but not who started the run
    expect(other.status).toBe(403);
    child.stdin?.write('mine\n');
    await until(() => out === 'mine\n'); // `agentos run` streams its input now
    const again = await put(f.ownerToken); // the same person, but the input is taken
    expect(again.status).toBe(409);
    child.stdin?.end('end\n');
    expect(await exited).toBe(0);
    expect(out).toBe('mine\nend\n');
  });

  it('stop freezes the run and cont thaws it', async () => {
    const child = f.spawnRun('worker', [
      '/bin/sh',
      '-c',
      'i=0; while true; do i=$((i+1)); echo $i; sleep 0.05; done',
    ]);
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    await until(() => out.split('\n').length > 3);
    await f.signal('stop', 'worker');
    await new Promise((r) => setTimeout(r, 300));
    const frozen = out.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(out.length).toBe(frozen);
    await f.signal('cont', 'worker');
    await until(() => out.length > frozen);
    const exited = new Promise<number | null>((r) => child.on('close', r));
    child.kill('SIGTERM');
    expect(await exited).not.toBe(0);
  });

  it('kill kills the run (exit 137) and revokes its credential', async () => {
    const child = f.spawnRun('escaper', ['/bin/sh', '-c', 'echo up; sleep 60']);
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await until(() => out.includes('up'));
    await f.signal('kill', 'escaper');
    expect(await exited).toBe(137);
    expect(err).toMatch(/killed/);
  });
});

async function until(test: () => boolean, ms = 10_000, poll?: () => Promise<void>): Promise<void> {
  for (let waited = 0; await poll?.(), !test(); waited += 20) {
    if (waited > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs a shell script as worker with `input` on `agentos run`'s stdin; its exit code and stdout. */
async function spawnRunWithInput(
  script: string,
  extra: readonly string[],
  input: string,
): Promise<{ code: number | null; stdout: string }> {
  const child = f.spawnRun('worker', ['/bin/sh', '-c', script], extra);
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stdin?.on('error', () => {}); // `agentos run` may exit before it has read all of it
  child.stdin?.end(input);
  const code = await new Promise<number | null>((r) => child.on('close', r));
  return { code, stdout };
}
