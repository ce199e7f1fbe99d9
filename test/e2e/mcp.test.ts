/**
 * End-to-end: the daemon's MCP gateway (`/mcp`, Streamable HTTP) on loopback, driven with the official MCP
 * SDK client, in front of a real in-process kernel (SQLite, the ledger writer, a test org and policy) and
 * two real MCP servers it starts over stdio: `@modelcontextprotocol/server-filesystem` on a temporary
 * directory and `@modelcontextprotocol/server-everything`. Each refusal checks the upstream effect did not
 * happen (the file is not there, the directory not made).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, createCredential, createToken } from '../../src/governor/auth.js';
import { mcpConfigSchema } from '../../src/governor/mcp-config.js';
import { registerMcpRoutes, type McpGateway } from '../../src/shells/mcp/gateway.js';
import { MCP_REFUSED } from '../../src/shells/mcp/governed-server.js';
import { kernelFixture } from '../support/kernel.js';

const ORG = `apiVersion: agentos/v1
kind: Organization
metadata: { name: mcp-test }
departments:
  - { id: eng, name: Engineering, approvers: [bob@mcp.test] }
people:
  - { id: ann@mcp.test, name: Ann, department: eng }
  - { id: bob@mcp.test, name: Bob, department: eng }
agents:
  - { id: coder, owner: ann@mcp.test, department: eng, autonomy: 3 }
  - { id: outsider, owner: ann@mcp.test, department: eng, autonomy: 3 }
`;

const POLICY = `apiVersion: agentos/v1
kind: Policy
metadata: { name: mcp }
scope: { org: true }
rules:
  - id: files-read-only
    effect: allow
    action: "mcp.files.*"
    when: { agent.id: coder, mcp.readOnly: true }
  - id: no-moves
    effect: deny
    action: mcp.files.move_file
    reason: files are not moved by agents
  - id: dirs-need-approval
    effect: require_approval
    action: mcp.files.create_directory
    when: { agent.id: coder }
    approval: { route: department, timeout: 1h }
  - id: demo-echo
    effect: allow
    action: mcp.demo.echo
    when: { agent.id: coder }
  - id: demo-static-resources
    effect: allow
    action: mcp.demo.resources.read
    resource: "demo://resource/static/**"
  - id: demo-simple-prompt
    effect: allow
    action: mcp.demo.prompts.get
    resource: simple-prompt
`;

const root = join(import.meta.dirname, '../..');
const filesystem = join(root, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
const everything = join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

const fixture = kernelFixture({
  sources: { org: { file: 'org.yaml', text: ORG }, policies: [{ file: 'mcp.yaml', text: POLICY }] },
});
const dir = mkdtempSync(join(tmpdir(), 'agentos-mcp-files-'));
let k: Awaited<ReturnType<typeof fixture.kernel>>;
let app: FastifyInstance;
let gateway: McpGateway;
let url = '';
const clients: Client[] = [];

beforeAll(async () => {
  writeFileSync(join(dir, 'notes.txt'), 'hello from the filesystem\n');
  k = await fixture.kernel();
  app = Fastify();
  gateway = registerMcpRoutes(app, {
    service: k.actions,
    governance: () => k.governance,
    config: mcpConfigSchema.parse({
      servers: [
        { name: 'files', command: [process.execPath, filesystem, dir] },
        { name: 'demo', command: [process.execPath, everything, 'stdio'] },
      ],
      approvalWait: '20s',
    }),
    who: (req) => authenticate(k.auth, k.org, req.headers.authorization),
  });
  url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/mcp`;
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await app?.close();
  await gateway?.close();
  await fixture.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** An MCP client connected to the gateway as `agent` (its credential as the bearer). */
async function connectAs(agent: string): Promise<Client> {
  const secret = (await createCredential(k.auth, k.org, agent)).secret;
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${secret}` } },
    }),
  );
  clients.push(client);
  return client;
}

const text = (r: unknown) =>
  ((r as CallToolResult).content[0] as { type: string; text?: string } | undefined)?.text ?? '';

/** An action request as recorded. */
interface Req {
  action: string;
  resource?: string;
  args?: unknown;
  context: { mcp: Record<string, unknown> };
}

/** Every action's request as recorded (`action.requested`), with its effect once decided. */
async function requested(): Promise<{ id: string; request: Req; effect?: string }[]> {
  const effects = new Map<string, string>();
  for (const r of await k.records('action.decided')) {
    const b = r.body as { action: string; effect: string; mode?: string };
    if (b.mode !== 'shadow') effects.set(b.action, b.effect);
  }
  return (await k.records('action.requested')).map((r) => {
    const b = r.body as unknown as { action: string; request: Req };
    return { id: b.action, request: b.request, effect: effects.get(b.action) };
  });
}

/** The actions recorded as completed: action name, executor and outcome. */
async function completed(): Promise<{ action: string; outcome: unknown; executor: unknown }[]> {
  const names = new Map((await requested()).map((r) => [r.id, r.request.action as string]));
  return (await k.records('action.completed')).map((r) => {
    const b = r.body as { action: string; outcome: unknown; executor: unknown };
    return { action: names.get(b.action) ?? '?', outcome: b.outcome, executor: b.executor };
  });
}

async function rpcError(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof McpError) return e;
    throw e;
  }
  throw new Error('the request succeeded');
}

describe('the mcp gateway (streamable http)', () => {
  it('lists the federated tools as <server>.<tool>, hiding what policy denies', async () => {
    const coder = await connectAs('coder');
    const names = (await coder.listTools()).tools.map((t) => t.name);
    expect(names).toContain('files.read_text_file');
    expect(names).toContain('files.list_directory');
    expect(names).toContain('files.create_directory'); // require_approval is not a deny
    expect(names).toContain('demo.echo');
    expect(names).not.toContain('files.move_file'); // denied outright by `no-moves`
    expect(names).not.toContain('files.write_file'); // not read-only: nothing allows it
    expect(names).not.toContain('demo.get-sum'); // nothing allows it
    const listed = (await coder.listTools()).tools.find((t) => t.name === 'files.read_text_file');
    expect(listed?.annotations?.readOnlyHint).toBe(true);
  });

  it('runs an allowed read-only tool and records it, with a summary of the result', async () => {
    const coder = await connectAs('coder');
    const r = await coder.callTool({
      name: 'files.read_text_file',
      arguments: { path: join(dir, 'notes.txt') },
    });
    expect(r.isError).toBeFalsy();
    expect(text(r)).toContain('hello from the filesystem');
    const done = (await completed()).filter((c) => c.action === 'mcp.files.read_text_file');
    expect(done).toHaveLength(1);
    expect(done[0]?.executor).toBe('gateway:mcp');
    expect(done[0]?.outcome).toEqual({ isError: false, content: 1, bytes: expect.any(Number) as number });
    expect(JSON.stringify(await k.records())).not.toContain('hello from the filesystem');
    const request = (await requested()).find((d) => d.request.action === 'mcp.files.read_text_file')?.request;
    expect(request?.context.mcp).toMatchObject({
      server: 'files',
      tool: 'read_text_file',
      annotations: { readOnlyHint: true },
    });
  });

  it('mcp.readOnly lets the agent use the read-only tools of a server and not the others', async () => {
    const coder = await connectAs('coder');
    const listed = await coder.callTool({ name: 'files.list_directory', arguments: { path: dir } });
    expect(listed.isError).toBeFalsy();
    expect(text(listed)).toContain('notes.txt');
    const write = await coder.callTool({
      name: 'files.write_file',
      arguments: { path: join(dir, 'evil.txt'), content: 'pwned' },
    });
    expect(write.isError).toBe(true);
    expect(text(write)).toMatch(
      /^AOS_DENIED: denied by policy: no rule allows `mcp\.files\.write_file`.*\(action `act_/,
    );
    expect(existsSync(join(dir, 'evil.txt'))).toBe(false);
  });

  it('a tool denied by a rule returns an error result with the code, and nothing moves', async () => {
    const coder = await connectAs('coder');
    const r = await coder.callTool({
      name: 'files.move_file',
      arguments: { source: join(dir, 'notes.txt'), destination: join(dir, 'moved.txt') },
    });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('AOS_DENIED: denied by policy: files are not moved by agents');
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
    expect(existsSync(join(dir, 'moved.txt'))).toBe(false);
    const moves = (await requested()).filter((d) => d.request.action === 'mcp.files.move_file');
    expect(moves.map((m) => m.effect)).toEqual(['deny']);
  });

  it('an unknown tool, prompt or resource is a JSON-RPC error, not a governed action', async () => {
    const coder = await connectAs('coder');
    const before = (await k.records('action.requested')).length;
    const e = await rpcError(coder.callTool({ name: 'files.no_such_tool', arguments: {} }));
    expect(e.code).toBe(-32602);
    expect(e.message).toContain('unknown tool `files.no_such_tool`');
    const other = await rpcError(coder.callTool({ name: 'nowhere.echo', arguments: {} }));
    expect(other.message).toContain('unknown tool `nowhere.echo`');
    const prompt = await rpcError(coder.getPrompt({ name: 'demo.no-such-prompt' }));
    expect([prompt.code, prompt.message]).toEqual([
      -32602,
      'MCP error -32602: unknown prompt `demo.no-such-prompt`',
    ]);
    const resource = await rpcError(coder.readResource({ uri: 'nowhere://x' }));
    expect([resource.code, resource.message]).toEqual([
      -32602,
      'MCP error -32602: unknown resource `nowhere://x`',
    ]);
    expect((await k.records('action.requested')).length).toBe(before);
  });

  it('waits for approval, sending progress, and runs the tool once a person approves', async () => {
    const coder = await connectAs('coder');
    const bob = await k.person('bob@mcp.test', 'approver');
    const made = join(dir, 'approved-dir');
    const progress: string[] = [];
    const call = coder.callTool({ name: 'files.create_directory', arguments: { path: made } }, undefined, {
      onprogress: (p) => progress.push(p.message ?? ''),
      timeout: 30_000,
    });
    let approval: string | undefined;
    for (let i = 0; i < 200 && approval === undefined; i++) {
      approval = (await k.actions.approvals.pending(bob, true))[0]?.id;
      if (approval === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    expect(approval).toBeDefined();
    expect(existsSync(made)).toBe(false);
    await k.actions.approvals.vote(bob, approval ?? '', 'approve', 'fine');
    const r = await call;
    expect(r.isError).toBeFalsy();
    expect(existsSync(made)).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatch(/waiting for approval `apr_.*` from bob@mcp\.test/);
  });

  it('a call still waiting when the wait ends answers AOS_APPROVAL_PENDING with the approval', async () => {
    const k2 = await fixture.kernel();
    const app2 = Fastify();
    const gw = registerMcpRoutes(app2, {
      service: k2.actions,
      governance: () => k2.governance,
      config: mcpConfigSchema.parse({
        servers: [{ name: 'files', command: [process.execPath, filesystem, dir] }],
        approvalWait: '200ms',
      }),
      who: (req) => authenticate(k2.auth, k2.org, req.headers.authorization),
    });
    try {
      const base = await app2.listen({ host: '127.0.0.1', port: 0 });
      const secret = (await createCredential(k2.auth, k2.org, 'coder')).secret;
      const client = new Client({ name: 'test', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${secret}` } },
        }),
      );
      const made = join(dir, 'never-approved');
      const r = await client.callTool({ name: 'files.create_directory', arguments: { path: made } });
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/^AOS_APPROVAL_PENDING: waiting for approval `apr_[^`]+` from bob@mcp\.test/);
      expect(existsSync(made)).toBe(false);
      await client.close();
    } finally {
      await app2.close();
      await gw.close();
    }
  });

  it('governs resources/read: an allowed resource is read, another is refused', async () => {
    const coder = await connectAs('coder');
    const uris = (await coder.listResources()).resources.map((r) => r.uri);
    expect(uris).toContain('demo://resource/static/document/architecture.md');
    const ok = await coder.readResource({ uri: 'demo://resource/static/document/architecture.md' });
    expect(ok.contents.length).toBeGreaterThan(0);
    const before = (await completed()).length;
    const e = await rpcError(coder.readResource({ uri: 'demo://resource/dynamic/text/1' }));
    expect(e.code).toBe(MCP_REFUSED);
    expect(e.message).toMatch(/^MCP error -32003: AOS_DENIED: denied by policy: no rule allows/);
    expect(e.data).toEqual({ code: 'AOS_DENIED' });
    const done = await completed();
    expect(done.length).toBe(before); // the refused read never ran
    expect(done.filter((c) => c.action === 'mcp.demo.resources.read')).toHaveLength(1);
  });

  it('governs prompts/get: names are <server>.<prompt>; one allowed, one refused', async () => {
    const coder = await connectAs('coder');
    const names = (await coder.listPrompts()).prompts.map((p) => p.name);
    expect(names).toContain('demo.simple-prompt');
    expect(names).toContain('demo.args-prompt');
    const ok = await coder.getPrompt({ name: 'demo.simple-prompt' });
    expect(ok.messages.length).toBeGreaterThan(0);
    const e = await rpcError(coder.getPrompt({ name: 'demo.args-prompt', arguments: { city: 'Paris' } }));
    expect(e.code).toBe(MCP_REFUSED);
    expect(e.message).toContain('AOS_DENIED');
    const refused = (await requested()).find(
      (d) => d.request.action === 'mcp.demo.prompts.get' && d.request.resource === 'args-prompt',
    );
    expect(refused?.request.args).toEqual({ city: 'Paris' });
    expect(refused?.effect).toBe('deny');
    const gets = (await completed()).filter((c) => c.action === 'mcp.demo.prompts.get');
    expect(gets).toHaveLength(1);
  });

  it('serves agents only: a person is refused, and so is a request without a credential', async () => {
    const token = (await createToken(k.auth, k.org, 'ann@mcp.test', 'admin')).secret;
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const person = await fetch(url, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${token}` },
      body,
    });
    expect(person.status).toBe(403);
    expect(((await person.json()) as { error: { code: string } }).error.code).toBe('AOS_FORBIDDEN');
    const nobody = await fetch(url, { method: 'POST', headers, body });
    expect(nobody.status).toBe(401);
    expect((await fetch(url)).status).toBe(405);
  });

  it('an agent no rule names sees no tools and may call none', async () => {
    const outsider = await connectAs('outsider');
    const names = (await outsider.listTools()).tools.map((t) => t.name);
    expect(names.filter((n) => n.startsWith('files.'))).toEqual([]);
    const r = await outsider.callTool({
      name: 'files.read_text_file',
      arguments: { path: join(dir, 'notes.txt') },
    });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('AOS_DENIED');
  });
});
