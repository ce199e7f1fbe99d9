/**
 * Reading an upstream's server-sent events (OpenAI and Anthropic both stream that way) as an async sequence
 * of messages, with `eventsource-parser` doing the framing.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { AgentOsError } from '../../kernel/errors.js';

/** The events of an SSE body, in order; ends when the body ends. */
export async function* sseEvents(
  body: AsyncIterable<Uint8Array>,
  where: string,
): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => queue.push(e) });
  const decoder = new TextDecoder();
  try {
    for await (const bytes of body) {
      parser.feed(decoder.decode(bytes, { stream: true }));
      yield* queue.splice(0);
    }
  } catch (e) {
    if (e instanceof AgentOsError) throw e;
    throw new AgentOsError('AOS_UPSTREAM_FAILED', `${where}: the stream broke: ${messageOf(e)}`, {
      cause: e,
    });
  }
  parser.feed(decoder.decode());
  yield* queue.splice(0);
}

/** Parses one event's JSON data; `AOS_UPSTREAM_FAILED` when it is not JSON. */
export function eventJson(e: EventSourceMessage, where: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(e.data);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new AgentOsError('AOS_UPSTREAM_FAILED', `${where}: a stream event is not a JSON object`);
}

/** An error's message, one line. */
export const messageOf = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
