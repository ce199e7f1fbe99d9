/**
 * The daemon's HTTP API (issue 4 §3): thin routes over the governor's `ActionService`. Every route
 * authenticates, parses, calls one use case and serialises; errors go through one table (`status.ts`).
 */
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { RunService } from '../run/service.js';
import { isWaiting, type ActionService, type ActionView } from '../../governor/action-service.js';
import type { Principal } from '../../governor/auth.js';
import type { LiveGovernance } from '../../governor/live-governance.js';
import type { ReadService } from '../../governor/read-service.js';
import type { SignalService } from '../../governor/signal-service.js';
import { AgentOsError, isAgentOsError } from '../../kernel/errors.js';
import type { JsonValue } from '../../kernel/ledger/record.js';
import { parseDuration } from '../../kernel/policy/duration.js';
import { registerConsole } from './console-routes.js';
import { registerReadRoutes } from './read-routes.js';
import { registerRunRoutes } from './run-routes.js';
import { httpStatusFor } from './status.js';

/** The largest request body accepted (bytes). */
export const BODY_LIMIT = 1024 * 1024;
/** The longest a `?wait=` long-poll may last. */
const MAX_WAIT_MS = 120_000;

/** What the API needs. */
export interface ApiDeps {
  readonly service: ActionService;
  readonly signals: SignalService;
  readonly governance: LiveGovernance;
  /** Authenticates an `Authorization` header value that came in on `raw`'s connection. */
  authenticate(header: string | undefined, raw: IncomingMessage): Promise<Principal>;
  /** Health details for `GET /healthz`. */
  health(): Promise<Record<string, JsonValue>>;
  /** Pino logger options (structured JSON logs), or false. */
  readonly logger?: FastifyServerOptions['logger'];
  /** The console's read API (`read-routes.ts`), when given. */
  readonly reads?: ReadService;
  /** Sandboxed runs (`run-routes.ts`), when the daemon offers them. */
  readonly runs?: RunService;
  /** The built web console's directory, served at `/console/` (`console-routes.ts`), when given. */
  readonly consoleDir?: string;
}

const outcomeBody = z.union([
  z.object({ outcome: z.json(), durationMs: z.number().nonnegative().optional() }).strict(),
  z
    .object({
      error: z.object({ code: z.string().min(1).max(100), message: z.string().max(4000) }).strict(),
      durationMs: z.number().nonnegative().optional(),
    })
    .strict(),
]);
const voteBody = z.object({ comment: z.string().max(4000).optional() }).strict();
const orgBody = z
  .object({
    text: z.string().max(BODY_LIMIT),
    file: z.string().min(1).max(256).optional(),
    dryRun: z.boolean().optional(),
  })
  .strict();
const policiesBody = z
  .object({
    files: z.array(z.object({ file: z.string().min(1).max(256), text: z.string() }).strict()).max(10_000),
    dryRun: z.boolean().optional(),
    shadow: z.boolean().optional(),
  })
  .strict();
const signalBody = z
  .object({
    signal: z.enum(['stop', 'cont', 'kill']),
    scope: z.enum(['agent', 'department', 'all']),
    target: z.string().min(1).max(256).optional(),
    reason: z.string().max(4000).optional(),
  })
  .strict()
  .refine((b) => b.scope === 'all' || b.target !== undefined, {
    message: 'an agent or department needs `target`',
  });

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue?.path.length ? ` at \`${issue.path.join('.')}\`` : '';
    throw new AgentOsError(
      'AOS_REQUEST_INVALID',
      `invalid body${at}: ${issue?.message ?? 'unknown problem'}`,
    );
  }
  return r.data;
}

function waitMs(query: unknown): number {
  const wait = (query as { wait?: unknown }).wait;
  if (wait === undefined) return 0;
  const ms = typeof wait === 'string' ? parseDuration(wait) : undefined;
  if (ms === undefined || ms > MAX_WAIT_MS) {
    throw new AgentOsError(
      'AOS_REQUEST_INVALID',
      `\`wait\` must be a duration up to 2m, like \`30s\`, not \`${String(wait)}\``,
    );
  }
  return ms;
}

/** 200 once an action has finished (or is allowed to run, in report mode), 202 while it waits (an executor running it too). */
const statusFor = (v: ActionView) => (isWaiting(v) ? 202 : 200);

/** Builds the API; the caller listens and closes. */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: BODY_LIMIT, return503OnClosing: true });
  const who = (req: FastifyRequest) => deps.authenticate(req.headers.authorization, req.raw);

  app.setErrorHandler((error: unknown, req, reply: FastifyReply) => {
    if (isAgentOsError(error)) {
      const status = httpStatusFor(error.code);
      if (status >= 500) req.log.error({ err: error }, error.message);
      return reply.code(status).send({ error: { code: error.code, message: error.message } });
    }
    const e = error as { statusCode?: number; code?: string; message?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      const message =
        e.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `request body larger than ${BODY_LIMIT} bytes`
          : (e.message ?? 'bad request').replace(/^./, (c) => c.toLowerCase());
      return reply.code(e.statusCode).send({ error: { code: 'AOS_REQUEST_INVALID', message } });
    }
    req.log.error({ err: error }, 'unhandled error');
    return reply
      .code(500)
      .send({ error: { code: 'AOS_INTERNAL', message: 'internal error; see the daemon log' } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ error: { code: 'AOS_NOT_FOUND', message: `no route \`${req.method} ${req.url}\`` } }),
  );

  // Open event streams never end on their own: a graceful shutdown ends them first, or it would wait forever.
  const streams = new Set<() => void>();
  // Long-polls likewise are answered at once with the action as it stands (the client asks again later).
  // Answers sent while closing also close their connection, or an idle keep-alive would hold the close.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    for (const end of [...streams]) end();
    deps.service.endWaits();
    done();
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) void reply.header('connection', 'close');
  });

  app.get('/healthz', async () => ({ ok: true, ...(await deps.health()) }));

  app.post('/v1/actions', async (req, reply) => {
    const view = await deps.service.submit(await who(req), req.body);
    return reply.code(statusFor(view)).send(view);
  });
  app.get<{ Params: { id: string } }>('/v1/actions/:id', async (req, reply) => {
    const view = await deps.service.view(await who(req), req.params.id, waitMs(req.query));
    return reply.code(statusFor(view)).send(view);
  });
  app.post<{ Params: { id: string } }>('/v1/actions/:id/outcome', async (req) => {
    const principal = await who(req);
    const body = parseBody(outcomeBody, req.body);
    const result = 'outcome' in body ? { outcome: body.outcome as JsonValue } : { error: body.error };
    return deps.service.report(principal, req.params.id, result, body.durationMs ?? 0);
  });

  app.get('/v1/approvals', async (req) => {
    const mine = (req.query as { mine?: unknown }).mine === 'true';
    return { approvals: await deps.service.approvals.pending(await who(req), mine) };
  });
  app.get<{ Params: { id: string } }>('/v1/approvals/:id', async (req) =>
    deps.service.approvals.get(await who(req), req.params.id),
  );
  for (const verdict of ['approve', 'deny'] as const) {
    app.post<{ Params: { id: string } }>(`/v1/approvals/:id/${verdict}`, async (req) => {
      const principal = await who(req);
      const { comment } = parseBody(voteBody, req.body);
      return deps.service.approvals.vote(principal, req.params.id, verdict, comment);
    });
  }

  // Server-sent events: every action and approval change the caller may read, as it happens. An agent
  // sees its own actions; a person sees all actions and approvals (every role may read them).
  app.get('/v1/events', async (req, reply) => {
    const principal = await who(req);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(': agentos events\n\n');
    const unsubscribe = deps.service.subscribe((event) => {
      if (principal.kind === 'agent' && (event.type !== 'action' || event.agent !== principal.id)) return;
      const data = event.type === 'action' ? event.action : event.approval;
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(end);
    };
    const end = () => {
      stop();
      res.end();
    };
    streams.add(end);
    req.raw.on('close', stop);
  });

  app.post('/v1/org', async (req) => {
    const principal = await who(req);
    const b = parseBody(orgBody, req.body);
    return deps.governance.applyOrg(principal, b.file ?? 'org.yaml', b.text, b.dryRun ?? false);
  });
  app.post('/v1/policies', async (req) => {
    const principal = await who(req);
    const b = parseBody(policiesBody, req.body);
    return deps.governance.applyPolicies(principal, b.files, {
      dryRun: b.dryRun ?? false,
      shadow: b.shadow ?? false,
    });
  });
  app.delete('/v1/policies/shadow', async (req) => deps.governance.clearShadow(await who(req)));

  app.post('/v1/signals', async (req) => {
    const principal = await who(req);
    const b = parseBody(signalBody, req.body);
    return deps.signals.send(principal, b.signal, b.scope, b.target ?? '*', b.reason);
  });
  if (deps.reads) registerReadRoutes(app, deps.reads, who);
  if (deps.runs) registerRunRoutes(app, deps.runs, who);
  if (deps.consoleDir !== undefined) registerConsole(app, deps.consoleDir);
  return app;
}
