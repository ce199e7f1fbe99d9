/**
 * The console's only way to the kernel: the public HTTP API, same origin, with the signed-in person's
 * token from `sessionStorage` (gone when the tab closes; never in a cookie, so no request is made with it
 * unless this code makes it).
 */

const KEY = 'agentos.token';

/** An error the API answered with (`{ error: { code, message } }`), or a network failure (`status` 0). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The token in use, if signed in. */
export const token = (): string | null => sessionStorage.getItem(KEY);
/** Keeps the token for this tab. */
export const setToken = (t: string): void => sessionStorage.setItem(KEY, t);
/** Forgets the token. */
export const clearToken = (): void => sessionStorage.removeItem(KEY);

function headers(body: boolean): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  const t = token();
  if (t) h.authorization = `Bearer ${t}`;
  if (body) h['content-type'] = 'application/json';
  return h;
}

/** Calls the API; resolves with the JSON answer or rejects with an `ApiError`. */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: headers(body !== undefined),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    throw new ApiError('NETWORK', `the daemon did not answer: ${String(e)}`, 0);
  }
  const text = await res.text();
  const value: unknown = text === '' ? undefined : JSON.parse(text);
  if (!res.ok) {
    const err = (value as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(err?.code ?? `HTTP_${res.status}`, err?.message ?? res.statusText, res.status);
  }
  return value as T;
}

/** One server-sent event. */
export interface ServerEvent {
  readonly event: string;
  readonly data: unknown;
}

/**
 * Follows `GET /v1/events` until `signal` aborts. `EventSource` cannot send an `Authorization` header,
 * so this reads the `text/event-stream` body with `fetch` and parses it; it reconnects after a drop.
 */
export async function follow(
  onEvent: (e: ServerEvent) => void,
  onState: (connected: boolean) => void,
  signal: AbortSignal,
): Promise<void> {
  let delay = 500;
  while (!signal.aborted) {
    try {
      const res = await fetch('/v1/events', { headers: headers(false), signal });
      if (!res.ok || !res.body) throw new ApiError(`HTTP_${res.status}`, 'event stream refused', res.status);
      onState(true);
      delay = 500;
      await readEvents(res.body, onEvent);
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        onState(false);
        return;
      }
    }
    onState(false);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

async function readEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (e: ServerEvent) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent({ event, data: JSON.parse(data.join('\n')) as unknown });
    }
  }
}
