/**
 * The OpenAI chat-completions shapes the gateway speaks to agents, whatever the upstream speaks: the request
 * it accepts (checked with zod, unknown fields passed on to OpenAI-compatible providers) and what a provider
 * adapter gives back.
 */
import { z } from 'zod';

const message = z.looseObject({
  role: z.string().min(1).max(64),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
});

/** A `POST /v1/chat/completions` body. */
export const chatRequestSchema = z.looseObject({
  model: z.string().min(1).max(256),
  messages: z.array(message).min(1).max(100_000),
  stream: z.boolean().optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  stop: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
});

/** A checked chat request. */
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** One chat message of a request. */
export type ChatMessage = ChatRequest['messages'][number];

/** Tokens a call used, as OpenAI reports them. */
export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

/** What a finished call leaves for the record. */
export interface CallSummary {
  readonly usage: Usage;
  /** The first choice's finish reason (`stop`, `length`, …), or null when the upstream gave none. */
  readonly finishReason: string | null;
  /** False when the upstream reported no usage (the call then counts as 0 tokens). */
  readonly usageReported: boolean;
}

/** A non-streaming answer: the `chat.completion` object for the agent and its summary. */
export interface Completion extends CallSummary {
  readonly body: Record<string, unknown>;
}

/** A streaming answer once the upstream accepted the call: `chat.completion.chunk` objects, then a summary. */
export interface ChunkStream {
  readonly chunks: AsyncIterable<Record<string, unknown>>;
  /** Valid once `chunks` has ended. */
  summary(): CallSummary;
}

/** One upstream provider, behind the OpenAI shapes. */
export interface Upstream {
  complete(req: ChatRequest, signal: AbortSignal): Promise<Completion>;
  /** Resolves once the upstream answered 2xx (so refusals before that are still plain errors). */
  stream(req: ChatRequest, signal: AbortSignal): Promise<ChunkStream>;
}

/** Usage from counts that may be missing. */
export function usageOf(prompt: unknown, completion: unknown): Usage {
  const p = typeof prompt === 'number' && prompt >= 0 ? prompt : 0;
  const c = typeof completion === 'number' && completion >= 0 ? completion : 0;
  return { prompt_tokens: p, completion_tokens: c, total_tokens: p + c };
}
