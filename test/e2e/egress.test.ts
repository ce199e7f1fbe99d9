/**
 * End-to-end: the egress proxy of a real `agentos serve`, driven with node:http as an HTTP_PROXY client,
 * against loopback fixtures that count what reaches them. Each refusal checks the fixture saw nothing;
 * non-public literal addresses (metadata, private) are refused before any connection is tried.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, cleanEnv, ExampleNode, type Daemon } from '../support/daemon.js';
import { closedPort, listenLoopback } from '../support/loopback.js';

const ORG = `apiVersion: agentos/v1
kind: Organization
metadata: { name: egress-test }
departments:
  - { id: eng, name: Engineering, approvers: [bob@egress.test] }
people:
  - { id: ann@egress.test, name: Ann, department: eng }
  - { id: bob@egress.test, name: Bob, department: eng }
agents:
  - { id: fetcher, owner: ann@egress.test, department: eng, autonomy: 3 }
  - { id: no-loopback, owner: ann@egress.test, department: eng, autonomy: 3 }
  - { id: wide, owner: ann@egress.test, department: eng, autonomy: 3 }
`;

const policy = (web: number, echo: number) => `apiVersion: agentos/v1
kind: Policy
metadata: { name: egress }
scope: { department: eng }
rules:
  - id: fixture-web
    effect: allow
    action: http.request
    when: { agent.id: { in: [fetcher, no-loopback] } }
    resource: "http://localhost:${web}/**"
  - id: approve-this
    effect: require_approval
    action: http.request
    when: { agent.id: fetcher }
    resource: "http://localhost:${web}/approve"
    approval: { route: department, timeout: 1h }
  - id: fixture-echo
    effect: allow
    action: http.request
    when: { agent.id: fetcher }
    resource: "https://localhost:${echo}/"
  - id: fetcher-loopback
    effect: allow
    action: net.connect
    when: { agent.id: fetcher }
    resource: "127.0.0.1:{${web},${echo}}"
  - id: wide-web
    effect: allow
    action: http.request
    when: { agent.id: wide }
`;

let node: ExampleNode;
let daemon: Daemon;
let proxy: URL;
let web: http.Server;
let webHits: string[] = [];
let webPort = 0;
let echo: net.Server;
let echoPort = 0;
const creds: Record<string, string> = {};
let approverToken = ''; // bob's: he approves for eng

beforeAll(async () => {
  web = http.createServer((req, res) => {
    webHits.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers['proxy-authorization'] ?? '-'}`);
    res.writeHead(200, { 'content-type': 'text/plain', 'x-fixture': 'web' });
    req.pipe(res);
  });
  webPort = Number(new URL(await listenLoopback(web)).port);
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as net.AddressInfo).port;

  node = new ExampleNode('agentos-egress-');
  writeFileSync(join(node.data, 'org.yaml'), ORG);
  spawnSync('sh', ['-c', `rm -f ${join(node.data, 'policies')}/*.yaml`]);
  writeFileSync(join(node.data, 'policies', 'egress.yaml'), policy(webPort, echoPort));
  appendFileSync(join(node.data, 'agentos.yaml'), '\negress: { listen: 127.0.0.1:0, approvalWait: 20s }\n');
  for (const a of ['fetcher', 'no-loopback', 'wide']) creds[a] = node.credential(a);
  approverToken = node.token('bob@egress.test', 'approver');
  daemon = await node.serve();
  proxy = new URL((await daemon.printed(/egress proxy on (http:\/\/\S+)/))[1] ?? '');
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  web?.close();
  echo?.close();
  node?.remove();
});

const basic = (agent: string, secret: string) =>
  `Basic ${Buffer.from(`${agent}:${secret}`).toString('base64')}`;

/** A plain HTTP request through the proxy (absolute-form), as an HTTP_PROXY client sends it. */
function viaProxy(
  url: string,
  auth: string | undefined,
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: proxy.hostname,
        port: proxy.port,
        method: body === undefined ? 'GET' : 'POST',
        path: url,
        headers: { host: new URL(url).host, ...(auth ? { 'proxy-authorization': auth } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A CONNECT tunnel through the proxy: the status line, and what came back for `payload` when open. */
function connect(authority: string, auth: string): Promise<{ status: number; head: string; echoed: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.hostname,
      port: proxy.port,
      method: 'CONNECT',
      path: authority,
      headers: { 'proxy-authorization': auth },
    });
    req.on('connect', (res, socket, first: Buffer) => {
      if (res.statusCode !== 200) {
        let head = first.toString('utf8');
        socket.setEncoding('utf8').on('data', (c: string) => (head += c));
        socket.on('end', () => resolve({ status: res.statusCode ?? 0, head, echoed: '' }));
        socket.on('error', () => resolve({ status: res.statusCode ?? 0, head, echoed: '' }));
        return;
      }
      socket.end('ping through the tunnel');
      let echoed = '';
      socket.setEncoding('utf8').on('data', (c: string) => (echoed += c));
      socket.on('end', () => resolve({ status: 200, head: '', echoed }));
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, head: text, echoed: '' }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The node's ledger, as `agentos audit export` writes it. */
function ledger(): { type: string; body: Record<string, unknown> }[] {
  const r = spawnSync(process.execPath, [bin, 'audit', 'export', '--data', node.data], {
    encoding: 'utf8',
    env: cleanEnv,
  });
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { type: string; body: Record<string, unknown> });
}

describe('egress proxy', () => {
  it('forwards an allowed request to the checked loopback address, streaming the body, and records it', async () => {
    webHits = [];
    const r = await viaProxy(
      `http://localhost:${webPort}/hello?x=1`,
      basic('fetcher', creds.fetcher ?? ''),
      'body!',
    );
    expect(r.status).toBe(200);
    expect(r.text).toBe('body!');
    expect(r.headers['x-fixture']).toBe('web');
    // the upstream never sees the agent's credential
    expect(webHits).toEqual(['POST /hello?x=1 -']);
    const done = ledger().filter(
      (x) => x.type === 'action.completed' && x.body.executor === 'gateway:egress',
    );
    expect(done.map((x) => x.body.outcome)).toContainEqual({
      status: 200,
      address: '127.0.0.1',
      port: webPort,
    });
  });

  it('refuses a URL policy does not allow, before any byte leaves', async () => {
    webHits = [];
    const r = await viaProxy(`http://127.0.0.2:${webPort}/`, basic('fetcher', creds.fetcher ?? ''));
    expect(r.status).toBe(403);
    expect(r.headers['x-agentos-code']).toBe('AOS_DENIED');
    expect(r.text).toMatch(/^AOS_DENIED: denied by policy/);
    expect(r.headers['x-agentos-action']).toMatch(/^act_/);
    expect(webHits).toEqual([]);
  });

  it('refuses a name resolving to loopback unless policy allows net.connect on that address', async () => {
    webHits = [];
    const r = await viaProxy(
      `http://localhost:${webPort}/`,
      basic('no-loopback', creds['no-loopback'] ?? ''),
    );
    expect(r.status).toBe(403);
    expect(r.text).toContain(`\`localhost\` resolves to the loopback address 127.0.0.1:${webPort}`);
    expect(webHits).toEqual([]);
    const decided = ledger().filter(
      (x) => x.type === 'action.requested' && JSON.stringify(x.body).includes('"net.connect"'),
    );
    expect(decided.length).toBeGreaterThan(0);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://10.0.0.1/', 'private'],
    ['http://[::ffff:127.0.0.1]:9/', 'loopback'],
    ['http://[fe80::1]/', 'linkLocal'],
    ['http://0.0.0.0:9/', 'unspecified'],
  ])('refuses %s (%s) for an agent allowed every URL', async (url, kind) => {
    const r = await viaProxy(url, basic('wide', creds.wide ?? ''));
    expect(r.status).toBe(403);
    expect(r.text, r.text).toContain(`the ${kind} address`);
  });

  it('opens an allowed CONNECT tunnel and splices it', async () => {
    const r = await connect(`localhost:${echoPort}`, basic('fetcher', creds.fetcher ?? ''));
    expect(r.status).toBe(200);
    expect(r.echoed).toBe('ping through the tunnel');
  });

  it('refuses a CONNECT to a port policy does not allow', async () => {
    const port = await closedPort();
    const r = await connect(`localhost:${port}`, basic('fetcher', creds.fetcher ?? ''));
    expect(r.status).toBe(403);
    expect(r.head).toMatch(/AOS_DENIED/);
  });

  it('asks for proxy credentials, and refuses a bad one and a person', async () => {
    const none = await viaProxy(`http://localhost:${webPort}/`, undefined);
    expect(none.status).toBe(407);
    expect(none.headers['proxy-authenticate']).toBe('Basic realm="agentos"');
    const bad = await viaProxy(`http://localhost:${webPort}/`, basic('fetcher', 'aosa_not-a-credential'));
    expect(bad.status).toBe(407);
    const person = await viaProxy(`http://localhost:${webPort}/`, `Bearer ${approverToken}`);
    expect(person.status).toBe(403);
    expect(person.headers['x-agentos-code']).toBe('AOS_FORBIDDEN');
  });

  it('holds a request that needs approval until a person approves it, then forwards it', async () => {
    webHits = [];
    const pending = viaProxy(`http://localhost:${webPort}/approve`, basic('fetcher', creds.fetcher ?? ''));
    let approval: string | undefined;
    for (let i = 0; i < 200 && !approval; i++) {
      const res = await fetch(new URL('/v1/approvals', daemon.url), {
        headers: { authorization: `Bearer ${approverToken}` },
      });
      const body = (await res.json()) as { approvals: { id: string; status: string }[] };
      approval = body.approvals.find((a) => a.status === 'pending')?.id;
      if (!approval) await new Promise((r) => setTimeout(r, 50));
    }
    expect(webHits).toEqual([]);
    const vote = await fetch(new URL(`/v1/approvals/${approval ?? ''}/approve`, daemon.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${approverToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(vote.status).toBe(200);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(webHits).toEqual(['GET /approve -']);
  });
});
