/**
 * The SDK's transport: one JSON call to the kernel's HTTP API, with the credential, the error body turned
 * into an `AgentOsApiError`, and network failures wrapped (code `AOS_IO`, the URL in the message).
 * Uses the platform's `fetch` (Node 20, Deno, Bun, browsers and workers alike).
 */
import { AgentOsApiError } from './errors.js';

/**
 * A `fetch` implementation (the global one by default).
 *
 * @example
 * ```ts
 * const traced: FetchLike = (input, init) => { console.log(init?.method, input); return fetch(input, init); };
 * ```
 */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * Where the kernel is and who is calling.
 *
 * @example
 * ```ts
 * const options: TransportOptions = { url: 'http://127.0.0.1:7070', credential: process.env.AGENTOS_TOKEN! };
 * ```
 */
export interface TransportOptions {
  /** The daemon's base URL, e.g. `http://127.0.0.1:7070`. */
  readonly url: string;
  /** An agent's credential (`aosa_…`) or a person's API token (`aosp_…`), sent as a bearer secret. */
  readonly credential: string;
  /** A `fetch` to use instead of the global one. */
  readonly fetch?: FetchLike | undefined;
}

/**
 * One call: method, path (with query), optional JSON body, optional abort signal.
 *
 * @example
 * ```ts
 * const call: Call = { method: 'GET', path: '/v1/approvals?mine=true' };
 * ```
 */
export interface Call {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The low-level transport: sends a call, resolves with the JSON answer and its status, rejects with an
 * `AgentOsApiError` for an error answer or a kernel that cannot be reached.
 *
 * @example
 * ```ts
 * const send = transport({ url: 'http://127.0.0.1:7070', credential: token });
 * const { status, body } = await send({ method: 'GET', path: '/v1/approvals' });
 * ```
 */
export type Transport = (call: Call) => Promise<{ status: number; body: unknown }>;

/**
 * Builds the transport for a kernel URL and credential.
 *
 * @example
 * ```ts
 * const send = transport({ url: 'http://127.0.0.1:7070', credential: token });
 * await send({ method: 'POST', path: '/v1/approvals/apr_01J…/approve', body: { comment: 'ok' } });
 * ```
 */
export function transport(options: TransportOptions): Transport {
  const base = options.url.replace(/\/+$/, '');
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  return async (call) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.credential}`,
      accept: 'application/json',
    };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await doFetch(base + call.path, {
        method: call.method,
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        ...(call.signal ? { signal: call.signal } : {}),
      });
      text = await res.text();
    } catch (e) {
      // an abort is the caller's decision, not a network failure: hand back what they aborted with
      if (call.signal?.aborted) throw call.signal.reason;
      throw new AgentOsApiError('AOS_IO', `cannot reach the kernel at \`${base}\`: ${reason(e)}`, 0, {
        cause: e,
      });
    }
    const body = parseJson(text);
    if (res.ok && body !== undefined) return { status: res.status, body };
    const error = errorOf(body);
    if (error) throw new AgentOsApiError(error.code, error.message, res.status);
    throw new AgentOsApiError(
      'AOS_IO',
      `the kernel at \`${base}\` answered ${res.status} without an agent os answer to \`${call.method} ${call.path}\``,
      res.status,
    );
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorOf(body: unknown): { code: string; message: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const e = (body as { error?: unknown }).error;
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, message } = e as { code?: unknown; message?: unknown };
  return typeof code === 'string' && typeof message === 'string' ? { code, message } : undefined;
}

/** The most telling line of a fetch failure: undici hides the system error (`ECONNREFUSED`) in `cause`. */
function reason(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.message === 'string' && cause.message !== '') return cause.message;
  return e instanceof Error ? e.message : String(e);
}
