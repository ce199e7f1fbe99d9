/**
 * The daemon's MCP gateway (DESIGN §7, issue 5 §3): a Streamable HTTP endpoint, `/mcp`, federating the MCP
 * servers of `agentos.yaml` for agents (in a sandbox through its run socket, or remote with a credential).
 * Tools and prompts are named `<server>.<name>`; each call is decided and recorded in-process through
 * `mediate()` (gateway `mcp`). Stateless: every POST is answered by a fresh MCP server for the caller, so
 * no session lives in the daemon and any node can answer; the upstream servers are shared and long-lived.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { expandEnvRefs } from '../../adapters/env-refs.js';
import type { Principal } from '../../governor/auth.js';
import type { McpConfig } from '../../governor/mcp-config.js';
import { mediate, refusal } from '../../governor/mediate.js';
import { AgentOsError, isAgentOsError } from '../../kernel/errors.js';
import { parseDuration } from '../../kernel/policy/duration.js';
import { httpStatusFor } from '../http/status.js';
import { governedServer, resourceOwners, type McpGovernor } from './governed-server.js';
import { Upstream } from './upstream.js';
import type { GatewayDeps } from '../http/gateway-deps.js';

/** What the gateway needs. */
export interface McpDeps extends GatewayDeps {
  readonly config: McpConfig;
  /** Told of an upstream server's stderr and of failures nobody waits for (default: nowhere). */
  readonly log?: (message: string) => void;
}

/** The gateway's handle: `close()` stops the upstream servers. */
export interface McpGateway {
  readonly close: () => Promise<void>;
}

/** How often a waiting call sends a progress notification (and looks again). */
const PROGRESS_MS = 5_000;

/** Adds `/mcp` to `app` (in its own scope); the upstream servers start on first use. */
export function registerMcpRoutes(app: FastifyInstance, deps: McpDeps): McpGateway {
  const env = deps.env ?? process.env;
  const waitMs = parseDuration(deps.config.approvalWait) ?? 30_000;
  const log = deps.log;
  // ${env:…} is expanded now, so a missing variable fails the daemon's start, not an agent's call
  const upstreams = deps.config.servers.map((s) => {
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.env ?? {}))
      extra[k] = expandEnvRefs(v, env, `mcp server \`${s.name}\`: env \`${k}\``);
    return new Upstream({
      name: s.name,
      command: s.command,
      env: { ...getDefaultEnvironment(), ...extra },
      stderr: log ? (text) => log(`mcp server ${s.name}: ${text.trimEnd()}`) : 'ignore',
    });
  });

  const owners = resourceOwners();
  const governorFor = (who: Principal & { kind: 'agent' }): McpGovernor => ({
    listable: (a) =>
      Promise.resolve(deps.governance().engine.decide({ agent: who.id, ...a }).effect !== 'deny'),
    govern: async (a, run, onWait) => {
      const r = await mediate(deps.service, who, { agent: who.id, ...a }, 'mcp', run, {
        waitMs,
        pollMs: PROGRESS_MS,
        onWait: (view) => onWait(refusal(view).message),
      });
      return r.ran ? { ran: true, value: r.value } : { ran: false, ...refusal(r.view) };
    },
  });

  void app.register((scope, _opts, done) => {
    scope.setErrorHandler((error: FastifyError, req, reply) => {
      const code = isAgentOsError(error) ? error.code : 'AOS_INTERNAL';
      if (code === 'AOS_INTERNAL') req.log.error({ err: error }, error.message);
      const message = code === 'AOS_INTERNAL' ? 'internal error; see the daemon log' : error.message;
      return reply.code(httpStatusFor(code)).send({ error: { code, message } });
    });

    scope.post('/mcp', async (req, reply) => {
      const who = await deps.who(req);
      if (who.kind !== 'agent') {
        throw new AgentOsError('AOS_FORBIDDEN', 'the mcp gateway serves agents; a person cannot call it');
      }
      const server = governedServer({
        upstreams,
        governor: governorFor(who),
        prefixed: true,
        owners,
        onError: (e, name) => log?.(`mcp server ${name}: ${(e as Error).message}`),
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req.raw, reply.raw, req.body);
    });

    // stateless: there is no session to stream to (GET) or to end (DELETE)
    const noSession = async (_req: FastifyRequest, reply: FastifyReply) =>
      reply
        .code(405)
        .header('allow', 'POST')
        .send({
          jsonrpc: '2.0',
          error: { code: -32000, message: 'method not allowed: the gateway is stateless (POST only)' },
          id: null,
        });
    scope.get('/mcp', noSession);
    scope.delete('/mcp', noSession);
    done();
  });

  return {
    close: async () => {
      await Promise.all(upstreams.map((u) => u.close()));
    },
  };
}
