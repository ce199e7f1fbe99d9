/**
 * An Anthropic provider behind the OpenAI shapes: a chat request becomes a Messages API call
 * (`POST <baseUrl>/v1/messages`), and its answer and stream events become `chat.completion` and
 * `chat.completion.chunk` objects. Only text is translated: tools, images and other parts are refused
 * (`AOS_REQUEST_INVALID`) rather than silently dropped.
 */
import { AgentOsError } from '../../kernel/errors.js';
import {
  usageOf,
  type CallSummary,
  type ChatMessage,
  type ChatRequest,
  type ChunkStream,
  type Completion,
  type Upstream,
} from './chat.js';
import type { LlmProviderConfig } from '../../governor/llm-config.js';
import { bodyOf, postJson, readJson } from './upstream-http.js';
import { eventJson, sseEvents } from './sse.js';

/** The Messages API version the translation is written for. */
const ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic `stop_reason` → OpenAI `finish_reason`. */
const FINISH: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

const finish = (reason: unknown): string | null =>
  typeof reason === 'string' ? (FINISH[reason] ?? 'stop') : null;

/** Fields of a chat request the translation understands; any other field is refused. */
const KNOWN = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'user',
  'n',
]);

/** The text of a message's content: a string, or text parts joined. */
function textOf(m: ChatMessage, i: number): string {
  if (m.content === undefined || m.content === null) return '';
  if (typeof m.content === 'string') return m.content;
  return m.content
    .map((part, j) => {
      if (part.type === 'text' && typeof part.text === 'string') return part.text;
      throw invalid(`messages.${i}.content.${j}`, `a \`${part.type}\` part is not translated (text only)`);
    })
    .join('');
}

const invalid = (at: string, why: string) =>
  new AgentOsError('AOS_REQUEST_INVALID', `invalid body at \`${at}\` for an anthropic model: ${why}`);

/** The Messages API body for a chat request. */
export function toMessages(req: ChatRequest, maxTokens: number, stream: boolean): Record<string, unknown> {
  for (const k of Object.keys(req)) if (!KNOWN.has(k)) throw invalid(k, 'the field is not translated');
  if (req.n !== undefined && req.n !== 1) throw invalid('n', 'only one choice is supported');
  const system: string[] = [];
  const messages: { role: 'user' | 'assistant'; content: string }[] = [];
  req.messages.forEach((m, i) => {
    if (m.role === 'system' || m.role === 'developer') system.push(textOf(m, i));
    else if (m.role === 'user' || m.role === 'assistant') {
      if (m.tool_calls !== undefined)
        throw invalid(`messages.${i}.tool_calls`, 'tool calls are not translated');
      messages.push({ role: m.role, content: textOf(m, i) });
    } else throw invalid(`messages.${i}.role`, `the role \`${m.role}\` is not translated`);
  });
  if (messages.length === 0) throw invalid('messages', 'at least one user or assistant message is needed');
  const stop = req.stop === undefined || req.stop === null ? undefined : [req.stop].flat();
  return {
    model: req.model,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? maxTokens,
    messages,
    ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.top_p !== undefined ? { top_p: req.top_p } : {}),
    ...(stop ? { stop_sequences: stop } : {}),
    ...(stream ? { stream: true } : {}),
  };
}

/** Anthropic usage: every input token (cached or not) is a prompt token. */
function anthropicUsage(u: unknown): CallSummary['usage'] {
  const x = (u ?? {}) as Record<string, unknown>;
  const n = (k: string) => (typeof x[k] === 'number' ? (x[k] as number) : 0);
  return usageOf(
    n('input_tokens') + n('cache_creation_input_tokens') + n('cache_read_input_tokens'),
    n('output_tokens'),
  );
}

const seconds = () => Math.floor(Date.now() / 1000);

/** An Anthropic Messages API provider: `x-api-key` and `anthropic-version` headers. */
export function anthropicUpstream(c: LlmProviderConfig, key: string): Upstream {
  const url = `${(c.baseUrl ?? 'https://api.anthropic.com').replace(/\/+$/, '')}/v1/messages`;
  const where = `provider \`${c.name}\``;
  const headers = { 'x-api-key': key, 'anthropic-version': ANTHROPIC_VERSION };
  return {
    async complete(req: ChatRequest, signal: AbortSignal): Promise<Completion> {
      const sent = toMessages(req, c.maxTokens, false);
      const msg = await readJson(where, await postJson(where, url, headers, sent, signal));
      const blocks = Array.isArray(msg.content) ? (msg.content as { type?: unknown; text?: unknown }[]) : [];
      const text = blocks
        .map((b) => (b.type === 'text' && typeof b.text === 'string' ? b.text : ''))
        .join('');
      const usage = anthropicUsage(msg.usage);
      const finishReason = finish(msg.stop_reason);
      const body = {
        id: typeof msg.id === 'string' ? msg.id : 'msg',
        object: 'chat.completion',
        created: seconds(),
        model: typeof msg.model === 'string' ? msg.model : req.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: text, refusal: null },
            finish_reason: finishReason ?? 'stop',
            logprobs: null,
          },
        ],
        usage,
      };
      return { body, usage, usageReported: msg.usage !== undefined, finishReason };
    },

    async stream(req: ChatRequest, signal: AbortSignal): Promise<ChunkStream> {
      const res = await postJson(where, url, headers, toMessages(req, c.maxTokens, true), signal);
      let input: unknown;
      let output: unknown;
      let reported = false;
      let finishReason: string | null = null;
      let id = 'msg';
      let model = req.model;
      const created = seconds();
      const chunk = (delta: Record<string, unknown>, reason: string | null) => ({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: reason, logprobs: null }],
      });
      const usage = () => anthropicUsage({ ...(input as object), ...(output as object) });
      async function* chunks(): AsyncGenerator<Record<string, unknown>> {
        for await (const e of sseEvents(bodyOf(where, res), where)) {
          const data = eventJson(e, where);
          const type = e.event ?? data.type;
          if (type === 'message_start') {
            const m = (data.message ?? {}) as Record<string, unknown>;
            if (typeof m.id === 'string') id = m.id;
            if (typeof m.model === 'string') model = m.model;
            input = m.usage;
            reported = m.usage !== undefined;
            yield chunk({ role: 'assistant', content: '' }, null);
          } else if (type === 'content_block_delta') {
            const d = (data.delta ?? {}) as { type?: unknown; text?: unknown };
            if (d.type === 'text_delta' && typeof d.text === 'string') yield chunk({ content: d.text }, null);
          } else if (type === 'message_delta') {
            output = data.usage;
            reported ||= data.usage !== undefined;
            finishReason = finish((data.delta as { stop_reason?: unknown } | undefined)?.stop_reason);
            yield chunk({}, finishReason ?? 'stop');
          } else if (type === 'error') {
            const m = (data.error as { message?: unknown } | undefined)?.message;
            throw new AgentOsError(
              'AOS_UPSTREAM_FAILED',
              `${where}: the stream failed: ${typeof m === 'string' ? m : 'no message'}`,
            );
          } else if (type === 'message_stop') break;
        }
        // the last chunk carries the usage, as an OpenAI stream with `include_usage` does
        yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage: usage() };
      }
      return { chunks: chunks(), summary: () => ({ usage: usage(), usageReported: reported, finishReason }) };
    },
  };
}
