/**
 * The HTTP calls to an upstream provider (node's `fetch`): a JSON POST whose network failures and non-2xx
 * answers become `AOS_UPSTREAM_FAILED` with the upstream's own one-line reason (never its headers).
 */
import { AgentOsError } from '../../kernel/errors.js';
import { messageOf } from './sse.js';

/** POSTs JSON to an upstream; `AOS_UPSTREAM_FAILED` for a network failure or a non-2xx answer. */
export async function postJson(
  where: string,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal,
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (e) {
    throw new AgentOsError('AOS_UPSTREAM_FAILED', `${where}: ${causeText(e)}`, { cause: e });
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    throw new AgentOsError('AOS_UPSTREAM_FAILED', `${where} answered ${res.status}: ${errorText(text)}`);
  }
  return res;
}

/** Reads a 2xx JSON answer. */
export async function readJson(where: string, res: Response): Promise<Record<string, unknown>> {
  try {
    const v: unknown = await res.json();
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch (e) {
    throw new AgentOsError('AOS_UPSTREAM_FAILED', `${where}: the answer is not JSON`, { cause: e });
  }
  throw new AgentOsError('AOS_UPSTREAM_FAILED', `${where}: the answer is not a JSON object`);
}

/** A response body as bytes, or an upstream failure when there is none. */
export function bodyOf(where: string, res: Response): AsyncIterable<Uint8Array> {
  if (!res.body) throw new AgentOsError('AOS_UPSTREAM_FAILED', `${where}: the answer has no body`);
  return res.body as unknown as AsyncIterable<Uint8Array>;
}

/** The upstream's own error message (OpenAI and Anthropic both answer `{ error: { message } }`), short. */
export function errorText(text: string): string {
  let message = text;
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof m === 'string') message = m;
  } catch {
    // not JSON: the text itself
  }
  const line = message.replace(/\s+/g, ' ').trim();
  return line === '' ? 'no message' : line.slice(0, 300);
}

function causeText(e: unknown): string {
  if (e instanceof Error && e.name === 'TimeoutError') return 'timed out';
  if (e instanceof Error && e.name === 'AbortError') return 'the call was aborted';
  const cause = e instanceof Error ? (e.cause as { message?: unknown } | undefined)?.message : undefined;
  return typeof cause === 'string' ? cause : messageOf(e);
}
