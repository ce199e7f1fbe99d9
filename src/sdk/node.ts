/**
 * The SDK's Node-only part (`agentos/node`): a `fetch` over a Unix socket, and `connectFromEnv()`, which
 * connects the way a sandboxed run is meant to — through `AGENTOS_SOCKET` when it is set (the run's own
 * kernel socket), else `AGENTOS_URL` — with `AGENTOS_CREDENTIAL` and `AGENTOS_AGENT`.
 */
import * as http from 'node:http';
import type { AgentOsClient } from './client.js';
import { connect } from './client.js';
import type { FetchLike } from './http.js';

/**
 * A `fetch` that sends every request to the HTTP server on the Unix socket `path` (the URL's host is
 * ignored; its path and query are kept).
 *
 * @example
 * ```ts
 * const kernel = connect({ url: 'http://kernel', credential, fetch: unixSocketFetch('/run/agentos/kernel.sock') });
 * ```
 */
export function unixSocketFetch(path: string): FetchLike {
  return nodeFetch((url) => ({ socketPath: path, path: `${url.pathname}${url.search}` }));
}

/**
 * A `fetch` over `node:http` for `http:` URLs, on one keep-alive connection pool of its own: cheaper per
 * call than the global `fetch` (undici's streams and `Request` objects), which a door that makes two calls
 * per tool call (submit, report) feels.
 *
 * @example
 * ```ts
 * const kernel = connect({ url: 'http://127.0.0.1:7070', credential, fetch: httpFetch() });
 * ```
 */
export function httpFetch(): FetchLike {
  const agent = new http.Agent({ keepAlive: true });
  return nodeFetch((url) => {
    if (url.protocol !== 'http:') throw new TypeError(`httpFetch speaks http only, not \`${url.protocol}\``);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1'); // an IPv6 literal without its brackets
    return { host, port: url.port || 80, path: `${url.pathname}${url.search}`, agent };
  });
}

/** A `fetch` that sends each request with `http.request`, where `target` says where to (and how). */
function nodeFetch(target: (url: URL) => http.RequestOptions): FetchLike {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input);
      const headers = new Headers(init?.headers);
      const req = http.request(
        {
          ...target(url),
          method: init?.method ?? 'GET',
          headers: { ...Object.fromEntries(headers), host: url.host },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const out = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
            }
            resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 502, headers: out }));
          });
        },
      );
      req.on('error', reject);
      const signal = init?.signal;
      if (signal) {
        if (signal.aborted) req.destroy(signal.reason as Error);
        signal.addEventListener('abort', () => req.destroy(signal.reason as Error), { once: true });
      }
      req.end(typeof init?.body === 'string' ? init.body : undefined);
    });
}

/**
 * A client from the environment a sandboxed run is given: `AGENTOS_SOCKET` (preferred) or `AGENTOS_URL`,
 * `AGENTOS_CREDENTIAL`, `AGENTOS_AGENT`. Throws when neither the socket nor the URL, or no credential, is set.
 *
 * @example
 * ```ts
 * import { connectFromEnv } from 'agentos/node';
 * const kernel = connectFromEnv();
 * await kernel.execute({ action: 'email.send', args: { to: 'jordan@acme.test' } });
 * ```
 */
export function connectFromEnv(env: NodeJS.ProcessEnv = process.env): AgentOsClient {
  const credential = env.AGENTOS_CREDENTIAL;
  if (!credential) throw new Error('AGENTOS_CREDENTIAL is not set');
  const agent = env.AGENTOS_AGENT || undefined;
  if (env.AGENTOS_SOCKET) {
    return connect({ url: 'http://kernel', credential, agent, fetch: unixSocketFetch(env.AGENTOS_SOCKET) });
  }
  if (!env.AGENTOS_URL) throw new Error('neither AGENTOS_SOCKET nor AGENTOS_URL is set');
  return connect({ url: env.AGENTOS_URL, credential, agent });
}
