/**
 * The egress proxy (DESIGN §7, issue 5 §2): every HTTP request and CONNECT tunnel an agent sends through it
 * is the action `http.request`, decided by policy and recorded through `mediate()`, before any byte leaves.
 * The proxy resolves DNS itself, connects to exactly the address it checked (no second lookup, so a name
 * cannot be re-pointed between check and connect), and connects to a non-public address — loopback,
 * private, link-local, metadata, the host's own — only when policy also allows `net.connect` on it.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import type { ActionService, ActionView } from '../../governor/action-service.js';
import type { Principal } from '../../governor/auth.js';
import { mediate, refusal } from '../../governor/mediate.js';
import { AgentOsError, isAgentOsError } from '../../kernel/errors.js';
import { httpStatusFor } from '../http/status.js';
import { addressClass, canonicalAddress, type AddressClass } from './address.js';
import type { EgressHandler } from './handler.js';

/** How the proxy behaves. */
export interface EgressOptions {
  /** How long a request waits for approval before it is refused (ms; default 30 s). */
  readonly approvalWaitMs?: number;
  /** Most open tunnels per agent (default 64). */
  readonly maxTunnelsPerAgent?: number;
  /** Resolves a host name to its addresses (default: the system resolver). */
  readonly lookup?: (host: string) => Promise<readonly string[]>;
  /** Idle time after which a tunnel or upstream connection is closed (ms; default 5 min). */
  readonly idleMs?: number;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own credentials: never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Where a request goes once its host is resolved and checked. */
interface Target {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly addressClass: AddressClass;
}

const systemLookup = async (host: string): Promise<readonly string[]> =>
  (await dnsLookup(host, { all: true, verbatim: false })).map((a) => a.address);

/** The host's own interface addresses: a request to them is a request to the kernel's machine. */
function ownAddresses(): ReadonlySet<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.add(canonicalAddress(a.address.split('%')[0] ?? a.address));
  }
  return out;
}

/** Why a request was refused, as the proxy answers it. */
class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly action?: string,
  ) {
    super(message);
  }
}

/** The egress proxy's decisions and forwarding, for callers that have already identified the agent. */
export class EgressProxy implements EgressHandler {
  private readonly lookup: (host: string) => Promise<readonly string[]>;
  private readonly own = ownAddresses();
  private readonly tunnels = new Map<string, number>();
  private readonly open = new Set<Duplex>();

  constructor(
    private readonly service: ActionService,
    private readonly options: EgressOptions = {},
  ) {
    this.lookup = options.lookup ?? systemLookup;
  }

  handleRequest(req: http.IncomingMessage, res: http.ServerResponse, who: Principal): void {
    this.forward(req, res, who).catch((e: unknown) => answer(res, e));
  }

  handleConnect(req: http.IncomingMessage, socket: Duplex, head: Buffer, who: Principal): void {
    socket.on('error', () => socket.destroy());
    this.tunnel(req, socket, head, who).catch((e: unknown) => {
      const r = asRefusal(e);
      socket.end(
        `HTTP/1.1 ${r.status} ${http.STATUS_CODES[r.status] ?? 'Refused'}\r\n` +
          `content-type: text/plain; charset=utf-8\r\nx-agentos-code: ${r.code}\r\n` +
          (r.action ? `x-agentos-action: ${r.action}\r\n` : '') +
          `connection: close\r\n\r\n${r.code}: ${r.message}\n`,
      );
    });
  }

  /** Ends every open tunnel and upstream connection (the daemon is closing). */
  closeAll(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  private track(s: Duplex): void {
    this.open.add(s);
    s.once('close', () => this.open.delete(s));
    if (s instanceof net.Socket) s.setTimeout(this.options.idleMs ?? 300_000, () => s.destroy());
  }

  /** An absolute-form request: decided on its URL, then sent to the checked address, streamed both ways. */
  private async forward(req: http.IncomingMessage, res: http.ServerResponse, who: Principal): Promise<void> {
    const url = absoluteUrl(req.url);
    const method = req.method ?? 'GET';
    const mediated = await mediate(
      this.service,
      who,
      { agent: who.id, action: 'http.request', resource: url.href, args: { method } },
      'egress',
      async () => {
        const target = await this.resolve(who, url.hostname, portOf(url));
        const upstream = await this.send(req, url, target);
        return {
          value: upstream,
          outcome: { status: upstream.statusCode ?? 0, address: target.address, port: target.port },
        };
      },
      { waitMs: this.options.approvalWaitMs ?? 30_000 },
    );
    if (!mediated.ran) throw refused(mediated.view);
    const upstream = mediated.value;
    res.writeHead(upstream.statusCode ?? 502, forwardable(upstream.headers));
    upstream.pipe(res);
    res.on('close', () => upstream.destroy());
  }

  /** Sends the agent's request to the checked address; resolves once the response headers arrive. */
  private send(req: http.IncomingMessage, url: URL, target: Target): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers = forwardable(req.headers);
      headers.host = url.host;
      const out = http.request({
        host: target.address,
        port: target.port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers,
        setHost: false,
      });
      out.on('socket', (s) => this.track(s));
      out.on('response', resolve);
      out.on('error', (e) =>
        reject(new AgentOsError('AOS_UPSTREAM_FAILED', `${url.host}: ${e.message}`, { cause: e })),
      );
      req.pipe(out);
    });
  }

  /** A CONNECT tunnel: decided as `https://host:port/` with `args.method: CONNECT`, then spliced. */
  private async tunnel(
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    who: Principal,
  ): Promise<void> {
    const { host, port } = authority(req.url);
    const open = this.tunnels.get(who.id) ?? 0;
    const max = this.options.maxTunnelsPerAgent ?? 64;
    if (open >= max) {
      throw new Refused(
        429,
        'AOS_BUDGET_EXCEEDED',
        `agent \`${who.id}\` has ${open} tunnels open (at most ${max})`,
      );
    }
    const resource = `https://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    const mediated = await mediate(
      this.service,
      who,
      { agent: who.id, action: 'http.request', resource, args: { method: 'CONNECT' } },
      'egress',
      async () => {
        const target = await this.resolve(who, host, port);
        const upstream = await connectTo(target);
        return { value: upstream, outcome: { tunnel: true, address: target.address, port: target.port } };
      },
      { waitMs: this.options.approvalWaitMs ?? 30_000 },
    );
    if (!mediated.ran) throw refused(mediated.view);
    const upstream = mediated.value;
    this.tunnels.set(who.id, open + 1);
    upstream.once('close', () => this.tunnels.set(who.id, (this.tunnels.get(who.id) ?? 1) - 1));
    this.track(upstream);
    this.track(socket);
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  }

  /**
   * Resolves a host (or takes its literal address) and checks the first address: public addresses pass;
   * any other needs `net.connect` on `<address>:<port>` allowed by policy (deny by default refuses it).
   */
  private async resolve(who: Principal, host: string, port: number): Promise<Target> {
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    let addresses: readonly string[];
    if (net.isIP(bare)) addresses = [bare];
    else {
      try {
        addresses = await this.lookup(bare);
      } catch (e) {
        throw new AgentOsError('AOS_UPSTREAM_FAILED', `cannot resolve \`${bare}\``, { cause: e });
      }
    }
    const first = addresses[0];
    if (first === undefined) throw new AgentOsError('AOS_UPSTREAM_FAILED', `\`${bare}\` has no address`);
    const address = canonicalAddress(first);
    const kind = addressClass(address, this.own);
    const target = { host: bare, port, address, addressClass: kind };
    if (kind === 'unicast') return target;
    const where = `${address.includes(':') ? `[${address}]` : address}:${port}`;
    const check = await mediate(
      this.service,
      who,
      { agent: who.id, action: 'net.connect', resource: where, args: { host: bare, addressClass: kind } },
      'egress',
      () => Promise.resolve({ value: undefined, outcome: { address, port } }),
    );
    if (!check.ran) {
      const why = refusal(check.view);
      throw new AgentOsError(
        'AOS_DENIED',
        `\`${bare}\` resolves to the ${kind} address ${where}, which policy does not allow (${why.message})`,
      );
    }
    return target;
  }
}

function connectTo(target: Target): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: target.address, port: target.port });
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) =>
      reject(
        new AgentOsError('AOS_UPSTREAM_FAILED', `${target.host}:${target.port}: ${e.message}`, { cause: e }),
      ),
    );
  });
}

/** The URL of an absolute-form request; only `http:` (HTTPS goes through CONNECT). */
function absoluteUrl(raw: string | undefined): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw ?? '');
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'http:') {
    throw new Refused(
      400,
      'AOS_REQUEST_INVALID',
      `a proxy request names an absolute http:// URL (use CONNECT for https), not \`${raw ?? ''}\``,
    );
  }
  return url;
}

/** `host:port` of a CONNECT request. */
function authority(raw: string | undefined): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(raw ?? '');
  const port = Number(m?.[2]);
  if (!m?.[1] || !(port > 0 && port < 65536)) {
    throw new Refused(400, 'AOS_REQUEST_INVALID', `CONNECT names \`host:port\`, not \`${raw ?? ''}\``);
  }
  return { host: m[1].startsWith('[') ? m[1].slice(1, -1) : m[1].toLowerCase(), port };
}

const portOf = (url: URL): number => (url.port === '' ? 80 : Number(url.port));

/** Headers without hop-by-hop ones (nor those the `connection` header names). */
function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  }
  return out;
}

/** Why a mediated request did not run, as the proxy answers it. */
function refused(view: ActionView): Refused {
  const r = refusal(view);
  return new Refused(403, r.code, r.message, view.id);
}

function asRefusal(e: unknown): Refused {
  if (e instanceof Refused) return e;
  if (isAgentOsError(e)) {
    // a kernel that cannot record refuses (503): no record, no request
    const status = httpStatusFor(e.code);
    return new Refused(status >= 200 && status < 300 ? 403 : status, e.code, e.message);
  }
  return new Refused(500, 'AOS_INTERNAL', e instanceof Error ? e.message : String(e));
}

/** Answers a refused or failed proxy request: the status, the code in a header, one line of text. */
function answer(res: http.ServerResponse, e: unknown): void {
  const r = asRefusal(e);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(r.status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-agentos-code': r.code,
    ...(r.action ? { 'x-agentos-action': r.action } : {}),
  });
  res.end(`${r.code}: ${r.message}\n`);
}
