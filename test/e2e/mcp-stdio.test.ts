/**
 * End-to-end: the stdio door of the MCP gateway, `agentos mcp --agent … -- <server>`, spawned by the
 * official MCP SDK client as it would spawn the real server, in front of the real
 * `@modelcontextprotocol/server-filesystem`, governed by a real `agentos serve` over HTTP with the agent's
 * credential (needs `npm run build`). Each refusal checks the file system was not touched.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, cleanEnv, ExampleNode, root, type Daemon } from '../support/daemon.js';

const ORG = `apiVersion: agentos/v1
kind: Organization
metadata: { name: mcp-stdio-test }
departments:
  - { id: eng, name: Engineering, approvers: [bob@mcp.test] }
people:
  - { id: ann@mcp.test, name: Ann, department: eng }
  - { id: bob@mcp.test, name: Bob, department: eng }
agents:
  - { id: coder, owner: ann@mcp.test, department: eng, autonomy: 3 }
`;

// the wrapped server is named from its command: node …/server-filesystem/dist/index.js → `filesystem`
const POLICY = `apiVersion: agentos/v1
kind: Policy
metadata: { name: mcp }
scope: { org: true }
rules:
  - id: files-read-only
    effect: allow
    action: "mcp.filesystem.*"
    when: { mcp.readOnly: true }
  - id: dirs-need-approval
    effect: require_approval
    action: mcp.filesystem.create_directory
    approval: { route: department, timeout: 1h }
`;

const filesystem = join(root, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
/** How to run `agentos mcp`: the built CLI. */
const agentosMcp = [bin, 'mcp'];

let node: ExampleNode;
let daemon: Daemon;
let files = '';
let credential = '';
let admin = '';
let approver = '';
const clients: Client[] = [];

beforeAll(async () => {
  node = new ExampleNode('agentos-mcp-stdio-');
  writeFileSync(join(node.data, 'org.yaml'), ORG);
  spawnSync('sh', ['-c', `rm -f ${join(node.data, 'policies')}/*.yaml`]);
  writeFileSync(join(node.data, 'policies', 'mcp.yaml'), POLICY);
  files = join(node.tmp, 'files');
  mkdirSync(files);
  writeFileSync(join(files, 'notes.txt'), 'hello over stdio\n');
  credential = node.credential('coder');
  admin = node.token('ann@mcp.test', 'admin');
  approver = node.token('bob@mcp.test', 'approver');
  daemon = await node.serve();
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await daemon?.stop();
  node?.remove();
});

/** The SDK client running `agentos mcp --agent coder -- node <filesystem server> <dir>`. */
async function wrapped(
  extra: readonly string[] = [],
  client = new Client({ name: 'test', version: '1' }),
): Promise<Client> {
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [...agentosMcp, '--agent', 'coder', ...extra, '--', process.execPath, filesystem, files],
      env: { ...cleanEnv, AGENTOS_CREDENTIAL: credential, AGENTOS_URL: daemon.url } as Record<string, string>,
      cwd: root,
      stderr: 'ignore',
    }),
  );
  clients.push(client);
  return client;
}

const api = async (path: string, token: string, body?: unknown) => {
  const res = await fetch(`${daemon.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as Record<string, unknown>;
};

type Listed = { id: string; request: { action: string; context?: unknown }; outcome?: unknown };
const actions = async (status: string) =>
  ((await api(`/v1/actions?status=${status}&agent=coder`, admin)).actions as Listed[]) ?? [];

const text = (r: unknown) =>
  ((r as CallToolResult).content[0] as { type: string; text?: string } | undefined)?.text ?? '';

describe('agentos mcp (the stdio wrapper)', () => {
  it('keeps the server’s own tool names and lists them all (agents may not ask for explanations)', async () => {
    const client = await wrapped();
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('read_text_file');
    expect(names).toContain('write_file');
  });

  it('runs an allowed read-only tool and reports it to the daemon, a summary only', async () => {
    const client = await wrapped();
    const r = await client.callTool({
      name: 'read_text_file',
      arguments: { path: join(files, 'notes.txt') },
    });
    expect(r.isError).toBeFalsy();
    expect(text(r)).toContain('hello over stdio');
    // the outcome is reported while the client already has its answer: wait for it to land
    let executed: Listed[] = [];
    for (let i = 0; i < 100 && executed.length === 0; i++) {
      if (i > 0) await new Promise((res) => setTimeout(res, 50));
      executed = (await actions('executed')).filter(
        (a) => a.request.action === 'mcp.filesystem.read_text_file',
      );
    }
    expect(executed).toHaveLength(1);
    const one = await api(`/v1/actions/${executed[0]?.id ?? ''}`, admin);
    expect(one.outcome).toEqual({ isError: false, content: 1, bytes: expect.any(Number) as number });
    expect(executed[0]?.request.context).toMatchObject({
      mcp: { server: 'filesystem', tool: 'read_text_file', annotations: { readOnlyHint: true } },
    });
  });

  it('a write tool policy does not allow answers AOS_DENIED, and the file is not written', async () => {
    const client = await wrapped();
    const r = await client.callTool({
      name: 'write_file',
      arguments: { path: join(files, 'evil.txt'), content: 'pwned' },
    });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^AOS_DENIED: denied by policy: .*\(action `act_/);
    expect(existsSync(join(files, 'evil.txt'))).toBe(false);
    const denied = (await actions('denied')).filter((a) => a.request.action === 'mcp.filesystem.write_file');
    expect(denied).toHaveLength(1);
  });

  it('an unknown tool is a JSON-RPC error', async () => {
    const client = await wrapped();
    const e = await client.callTool({ name: 'no_such_tool', arguments: {} }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(McpError);
    expect((e as McpError).message).toContain('unknown tool `no_such_tool`');
  });

  it('waits for approval with progress, and runs the tool once a person approves over the API', async () => {
    const client = await wrapped(['--approval-wait', '20s']);
    const made = join(files, 'approved');
    const progress: string[] = [];
    const call = client.callTool({ name: 'create_directory', arguments: { path: made } }, undefined, {
      onprogress: (p) => progress.push(p.message ?? ''),
      timeout: 30_000,
    });
    let id: string | undefined;
    for (let i = 0; i < 200 && id === undefined; i++) {
      id = ((await api('/v1/approvals?mine=true', approver)).approvals as { id: string }[])[0]?.id;
      if (id === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(id).toBeDefined();
    expect(existsSync(made)).toBe(false);
    await api(`/v1/approvals/${id ?? ''}/approve`, approver, { comment: 'ok' });
    const r = await call;
    expect(r.isError).toBeFalsy();
    expect(existsSync(made)).toBe(true);
    expect(progress[0]).toMatch(/waiting for approval `apr_[^`]+` from bob@mcp\.test/);
  });

  it('asks a client that can elicit whether to keep waiting; declining stops the wait', async () => {
    const asking = new Client({ name: 'test', version: '1' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    asking.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params.message);
      return { action: 'decline' };
    });
    const client = await wrapped(['--approval-wait', '10m'], asking);
    const made = join(files, 'declined');
    const r = await client.callTool({ name: 'create_directory', arguments: { path: made } });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^AOS_APPROVAL_PENDING: waiting for approval `apr_[^`]+` from bob@mcp\.test/);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(
      /^`mcp\.filesystem\.create_directory` is waiting for approval `apr_.*Keep waiting\?/,
    );
    expect(existsSync(made)).toBe(false);
  });

  it('refuses to start without a credential', () => {
    const r = spawnSync(
      process.execPath,
      [...agentosMcp, '--agent', 'coder', '--', process.execPath, filesystem, files],
      {
        env: { ...cleanEnv, AGENTOS_CREDENTIAL: '' },
        cwd: root,
        encoding: 'utf8',
        input: '',
        timeout: 30_000,
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no agent credential: set `AGENTOS_CREDENTIAL` [AOS_USAGE]');
  });
});
