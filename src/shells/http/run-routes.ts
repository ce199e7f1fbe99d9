/**
 * `POST /v1/runs` (issue 5 §1): starts a command as an agent in a sandbox and streams the run back as
 * NDJSON — `waiting` while `agent.run` waits for approval or a `cont`, `started`, `output` (base64 chunks of
 * fd 1 or 2, in order), then `exit` or `refused`. A refusal before anything started (authentication, a bad
 * body, an enforcement the machine cannot give) is an ordinary JSON error. Output is written with
 * backpressure: while the caller has not read what was sent, the command's pipes are not read either. When
 * the caller disconnects the run is killed: a sandbox never outlives the `agentos run` that asked for it.
 *
 * `PUT /v1/runs/:run/stdin` streams the command's input (a run started with `stdin: true`), as it comes:
 * never parsed or buffered here, held back while the command does not read.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../governor/auth.js';
import { isAgentOsError } from '../../kernel/errors.js';
import type { RunEvent, RunService, RunSink } from '../run/service.js';

const runBody = z
  .object({
    agent: z.string().min(1).max(200),
    command: z
      .array(z.string().max(64 * 1024))
      .min(1, 'give a command to run')
      .max(4096),
    workspace: z.string().min(1).max(4096).optional(),
    env: z.record(z.string(), z.string().max(64 * 1024)).optional(),
    stdin: z.boolean().optional(),
  })
  .strict();

/** The JSON line of one event. */
function line(e: RunEvent): string {
  return `${JSON.stringify(e.type === 'output' ? { ...e, data: e.data.toString('base64') } : e)}\n`;
}

/** Adds `POST /v1/runs` and `PUT /v1/runs/:run/stdin`. */
export function registerRunRoutes(
  app: FastifyInstance,
  runs: RunService,
  who: (req: FastifyRequest) => Promise<Principal>,
): void {
  app.post('/v1/runs', async (req, reply) => {
    const principal = await who(req);
    const body = runBody.parse(req.body);
    const abort = new AbortController();
    let streaming = false;
    const res = reply.raw;
    const sink: RunSink = {
      emit(e) {
        if (!streaming) {
          streaming = true;
          void reply.hijack();
          res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
          res.on('close', () => {
            if (!res.writableEnded) abort.abort();
          });
        }
        return res.destroyed || res.write(line(e));
      },
      onDrain(resume) {
        // a caller that went away never drains; its run is killed (above) and needs no resuming
        res.once('drain', resume);
      },
    };
    try {
      await runs.run(principal, body, sink, abort.signal);
    } catch (e) {
      if (!streaming) throw e;
      const code = isAgentOsError(e) ? e.code : 'AOS_INTERNAL';
      const message = e instanceof Error ? e.message : String(e);
      if (!isAgentOsError(e)) req.log.error({ err: e }, 'a run failed');
      if (!res.destroyed) res.write(`${JSON.stringify({ type: 'error', code, message })}\n`);
    }
    if (streaming) res.end();
    return reply;
  });

  void app.register((scope, _opts, done) => {
    // in this scope a body is the command's input: left unread for the route to stream to the run
    scope.addContentTypeParser('application/octet-stream', (_req, _payload, parsed) => parsed(null));
    scope.put<{ Params: { run: string } }>('/v1/runs/:run/stdin', async (req) => {
      const principal = await who(req);
      await runs.feed(principal, req.params.run, req.raw);
      return { run: req.params.run, stdin: 'closed' };
    });
    done();
  });
}
