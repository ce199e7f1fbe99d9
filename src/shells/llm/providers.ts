/**
 * Forwarding a chat call to its upstream provider with the key only the kernel holds. An OpenAI-compatible
 * provider gets the body as the agent sent it (streaming calls also ask for usage in the last chunk); an
 * Anthropic provider gets it translated to the Messages API (`anthropic.ts`).
 */
import { AgentOsError } from '../../kernel/errors.js';
import { expandEnvRefs } from '../../adapters/env-refs.js';
import { anthropicUpstream } from './anthropic.js';
import {
  usageOf,
  type CallSummary,
  type ChatRequest,
  type ChunkStream,
  type Completion,
  type Upstream,
} from './chat.js';
import type { LlmConfig, LlmProviderConfig } from '../../governor/llm-config.js';
import { eventJson, sseEvents } from './sse.js';
import { bodyOf, errorText, postJson, readJson } from './upstream-http.js';

/** A configured provider, its key expanded, ready to call. */
export interface Provider {
  readonly name: string;
  readonly kind: LlmProviderConfig['kind'];
  readonly models: readonly string[];
  readonly upstream: Upstream;
}

/** The providers of the configuration, keyed by each model they offer; `${env:NAME}` keys expanded now. */
export function providersOf(config: LlmConfig, env: Readonly<Record<string, string | undefined>>) {
  const byModel = new Map<string, Provider>();
  const all: Provider[] = [];
  for (const c of config.providers) {
    const key = expandEnvRefs(c.apiKey, env, `llm provider \`${c.name}\`: apiKey`);
    const upstream = c.kind === 'openai' ? openaiUpstream(c, key) : anthropicUpstream(c, key);
    const p: Provider = { name: c.name, kind: c.kind, models: [...c.models], upstream };
    all.push(p);
    for (const m of c.models) byModel.set(m, p);
  }
  return { byModel, all };
}

/** The first choice's finish reason of an OpenAI object, when it has one. */
function finishOf(o: Record<string, unknown>): string | null {
  const choices = o.choices;
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
  const reason = (first as { finish_reason?: unknown } | undefined)?.finish_reason;
  return typeof reason === 'string' ? reason : null;
}

function usageFrom(o: Record<string, unknown>): CallSummary['usage'] | undefined {
  const u = o.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined;
  return u && typeof u === 'object' ? usageOf(u.prompt_tokens, u.completion_tokens) : undefined;
}

/** An OpenAI-compatible provider: `<baseUrl>/chat/completions`, `Authorization: Bearer <key>`. */
function openaiUpstream(c: LlmProviderConfig, key: string): Upstream {
  const url = `${(c.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '')}/chat/completions`;
  const where = `provider \`${c.name}\``;
  const headers = { authorization: `Bearer ${key}` };
  return {
    async complete(req: ChatRequest, signal: AbortSignal): Promise<Completion> {
      const body = await readJson(
        where,
        await postJson(where, url, headers, { ...req, stream: false }, signal),
      );
      const usage = usageFrom(body);
      return {
        body,
        usage: usage ?? usageOf(0, 0),
        usageReported: usage !== undefined,
        finishReason: finishOf(body),
      };
    },
    async stream(req: ChatRequest, signal: AbortSignal): Promise<ChunkStream> {
      const options = (req.stream_options ?? {}) as Record<string, unknown>;
      const sent = { ...req, stream: true, stream_options: { ...options, include_usage: true } };
      const res = await postJson(where, url, headers, sent, signal);
      let usage: CallSummary['usage'] | undefined;
      let finishReason: string | null = null;
      async function* chunks(): AsyncGenerator<Record<string, unknown>> {
        for await (const e of sseEvents(bodyOf(where, res), where)) {
          if (e.data.trim() === '[DONE]') return;
          const chunk = eventJson(e, where);
          if (chunk.error !== undefined) {
            throw new AgentOsError(
              'AOS_UPSTREAM_FAILED',
              `${where}: the stream failed: ${errorText(e.data)}`,
            );
          }
          usage = usageFrom(chunk) ?? usage;
          finishReason = finishOf(chunk) ?? finishReason;
          yield chunk;
        }
      }
      return {
        chunks: chunks(),
        summary: () => ({ usage: usage ?? usageOf(0, 0), usageReported: usage !== undefined, finishReason }),
      };
    },
  };
}
