/**
 * The read API the web console uses (issue 4 §8; docs/api.md): thin routes over the governor's
 * `ReadService`. Each authenticates, parses its query, calls one use case and serialises.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../governor/auth.js';
import type { ReadService } from '../../governor/read-service.js';
import { AgentOsError } from '../../kernel/errors.js';
import { RECORD_TYPES } from '../../kernel/ledger/record.js';

const ACTION_STATUSES = ['held', 'pending_approval', 'allowed', 'executed', 'failed', 'denied'] as const;
const name = z.string().min(1).max(256);
const limit = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).optional().default(fallback);

const ledgerQuery = z
  .object({
    stream: name.optional(),
    type: z.enum(RECORD_TYPES).optional(),
    agent: name.optional(),
    episode: name.optional(),
    after: z.coerce.number().int().min(0).optional(),
    limit: limit(1000, 100),
  })
  .strict();
const actionsQuery = z
  .object({ status: z.enum(ACTION_STATUSES), agent: name.optional(), limit: limit(1000, 100) })
  .strict();

/** Parses a query string; `AOS_REQUEST_INVALID` naming the parameter otherwise. */
function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const r = schema.safeParse(query ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue?.path.length ? ` \`${issue.path.join('.')}\`` : '';
  throw new AgentOsError(
    'AOS_REQUEST_INVALID',
    `invalid query parameter${at}: ${issue?.message ?? 'unknown problem'}`,
  );
}

/** Registers `GET /v1/me`, `/v1/agents`, `/v1/org`, `/v1/ledger[/verify]`, `/v1/actions`, `POST /v1/explain`. */
export function registerReadRoutes(
  app: FastifyInstance,
  reads: ReadService,
  who: (req: FastifyRequest) => Promise<Principal>,
): void {
  app.get('/v1/me', async (req) => reads.me(await who(req)));
  app.get('/v1/agents', async (req) => ({ agents: await reads.agents(await who(req)) }));
  app.get('/v1/org', async (req) => reads.org(await who(req)));
  app.get('/v1/ledger', async (req) => {
    const principal = await who(req);
    return reads.ledger(principal, parseQuery(ledgerQuery, req.query));
  });
  app.get('/v1/ledger/verify', async (req) => reads.verify(await who(req)));
  app.get('/v1/actions', async (req) => {
    const principal = await who(req);
    return reads.actions(principal, parseQuery(actionsQuery, req.query));
  });
  app.post('/v1/explain', async (req) => reads.explain(await who(req), req.body));
}
