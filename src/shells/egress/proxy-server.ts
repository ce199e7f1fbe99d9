/**
 * The egress proxy's listeners: a TCP one for agents outside a sandbox, who name themselves with
 * `Proxy-Authorization` (`Basic <agent>:<credential>` as HTTP_PROXY URLs carry it, or `Bearer <credential>`),
 * and `serveIdentified` for a listener where every connection is already one known agent (a run's
 * `egress.sock`). Either way the request goes to the same `EgressHandler`.
 */
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Principal } from '../../governor/auth.js';
import { isAgentOsError } from '../../kernel/errors.js';
import type { EgressHandler } from './handler.js';

/** Largest request head accepted (bytes). */
const MAX_HEADER_BYTES = 16 * 1024;

/** Turns a `Proxy-Authorization` value into the API's `Authorization` form (`Bearer <secret>`). */
export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
  if (scheme.toLowerCase() === 'bearer') return `Bearer ${value}`;
  if (scheme.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : `Bearer ${decoded.slice(colon + 1)}`;
}

/** An HTTP server whose connections are identified by `identify`; the caller listens and closes it. */
function proxyServer(
  handler: EgressHandler,
  identify: (req: http.IncomingMessage) => Promise<Principal>,
): http.Server {
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 60_000 });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    identify(req).then(
      (who) => handler.handleRequest(req, res, who),
      (e: unknown) => refuse(res, e),
    );
  });
  server.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    identify(req).then(
      (who) => handler.handleConnect(req, socket, head, who),
      (e: unknown) => {
        const r = authRefusal(e);
        socket.end(
          `HTTP/1.1 ${r.status} ${http.STATUS_CODES[r.status] ?? ''}\r\n` +
            (r.status === 407 ? 'proxy-authenticate: Basic realm="agentos"\r\n' : '') +
            `x-agentos-code: ${r.code}\r\nconnection: close\r\n\r\n${r.code}: ${r.message}\n`,
        );
      },
    );
  });
  return server;
}

/**
 * The TCP proxy: each request authenticates with its agent's credential in `Proxy-Authorization`; a
 * person's token is refused (people do not browse through the agents' proxy).
 */
export function egressTcpServer(
  handler: EgressHandler,
  authenticate: (header: string | undefined) => Promise<Principal>,
): http.Server {
  return proxyServer(handler, async (req) => {
    const who = await authenticate(bearerOf(req.headers['proxy-authorization']));
    if (who.kind !== 'agent')
      throw new ProxyAuthError(403, 'AOS_FORBIDDEN', 'the egress proxy serves agents only');
    return who;
  });
}

/** A proxy for a listener where every connection is `who` (a run's own Unix socket). */
export function serveIdentified(handler: EgressHandler, who: () => Principal): http.Server {
  return proxyServer(handler, () => Promise.resolve(who()));
}

class ProxyAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function authRefusal(e: unknown): { status: number; code: string; message: string } {
  if (e instanceof ProxyAuthError) return e;
  if (isAgentOsError(e)) {
    return { status: e.code === 'AOS_UNAUTHENTICATED' ? 407 : 403, code: e.code, message: e.message };
  }
  return { status: 500, code: 'AOS_INTERNAL', message: 'internal error; see the daemon log' };
}

function refuse(res: http.ServerResponse, e: unknown): void {
  const r = authRefusal(e);
  res.writeHead(r.status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-agentos-code': r.code,
    ...(r.status === 407 ? { 'proxy-authenticate': 'Basic realm="agentos"' } : {}),
  });
  res.end(`${r.code}: ${r.message}\n`);
}
