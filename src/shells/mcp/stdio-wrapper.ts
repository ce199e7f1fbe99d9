/**
 * The stdio door of the MCP gateway (issue 5 §3): `agentos mcp -- <server command>` stands in for an MCP
 * server. It starts the real one, speaks MCP to the client on its own stdin/stdout, and is a client of the
 * daemon over HTTP with the agent's credential: each call is submitted, waited on, run only when allowed,
 * and its outcome reported (report mode, through the SDK). It keeps the server's own names.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Readable, Writable } from 'node:stream';
import type { ActionView as GovernorView } from '../../governor/action-service.js';
import { refusal } from '../../governor/mediate.js';
import { connect, ApprovalTimeoutError, type AgentOsClient, type ActionView } from '../../sdk/index.js';
import type { JsonValue } from '../../sdk/types.js';
import { httpFetch } from '../../sdk/node.js';
import { governedServer, type McpGovernor } from './governed-server.js';
import { Upstream } from './upstream.js';

/** How often a waiting call sends a progress notification (and polls again). */
const PROGRESS_MS = 5_000;
/** Variables the wrapper reads and the wrapped server must never see. */
const OURS = ['AGENTOS_CREDENTIAL', 'AGENTOS_TOKEN'];

/** What the wrapper needs. */
export interface StdioWrapperOptions {
  readonly agent: string;
  /** The server's name in action names (`mcp.<name>.<tool>`). */
  readonly name: string;
  readonly command: readonly string[];
  /** The daemon's base URL and the agent's credential. */
  readonly url: string;
  readonly credential: string;
  /** How long a call waits for approval before it answers `AOS_APPROVAL_PENDING`. */
  readonly waitMs: number;
  /** The wrapper's environment: the server gets it, less the Agent OS credentials. */
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: Readable;
  readonly stdout: Writable;
}

/** Runs the wrapper until the client closes its stdin; the server is stopped with it. */
export async function runStdioWrapper(o: StdioWrapperOptions): Promise<void> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.env)) if (v !== undefined && !OURS.includes(k)) env[k] = v;
  const upstream = new Upstream({ name: o.name, command: o.command, env, stderr: 'inherit' });
  try {
    // start the server before answering the client: a command that does not start fails here, plainly
    await upstream.connect();
    // node:http rather than the global fetch: two calls per tool call (submit, report), each cheaper
    const viaHttp = o.url.startsWith('http:') ? { fetch: httpFetch() } : {};
    const client = connect({ url: o.url, credential: o.credential, agent: o.agent, ...viaHttp });
    const pending = new Set<Promise<void>>();
    const server = governedServer({
      upstreams: [upstream],
      governor: clientGovernor(client, o.agent, o.waitMs, pending),
      prefixed: false,
    });
    const transport = new StdioServerTransport(o.stdin, o.stdout);
    const ended = new Promise<void>((resolve) => {
      server.onclose = () => resolve();
      o.stdin.once('end', () => resolve());
      o.stdin.once('close', () => resolve());
    });
    await server.connect(transport);
    await ended;
    await server.close();
    await Promise.all(pending);
  } finally {
    await upstream.close();
  }
}

/**
 * Decides through the daemon's API. `tools/list` is not filtered: `POST /v1/explain` is for people only
 * (an agent may not probe the policy), so the wrapper lists every tool and each call is decided.
 */
function clientGovernor(
  client: AgentOsClient,
  agent: string,
  waitMs: number,
  pending: Set<Promise<void>>,
): McpGovernor {
  return {
    listable: () => Promise.resolve(true),
    async govern(a, run, onWait, stop) {
      let view: ActionView = await client.submit({
        agent,
        action: a.action,
        ...(a.resource === undefined ? {} : { resource: a.resource }),
        args: a.args as Record<string, JsonValue>,
        context: a.context as Record<string, JsonValue>,
      });
      const deadline = Date.now() + waitMs;
      while (view.status === 'held' || view.status === 'pending_approval') {
        onWait(refusalOf(view).message);
        const left = deadline - Date.now();
        if (left <= 0 || stop?.aborted) break;
        try {
          view = await client.wait(view.id, { timeoutMs: Math.min(left, PROGRESS_MS), signal: stop });
        } catch (e) {
          if (stop?.aborted) break;
          if (!(e instanceof ApprovalTimeoutError)) throw e;
          view = e.action;
        }
      }
      if (view.status !== 'allowed' || view.executor !== undefined) return { ran: false, ...refusalOf(view) };
      const started = Date.now();
      let result: Awaited<ReturnType<typeof run>>;
      try {
        result = await run();
      } catch (e) {
        const error = { code: 'AOS_UPSTREAM_FAILED', message: e instanceof Error ? e.message : String(e) };
        await client.report(view.id, { error }, Date.now() - started);
        throw e;
      }
      // the decision was recorded before the call; the outcome is recorded while the client already has
      // its answer (a shutdown waits for the reports still on their way)
      const reported = client
        .report(view.id, { outcome: result.outcome as JsonValue }, Date.now() - started)
        .then(
          () => undefined,
          (e: unknown) => onReportFailed(view.id, e),
        );
      pending.add(reported);
      void reported.finally(() => pending.delete(reported));
      return { ran: true, value: result.value };
    },
  };
}

/** A report the daemon did not take: said on stderr (stdout is the MCP channel). */
function onReportFailed(action: string, e: unknown): void {
  process.stderr.write(
    `agentos mcp: the outcome of \`${action}\` could not be reported: ${e instanceof Error ? e.message : String(e)}\n`,
  );
}

/** The refusal line for an action as the API shows it (the same words as the daemon's gateways). */
function refusalOf(view: ActionView): { code: string; message: string } {
  // the API's view is the daemon's ActionView serialised: refusal() reads only what both have
  return refusal(view as unknown as GovernorView);
}
