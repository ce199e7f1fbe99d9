/**
 * End-to-end: the LLM gateway on loopback, driven with the official `openai` client, in front of a real
 * in-process kernel (SQLite, the ledger writer, an org with budgets and a model allow-list policy) and two
 * fake upstreams that count what reaches them: one speaking OpenAI chat completions, one the Anthropic
 * Messages API. Each refusal checks the upstream saw nothing.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import * as http from 'node:http';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, createCredential, createToken } from '../../src/governor/auth.js';
import type { LedgerRecord } from '../../src/kernel/ledger/record.js';
import { TokenLedger } from '../../src/shells/llm/budget.js';
import { llmConfigSchema } from '../../src/governor/llm-config.js';
import { registerLlmRoutes } from '../../src/shells/llm/gateway.js';
import { kernelFixture } from '../support/kernel.js';
import { closedPort, listenLoopback } from '../support/loopback.js';

const ORG = `apiVersion: agentos/v1
kind: Organization
metadata: { name: llm-test }
departments:
  - { id: eng, name: Engineering }
  - { id: research, name: Research, budget: { llmTokensPerDay: 40 } }
people:
  - { id: ann@llm.test, name: Ann, department: eng }
agents:
  - { id: coder, owner: ann@llm.test, department: eng, autonomy: 3 }
  - { id: thrifty, owner: ann@llm.test, department: eng, autonomy: 3, budget: { llmTokensPerDay: 30 } }
  - { id: r1, owner: ann@llm.test, department: research, autonomy: 3 }
  - { id: r2, owner: ann@llm.test, department: research, autonomy: 3 }
`;

const POLICY = `apiVersion: agentos/v1
kind: Policy
metadata: { name: models }
scope: { org: true }
rules:
  - id: cheap-models
    effect: allow
    action: llm.chat
    resource: "{gpt-mini,gpt-flaky,claude-haiku}"
`;

const OPENAI_KEY = 'sk-kernel-openai-0123';
const ANTHROPIC_KEY = 'sk-ant-kernel-4567';
const SECRET_PROMPT = 'the launch code is 0000';

/** What reached a fake upstream. */
interface Hit {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => resolve(JSON.parse(text || '{}') as Record<string, unknown>));
  });
}

const sse = (res: http.ServerResponse, events: readonly (readonly [string | undefined, unknown])[]) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const [event, data] of events) {
    res.write(
      `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`,
    );
  }
  res.end();
};

/** A fake OpenAI: 20 tokens a call (12 prompt, 8 completion); streams usage only when asked. */
function fakeOpenai(hits: Hit[]): http.Server {
  return http.createServer((req, res) => {
    void readBody(req).then((body) => {
      hits.push({ path: req.url ?? '', headers: req.headers, body });
      const base = { id: 'chatcmpl-1', created: 1, model: body.model };
      const usage = { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 };
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            ...base,
            object: 'chat.completion',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'hello from openai' },
                finish_reason: 'stop',
              },
            ],
            usage,
          }),
        );
        return;
      }
      if (body.model === 'gpt-flaky') {
        // one chunk, then the connection drops mid-stream
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(
          `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'hel' }, finish_reason: null }] })}\n\n`,
        );
        setTimeout(() => res.destroy(), 20);
        return;
      }
      const chunk = (delta: object, finish: string | null) => ({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
      const withUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage;
      sse(res, [
        [undefined, chunk({ role: 'assistant', content: '' }, null)],
        [undefined, chunk({ content: 'hel' }, null)],
        [undefined, chunk({ content: 'lo' }, null)],
        [undefined, chunk({}, 'stop')],
        ...(withUsage
          ? [[undefined, { ...base, object: 'chat.completion.chunk', choices: [], usage }] as const]
          : []),
        [undefined, '[DONE]'],
      ]);
    });
  });
}

/** A fake Anthropic Messages API: 15 tokens a call (10 input, 5 output). */
function fakeAnthropic(hits: Hit[]): http.Server {
  return http.createServer((req, res) => {
    void readBody(req).then((body) => {
      hits.push({ path: req.url ?? '', headers: req.headers, body });
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            model: body.model,
            content: [{ type: 'text', text: 'hello from claude' }],
            stop_reason: 'end_turn',
            usage: { input_tokens: 10, output_tokens: 5 },
          }),
        );
        return;
      }
      const message = { id: 'msg_2', type: 'message', role: 'assistant', model: body.model, content: [] };
      sse(res, [
        [
          'message_start',
          { type: 'message_start', message: { ...message, usage: { input_tokens: 10, output_tokens: 1 } } },
        ],
        [
          'content_block_start',
          { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        ],
        ['ping', { type: 'ping' }],
        [
          'content_block_delta',
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hel' } },
        ],
        [
          'content_block_delta',
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
        ],
        ['content_block_stop', { type: 'content_block_stop', index: 0 }],
        [
          'message_delta',
          { type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 5 } },
        ],
        ['message_stop', { type: 'message_stop' }],
      ]);
    });
  });
}

const openaiHits: Hit[] = [];
const anthropicHits: Hit[] = [];
let openaiUrl = '';
let anthropicUrl = '';
const upstreams: http.Server[] = [];
const kernels = kernelFixture({
  sources: { org: { file: 'org.yaml', text: ORG }, policies: [{ file: 'models.yaml', text: POLICY }] },
});
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const o = fakeOpenai(openaiHits);
  const a = fakeAnthropic(anthropicHits);
  upstreams.push(o, a);
  openaiUrl = await listenLoopback(o);
  anthropicUrl = await listenLoopback(a);
});

afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await kernels.closeAll();
  openaiHits.length = 0;
  anthropicHits.length = 0;
});

afterAll(async () => {
  for (const s of upstreams) s.close();
  await kernels.dispose();
});

/** A real kernel with the test org and policy, and the gateway on loopback in front of it. */
async function gateway(options: { openaiBase?: string } = {}) {
  const { store, clock, actions, auth, org, governance, records } = await kernels.kernel();
  const config = llmConfigSchema.parse({
    providers: [
      {
        name: 'openai',
        kind: 'openai',
        baseUrl: options.openaiBase ?? `${openaiUrl}/v1`,
        apiKey: '${env:TEST_OPENAI_KEY}',
        models: ['gpt-mini', 'gpt-big', 'gpt-flaky'],
      },
      {
        name: 'anthropic',
        kind: 'anthropic',
        baseUrl: anthropicUrl,
        apiKey: ANTHROPIC_KEY,
        models: ['claude-haiku'],
      },
    ],
  });
  const app: FastifyInstance = Fastify();
  const { tokens } = registerLlmRoutes(app, {
    service: actions,
    governance: () => governance,
    config,
    who: (req) => authenticate(auth, org, req.headers.authorization),
    env: { TEST_OPENAI_KEY: OPENAI_KEY },
    clock,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  closers.push(async () => {
    await app.close();
  });
  const client = async (agent: string) => {
    const secret = (await createCredential(auth, org, agent)).secret;
    return { secret, openai: new OpenAI({ baseURL: `${url}/v1`, apiKey: secret, maxRetries: 0 }) };
  };
  return { url, client, records, tokens, clock, org, store, auth };
}

const ask = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [
    { role: 'system' as const, content: 'be brief' },
    { role: 'user' as const, content: SECRET_PROMPT },
  ],
  ...extra,
});

/** The error a call fails with (an OpenAI APIError: status, code, message). */
async function failure(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OpenAI.APIError)
      return { status: e.status ?? 0, code: String(e.code), message: e.message };
    throw e;
  }
  throw new Error('the call succeeded');
}

/** The gateway's completed records' outcomes. */
const outcomes = async (records: (t: LedgerRecord['type']) => Promise<LedgerRecord[]>) =>
  (await records('action.completed')).map((r) => (r.body as { outcome: unknown }).outcome);

describe('llm gateway: openai-compatible provider', () => {
  it('answers an allowed model with the kernel key, recording usage but never the prompt', async () => {
    const g = await gateway();
    const { openai, secret } = await g.client('coder');
    const answer = await openai.chat.completions.create(ask('gpt-mini'));
    expect(answer.choices[0]?.message.content).toBe('hello from openai');
    expect(answer.usage?.total_tokens).toBe(20);
    expect(openaiHits).toHaveLength(1);
    const hit = openaiHits[0];
    expect(hit?.path).toBe('/v1/chat/completions');
    expect(hit?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(JSON.stringify(hit?.headers)).not.toContain(secret);
    expect(hit?.body).toMatchObject({ model: 'gpt-mini', messages: [{ role: 'system' }, { role: 'user' }] });
    const requested = await g.records('action.requested');
    expect(requested.map((r) => (r.body as { request: unknown }).request)).toEqual([
      {
        agent: 'coder',
        action: 'llm.chat',
        resource: 'gpt-mini',
        args: { provider: 'openai', messages: 2, stream: false },
      },
    ]);
    expect(await outcomes(g.records)).toEqual([
      {
        provider: 'openai',
        model: 'gpt-mini',
        usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 },
        finish_reason: 'stop',
      },
    ]);
    expect(completedBy(await g.records('action.completed'))).toEqual(['gateway:llm']);
    expect(JSON.stringify(await g.records())).not.toContain(SECRET_PROMPT);
    expect(g.tokens.spentToday('agent', 'coder')).toBe(20);
  });

  it('streams an allowed model, asking the upstream for usage and recording it when the stream ends', async () => {
    const g = await gateway();
    const { openai } = await g.client('coder');
    const stream = await openai.chat.completions.create({ ...ask('gpt-mini'), stream: true, max_tokens: 50 });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('hello');
    expect(usage?.total_tokens).toBe(20);
    expect(openaiHits[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 50,
    });
    const requested = await g.records('action.requested');
    expect((requested[0]?.body as { request: { args: unknown } }).request.args).toEqual({
      provider: 'openai',
      messages: 2,
      stream: true,
      max_tokens: 50,
    });
    expect(await outcomes(g.records)).toEqual([
      expect.objectContaining({
        model: 'gpt-mini',
        usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 },
        finish_reason: 'stop',
      }),
    ]);
  });

  it('lists the configured models policy lets the agent use, owned by their provider', async () => {
    const g = await gateway();
    const { openai } = await g.client('coder');
    const models = [];
    for await (const m of openai.models.list()) models.push({ id: m.id, owned_by: m.owned_by });
    expect(models).toEqual([
      { id: 'gpt-mini', owned_by: 'openai' },
      { id: 'gpt-flaky', owned_by: 'openai' },
      { id: 'claude-haiku', owned_by: 'anthropic' },
    ]);
  });
});

describe('llm gateway: refusals reach no upstream', () => {
  it('refuses a model policy does not allow with 403 and the code, and records the denial', async () => {
    const g = await gateway();
    const { openai } = await g.client('coder');
    const e = await failure(openai.chat.completions.create(ask('gpt-big')));
    expect(e).toMatchObject({ status: 403, code: 'AOS_DENIED' });
    expect(e.message).toContain('AOS_DENIED');
    expect(openaiHits).toEqual([]);
    const decided = await g.records('action.decided');
    expect(decided.map((r) => (r.body as { effect: string }).effect)).toEqual(['deny']);
    expect(await g.records('action.completed')).toEqual([]);
  });

  it('answers an unknown model with 404, deciding and recording nothing', async () => {
    const g = await gateway();
    const { openai } = await g.client('coder');
    const e = await failure(openai.chat.completions.create(ask('gpt-nonesuch')));
    expect(e).toMatchObject({ status: 404, code: 'AOS_NOT_FOUND' });
    expect(openaiHits).toEqual([]);
    expect(anthropicHits).toEqual([]);
    expect(await g.records('action.requested')).toEqual([]);
  });

  it('refuses a bad body with 400', async () => {
    const g = await gateway();
    const { openai } = await g.client('coder');
    const e = await failure(openai.chat.completions.create({ model: 'gpt-mini', messages: [] }));
    expect(e).toMatchObject({ status: 400, code: 'AOS_REQUEST_INVALID' });
    expect(openaiHits).toEqual([]);
  });

  it('serves agents only: a person is refused with 403, an unknown key with 401', async () => {
    const g = await gateway();
    const token = (await createToken(g.auth, g.org, 'ann@llm.test', 'admin')).secret;
    const person = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: token, maxRetries: 0 });
    expect(await failure(person.chat.completions.create(ask('gpt-mini')))).toMatchObject({
      status: 403,
      code: 'AOS_FORBIDDEN',
    });
    const stranger = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'aosa_nope', maxRetries: 0 });
    expect(await failure(stranger.chat.completions.create(ask('gpt-mini')))).toMatchObject({ status: 401 });
    expect(openaiHits).toEqual([]);
  });

  it('stops an agent at its own daily budget with 429, recorded, until the next UTC day', async () => {
    const g = await gateway();
    const { openai } = await g.client('thrifty');
    await openai.chat.completions.create(ask('gpt-mini')); // 20 of 30
    await openai.chat.completions.create(ask('gpt-mini')); // 40: over, but it was not spent before
    expect(openaiHits).toHaveLength(2);
    const e = await failure(openai.chat.completions.create(ask('gpt-mini')));
    expect(e).toMatchObject({ status: 429, code: 'AOS_BUDGET_EXCEEDED' });
    expect(e.message).toContain('agent `thrifty` has spent 40 of its 30 model tokens today');
    expect(openaiHits).toHaveLength(2);
    const failed = await g.records('action.failed');
    expect(failed.map((r) => (r.body as { error: { code: string } }).error.code)).toEqual([
      'AOS_BUDGET_EXCEEDED',
    ]);
    g.clock.t += 24 * 3_600_000;
    await openai.chat.completions.create(ask('gpt-mini'));
    expect(openaiHits).toHaveLength(3);
  });

  it('shares a department budget between its agents', async () => {
    const g = await gateway();
    const r1 = (await g.client('r1')).openai;
    const r2 = (await g.client('r2')).openai;
    await r1.chat.completions.create(ask('gpt-mini')); // 20 of research's 40
    await r2.chat.completions.create(ask('gpt-mini')); // 40
    expect(openaiHits).toHaveLength(2);
    for (const c of [r1, r2]) {
      const e = await failure(c.chat.completions.create(ask('gpt-mini')));
      expect(e).toMatchObject({ status: 429, code: 'AOS_BUDGET_EXCEEDED' });
      expect(e.message).toContain('department `research` has spent 40 of its 40');
    }
    expect(openaiHits).toHaveLength(2);
    expect(g.tokens.spentToday('department', 'research')).toBe(40);
  });

  it('rebuilds the day’s counts from the ledger after a restart', async () => {
    const g = await gateway();
    const r1 = (await g.client('r1')).openai;
    await r1.chat.completions.create(ask('gpt-mini'));
    await r1.chat.completions.create(ask('claude-haiku'));
    await g.records();
    const fresh = new TokenLedger(g.clock);
    await fresh.seed(g.org, g.store.ledger.read({ type: 'action.completed', since: fresh.since }));
    expect(fresh.spentToday('agent', 'r1')).toBe(35);
    expect(fresh.spentToday('department', 'research')).toBe(35);
  });
});

describe('llm gateway: anthropic provider', () => {
  it('translates a chat call to the messages api and the answer back', async () => {
    const g = await gateway();
    const { openai, secret } = await g.client('coder');
    const answer = await openai.chat.completions.create(ask('claude-haiku', { stop: 'END' }));
    expect(answer).toMatchObject({
      object: 'chat.completion',
      model: 'claude-haiku',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'hello from claude' }, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
    const hit = anthropicHits[0];
    expect(hit?.path).toBe('/v1/messages');
    expect(hit?.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(hit?.headers['anthropic-version']).toBe('2023-06-01');
    expect(JSON.stringify(hit?.headers)).not.toContain(secret);
    expect(hit?.body).toEqual({
      model: 'claude-haiku',
      max_tokens: 1024,
      system: 'be brief',
      messages: [{ role: 'user', content: SECRET_PROMPT }],
      stop_sequences: ['END'],
    });
    expect(await outcomes(g.records)).toEqual([
      {
        provider: 'anthropic',
        model: 'claude-haiku',
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        finish_reason: 'stop',
      },
    ]);
  });

  it('translates a stream into chat.completion.chunk events with usage last', async () => {
    const g = await gateway();
    const { openai } = await g.client('coder');
    const stream = await openai.chat.completions.create({
      ...ask('claude-haiku'),
      stream: true,
      max_tokens: 7,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('hello');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === 'msg_2')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['length']);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
    expect(anthropicHits[0]?.body).toMatchObject({ stream: true, max_tokens: 7, system: 'be brief' });
    expect(await outcomes(g.records)).toEqual([
      expect.objectContaining({
        provider: 'anthropic',
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        finish_reason: 'length',
      }),
    ]);
  });

  it('refuses what it cannot translate (tools) with 400 before the upstream', async () => {
    const g = await gateway();
    const { openai } = await g.client('coder');
    const tools = [{ type: 'function' as const, function: { name: 'f', parameters: {} } }];
    const e = await failure(openai.chat.completions.create(ask('claude-haiku', { tools })));
    expect(e).toMatchObject({ status: 400, code: 'AOS_REQUEST_INVALID' });
    expect(anthropicHits).toEqual([]);
  });
});

describe('llm gateway: upstream failures', () => {
  it('answers 502 when the provider cannot be reached, and records the failure', async () => {
    const g = await gateway({ openaiBase: `http://127.0.0.1:${await closedPort()}/v1` });
    const { openai } = await g.client('coder');
    const e = await failure(openai.chat.completions.create(ask('gpt-mini')));
    expect(e).toMatchObject({ status: 502, code: 'AOS_UPSTREAM_FAILED' });
    expect(e.message).toContain('provider `openai`');
    const failed = await g.records('action.failed');
    expect(failed.map((r) => (r.body as { error: { code: string } }).error.code)).toEqual([
      'AOS_UPSTREAM_FAILED',
    ]);
    expect(g.tokens.spentToday('agent', 'coder')).toBe(0);
  });
});

describe('llm gateway: a stream that breaks', () => {
  it("ends the agent's stream with an error event and records the call as failed", async () => {
    const g = await gateway();
    const { openai } = await g.client('coder');
    const stream = await openai.chat.completions.create({ ...ask('gpt-flaky'), stream: true });
    let text = '';
    const read = async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    };
    await expect(read()).rejects.toThrow(/AOS_UPSTREAM_FAILED/);
    expect(text).toBe('hel');
    const failed = await g.records('action.failed');
    expect(failed.map((r) => (r.body as { error: { code: string } }).error.code)).toEqual([
      'AOS_UPSTREAM_FAILED',
    ]);
    expect(await g.records('action.completed')).toEqual([]);
  });
});

const completedBy = (rs: readonly LedgerRecord[]) => rs.map((r) => (r.body as { executor: string }).executor);
