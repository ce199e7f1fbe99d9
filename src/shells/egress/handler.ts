/**
 * The egress proxy as the daemon's socket servers see it (DESIGN §7): whoever accepts a connection for an
 * agent — a run's `egress.sock`, or the proxy's own TCP listener — hands each proxy request to these two
 * functions with the caller already identified.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Principal } from '../../governor/auth.js';

/** Decides and forwards proxy requests for an identified agent. */
export interface EgressHandler {
  /** An absolute-form request (`GET http://host/path HTTP/1.1`): decided as `http.request`, then forwarded. */
  handleRequest(req: IncomingMessage, res: ServerResponse, who: Principal): void;
  /** A `CONNECT host:port` tunnel: decided as `http.request` on `https://host:port/`, then spliced. */
  handleConnect(req: IncomingMessage, socket: Duplex, head: Buffer, who: Principal): void;
}
