/**
 * The LLM gateway (DESIGN §7, issue 5 §4): an OpenAI-compatible API the kernel serves to agents,
 * `POST /v1/chat/completions` (also streamed, SSE) and `GET /v1/models`. Every chat call is the action
 * `llm.chat` on the model, decided by policy and recorded through `mediate()`; it is forwarded with the
 * provider key only the kernel holds, and its token usage is recorded and spent against the agent's and its
 * departments' daily budgets. Records hold the message count, never the messages.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { ActionView } from '../../governor/action-service.js';
import type { Principal } from '../../governor/auth.js';
import { mediate, refusal } from '../../governor/mediate.js';
import { AgentOsError, isAgentOsError } from '../../kernel/errors.js';
import { parseDuration } from '../../kernel/policy/duration.js';
import type { Clock } from '../../kernel/ports.js';
import { httpStatusFor } from '../http/status.js';
import { TokenLedger } from './budget.js';
import { chatRequestSchema, type CallSummary, type ChatRequest } from './chat.js';
import type { LlmConfig } from '../../governor/llm-config.js';
import { providersOf, type Provider } from './providers.js';
import type { GatewayDeps } from '../http/gateway-deps.js';

/** The largest chat request body accepted (bytes): long conversations are bigger than the API's 1 MiB. */
export const LLM_BODY_LIMIT = 8 * 1024 * 1024;

/** What the gateway needs. */
export interface LlmDeps extends GatewayDeps {
  readonly config: LlmConfig;
  /** Today's token counts (default: a new, empty ledger; `TokenLedger.seed` rebuilds one from records). */
  readonly tokens?: TokenLedger;
  /** The clock a new token ledger counts days by (default: the system clock). */
  readonly clock?: Clock;
}

/** A refusal or failure, answered in OpenAI's error shape. */
class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Adds the gateway's routes to `app` (in their own scope, so errors answer in OpenAI's shape). */
export function registerLlmRoutes(app: FastifyInstance, deps: LlmDeps): { tokens: TokenLedger } {
  const { byModel, all } = providersOf(deps.config, deps.env ?? process.env);
  const clock = deps.clock ?? { now: () => Date.now() };
  const tokens = deps.tokens ?? new TokenLedger(clock);
  const waitMs = parseDuration(deps.config.approvalWait) ?? 30_000;
  const timeoutMs = parseDuration(deps.config.timeout) ?? 120_000;
  // Open upstream calls are aborted when the server closes, so a graceful close does not wait on them.
  const open = new Set<AbortController>();
  app.addHook('preClose', (done) => {
    for (const a of open) a.abort();
    done();
  });

  const agentOf = async (req: FastifyRequest): Promise<Principal & { kind: 'agent' }> => {
    const who = await deps.who(req);
    if (who.kind !== 'agent') {
      throw new AgentOsError('AOS_FORBIDDEN', 'the llm gateway serves agents; a person cannot call it');
    }
    return who;
  };

  void app.register((scope, _opts, done) => {
    scope.setErrorHandler((error: FastifyError, req, reply) => {
      const r = asRefused(error);
      if (r.status >= 500) req.log.error({ err: error }, r.message);
      return answer(reply, r, clock);
    });

    scope.get('/v1/models', async (req) => {
      const who = await agentOf(req);
      const engine = deps.governance().engine;
      const usable = (p: Provider, model: string) =>
        engine.decide({ agent: who.id, action: 'llm.chat', resource: model, args: argsOf(p, 1, false) })
          .effect !== 'deny';
      const data = all.flatMap((p) =>
        p.models
          .filter((m) => usable(p, m))
          .map((id) => ({ id, object: 'model', created: 0, owned_by: p.name })),
      );
      return { object: 'list', data };
    });

    scope.post('/v1/chat/completions', { bodyLimit: LLM_BODY_LIMIT }, async (req, reply) => {
      const who = await agentOf(req);
      const body = parseChat(req.body);
      const provider = byModel.get(body.model);
      if (!provider) throw new AgentOsError('AOS_NOT_FOUND', `no model \`${body.model}\` is offered here`);
      const stream = body.stream === true;
      const maxTokens = body.max_completion_tokens ?? body.max_tokens;
      const input = {
        agent: who.id,
        action: 'llm.chat',
        resource: body.model,
        args: {
          ...argsOf(provider, body.messages.length, stream),
          ...(maxTokens ? { max_tokens: maxTokens } : {}),
        },
      };
      const abort = new AbortController();
      open.add(abort);
      reply.raw.on('close', () => {
        open.delete(abort);
        if (!reply.raw.writableFinished) abort.abort();
      });
      const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)]);
      const spend = (s: CallSummary) =>
        tokens.add(deps.governance().engine.org, who.id, s.usage.total_tokens);
      const outcome = (s: CallSummary) => ({
        provider: provider.name,
        model: body.model,
        usage: { ...s.usage },
        finish_reason: s.finishReason,
        ...(s.usageReported ? {} : { usage_reported: false }),
      });
      try {
        const r = await mediate(
          deps.service,
          who,
          input,
          'llm',
          async () => {
            tokens.check(deps.governance().engine.org, who.id);
            if (!stream) {
              const c = await provider.upstream.complete(body, signal);
              spend(c);
              return { value: c.body, outcome: outcome(c) };
            }
            const s = await provider.upstream.stream(body, signal);
            reply.hijack();
            try {
              await relay(reply.raw, s.chunks);
            } finally {
              spend(s.summary());
            }
            return { value: undefined, outcome: outcome(s.summary()) };
          },
          { waitMs },
        );
        if (!r.ran) throw refused(r.view);
        if (!stream) return await reply.send(r.value);
      } catch (e) {
        if (!reply.raw.headersSent) throw e;
        // the stream had started: its last event said what went wrong, and the failure is recorded
      }
    });
    done();
  });
  return { tokens };
}

/** The action's args: which provider, how many messages, whether streamed (never their contents). */
const argsOf = (p: Provider, messages: number, stream: boolean) => ({ provider: p.name, messages, stream });

function parseChat(body: unknown): ChatRequest {
  const r = chatRequestSchema.safeParse(body ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue?.path.length ? ` at \`${issue.path.join('.')}\`` : '';
  throw new AgentOsError('AOS_REQUEST_INVALID', `invalid body${at}: ${issue?.message ?? 'unknown problem'}`);
}

/**
 * Streams chunks to the agent as SSE (`data: {chunk}` … `data: [DONE]`). A failure mid-stream is sent as a
 * last `data: {"error": …}` event (as OpenAI does) and rethrown, so the action is recorded as failed.
 */
async function relay(res: ServerResponse, chunks: AsyncIterable<Record<string, unknown>>): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  try {
    for await (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    res.end('data: [DONE]\n\n');
  } catch (e) {
    const r = asRefused(e);
    res.end(`data: ${JSON.stringify(errorBody(r))}\n\n`);
    throw e;
  }
}

function refused(view: ActionView): Refused {
  const r = refusal(view);
  return new Refused(403, r.code, r.message);
}

function asRefused(e: unknown): Refused {
  if (e instanceof Refused) return e;
  if (isAgentOsError(e)) return new Refused(httpStatusFor(e.code), e.code, e.message);
  const f = e as { statusCode?: unknown; message?: unknown };
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    const message = typeof f.message === 'string' ? f.message : 'bad request';
    return new Refused(
      f.statusCode,
      'AOS_REQUEST_INVALID',
      message.replace(/^./, (c) => c.toLowerCase()),
    );
  }
  return new Refused(500, 'AOS_INTERNAL', 'internal error; see the daemon log');
}

/** OpenAI's error `type` for a status. */
const TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  429: 'insufficient_quota',
  502: 'upstream_error',
};

/** `{ error: { message, type, code, param } }`; the message starts with the code, as the client shows it. */
const errorBody = (r: Refused) => ({
  error: {
    message: `${r.code}: ${r.message}`,
    type: TYPES[r.status] ?? 'server_error',
    code: r.code,
    param: null,
  },
});

function answer(reply: FastifyReply, r: Refused, clock: Clock): FastifyReply {
  // OpenAI clients retry 429 and 5xx: only an upstream failure is worth retrying; a spent budget waits for
  // the next UTC day, which `retry-after` says
  if (r.status !== 502) void reply.header('x-should-retry', 'false');
  if (r.code === 'AOS_BUDGET_EXCEEDED') {
    const now = clock.now();
    const midnight = Date.UTC(
      new Date(now).getUTCFullYear(),
      new Date(now).getUTCMonth(),
      new Date(now).getUTCDate() + 1,
    );
    void reply.header('retry-after', String(Math.ceil((midnight - now) / 1000)));
  }
  const status = r.status === 202 ? 403 : r.status;
  return reply.code(status).send(errorBody(r));
}
