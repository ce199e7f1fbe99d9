/**
 * A real `agentos serve` for sandboxed runs, and `agentos run` driven as its own process: the org and
 * policy the run and escape suites share, a loopback web fixture that counts what reaches it, and
 * workspaces the sandbox's host uid may write.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { join } from 'node:path';
import { bin, cleanEnv, ExampleNode, type Daemon } from './daemon.js';
import { listenLoopback } from './loopback.js';

/** The uid sandboxes run as when tests run as root (the daemon's `runs.hostUid`). */
export const HOST_UID = 2_000_000_123;
export const isRoot = process.getuid?.() === 0;
/** Whether this machine can run the suites: bubblewrap and socat installed. */
export const canSandbox =
  process.platform === 'linux' &&
  spawnSync('bwrap', ['--version']).status === 0 &&
  spawnSync('socat', ['-V']).status === 0;
if (!canSandbox) {
  console.warn(
    'skipping the sandbox suites: install bubblewrap and socat (apt-get install bubblewrap socat)',
  );
}

const ORG = `apiVersion: agentos/v1
kind: Organization
metadata: { name: run-test }
departments:
  - { id: eng, name: Engineering, approvers: [bob@run.test] }
  - id: lab
    name: Lab
    parent: eng
    sandbox: { memory: 64MiB, pids: 32 }
people:
  - { id: ann@run.test, name: Ann, department: eng }
  - { id: bob@run.test, name: Bob, department: eng }
  - { id: cy@run.test, name: Cy, department: eng }
agents:
  - { id: worker, owner: ann@run.test, department: eng, autonomy: 3 }
  - { id: escaper, owner: ann@run.test, department: eng, autonomy: 3 }
  - { id: small, owner: ann@run.test, department: lab, autonomy: 3 }
  - { id: unrun, owner: ann@run.test, department: eng, autonomy: 3 }
`;

const policy = (web: number) => `apiVersion: agentos/v1
kind: Policy
metadata: { name: runs }
scope: { department: eng }
rules:
  - id: runs
    effect: allow
    action: agent.run
    when: { agent.id: { in: [worker, escaper, small] } }
  - id: notes
    effect: allow
    action: notes.write
  - id: fixture-web
    effect: allow
    action: http.request
    when: { agent.id: worker }
    resource: "http://localhost:${web}/**"
  - id: the-test-model
    effect: allow
    action: llm.chat
    when: { agent.id: worker }
    resource: gpt-test
  - id: fixture-web-address
    effect: allow
    action: net.connect
    when: { agent.id: worker }
    resource: "127.0.0.1:${web}"
`;

/** The local provider's API key: the daemon holds it, agents never see it. */
export const LLM_KEY = 'sk-local-provider-key-0123456789';

/** What a finished `agentos run` did. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The daemon, its fixture web server, and helpers to run commands as agents. */
export class RunFixture {
  readonly hits: string[] = [];
  webPort = 0;
  ownerToken = '';
  adminToken = '';
  readonly llmCalls: string[] = [];
  llmPort = 0;
  private constructor(
    readonly node: ExampleNode,
    private readonly web: http.Server,
    private readonly llm: http.Server,
  ) {}

  daemon!: Daemon;
  private env: Readonly<Record<string, string>> = {};

  static async start(prefix: string, env: Readonly<Record<string, string>> = {}): Promise<RunFixture> {
    const web = http.createServer((req, res) => {
      f.hits.push(`${req.method ?? ''} ${req.url ?? ''}`);
      res.end(`web says hi to ${req.url ?? ''}`);
    });
    // an OpenAI-compatible provider on loopback: answers every chat with its key check and a fixed usage
    const llm = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        f.llmCalls.push(`${req.headers.authorization ?? '-'} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion',
            created: 1,
            model: 'gpt-test',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'hello from the model' },
                finish_reason: 'stop',
              },
            ],
            usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
          }),
        );
      });
    });
    const f: RunFixture = new RunFixture(new ExampleNode(prefix), web, llm);
    f.webPort = Number(new URL(await listenLoopback(web)).port);
    writeFileSync(join(f.node.data, 'org.yaml'), ORG);
    spawnSync('sh', ['-c', `rm -f ${join(f.node.data, 'policies')}/*.yaml`]);
    writeFileSync(join(f.node.data, 'policies', 'runs.yaml'), policy(f.webPort));
    f.llmPort = Number(new URL(await listenLoopback(llm)).port);
    writeFileSync(
      join(f.node.data, 'agentos.yaml'),
      `\nruns: { hostUid: ${HOST_UID}, approvalWait: 20s }\n` +
        `llm:\n  providers:\n    - { name: local, kind: openai, baseUrl: "http://127.0.0.1:${f.llmPort}/v1", apiKey: "\${env:LOCAL_LLM_KEY}", models: [gpt-test] }\n`,
      { flag: 'a' },
    );
    f.ownerToken = f.node.token('ann@run.test', 'viewer');
    f.adminToken = f.node.token('cy@run.test', 'admin');
    f.env = { LOCAL_LLM_KEY: LLM_KEY, ...env };
    f.daemon = await f.serve();
    return f;
  }

  /** Starts (again) the daemon on the fixture's data directory, with the fixture's environment. */
  serve(): Promise<Daemon> {
    return this.node.serve(this.env);
  }

  /** A fresh workspace the sandbox may write (owned by its host uid when tests run as root). */
  workspace(): string {
    const dir = mkdtempSync(join(this.node.tmp, 'ws-'));
    chmodSync(this.node.tmp, 0o755);
    if (isRoot) chownSync(dir, HOST_UID, HOST_UID);
    return dir;
  }

  /** Starts `agentos run` as its own process. */
  spawnRun(agent: string, command: readonly string[], extra: readonly string[] = []): ChildProcess {
    return spawn(process.execPath, [bin, 'run', '--agent', agent, ...extra, '--', ...command], {
      env: { ...cleanEnv, AGENTOS_URL: this.daemon.url, AGENTOS_TOKEN: this.ownerToken },
    });
  }

  /** Runs a command as `agent` and collects what it did. */
  run(agent: string, command: readonly string[], extra: readonly string[] = []): Promise<RunResult> {
    const child = this.spawnRun(agent, command, extra);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  }

  /** A shell script run as `agent`. */
  sh(agent: string, script: string, extra: readonly string[] = []): Promise<RunResult> {
    return this.run(agent, ['/bin/sh', '-c', script], extra);
  }

  /** A node script run as `agent`. */
  nodeScript(agent: string, script: string, extra: readonly string[] = []): Promise<RunResult> {
    return this.run(agent, [process.execPath, '-e', script], extra);
  }

  /** The agent's actions in `status`, as an admin reads them. */
  async actions(agent: string, status: string): Promise<{ id: string; action: string; resource?: string }[]> {
    const res = await fetch(`${this.daemon.url}/v1/actions?status=${status}&agent=${agent}&limit=1000`, {
      headers: { authorization: `Bearer ${this.adminToken}` },
    });
    const body = (await res.json()) as {
      actions: { id: string; request: { action: string; resource?: string } }[];
    };
    return body.actions.map((a) => ({ id: a.id, ...a.request }));
  }

  /** Sends a signal to an agent as its owner. */
  async signal(signal: 'stop' | 'cont' | 'kill', agent: string): Promise<void> {
    const res = await fetch(`${this.daemon.url}/v1/signals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.ownerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ signal, scope: 'agent', target: agent }),
    });
    if (!res.ok) throw new Error(`signal ${signal}: ${res.status} ${await res.text()}`);
  }

  async close(): Promise<void> {
    await this.daemon?.stop();
    this.web.close();
    this.llm.close();
    this.node.remove();
  }
}
