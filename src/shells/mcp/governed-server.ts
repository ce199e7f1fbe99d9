/**
 * The core both MCP doors share (issue 5 §3): an MCP server, built with the official SDK, in front of one
 * or more upstream servers, where every `tools/call`, `resources/read` and `prompts/get` is a governed
 * action (`mcp.<server>.<tool>`, `mcp.<server>.resources.read`, `mcp.<server>.prompts.get`) and
 * `tools/list` shows only what policy does not deny outright. How an action is decided and recorded is the
 * door's (`McpGovernor`): in the daemon through `mediate()`, in the stdio wrapper through the SDK client.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  type CallToolResult,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { JsonValue } from '../../kernel/ledger/record.js';
import { allPages, type Upstream } from './upstream.js';

/** The JSON-RPC error code of a governed `resources/read` or `prompts/get` that policy refused. */
export const MCP_REFUSED = -32003;

/**
 * A JSON-RPC error answered as it is: the SDK sends a thrown error's `code`, `message` and `data`
 * (its `McpError` would put `MCP error <code>: ` in the message, which the client's adds again).
 */
class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: JsonValue,
  ) {
    super(message);
  }
}

/** The action one MCP request becomes (the agent is the door's to add). */
export interface McpAction {
  readonly action: string;
  readonly resource?: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly context: { readonly mcp: Readonly<Record<string, JsonValue>> };
}

/** How a governed request ended: run, or refused with a code (`AOS_DENIED`, `AOS_APPROVAL_PENDING`, …). */
export type Governed<T> =
  | { readonly ran: true; readonly value: T }
  | { readonly ran: false; readonly code: string; readonly message: string };

/** What a door decides with: the kernel in-process, or the daemon over HTTP. */
export interface McpGovernor {
  /** Whether a tool may be listed: false only when policy would deny it whatever its arguments. */
  listable(action: McpAction): Promise<boolean>;
  /**
   * Submits the action, waits while it waits for approval (calling `onWait` with a line saying why, until
   * `stop` aborts, if the door can stop early), runs `run` only when it is allowed and records the outcome
   * `run` gives; a failure of `run` is recorded and rethrown.
   */
  govern<T>(
    action: McpAction,
    run: () => Promise<{ value: T; outcome: JsonValue }>,
    onWait: (message: string) => void,
    stop?: AbortSignal,
  ): Promise<Governed<T>>;
}

/** What the governed server serves. */
export interface GovernedServerOptions {
  readonly upstreams: readonly Upstream[];
  readonly governor: McpGovernor;
  /**
   * Whether tool and prompt names carry their server's name (`files.read_file`): the daemon's gateway,
   * which federates. The stdio wrapper stands in for one server and keeps its names.
   */
  readonly prefixed: boolean;
  /** Told when an upstream fails while listing (the others are still listed). */
  readonly onError?: (error: unknown, server: string) => void;
  /** Which server has which resource, shared by the servers of one gateway (default: this server's own). */
  readonly owners?: ResourceOwners;
}

/** Which upstream has which resource: URIs from `resources/list`, URI prefixes from the templates. */
export interface ResourceOwners {
  readonly byUri: Map<string, Upstream>;
  readonly templates: [prefix: string, upstream: Upstream][];
}

/** An empty resource map, for `GovernedServerOptions.owners`. */
export const resourceOwners = (): ResourceOwners => ({ byUri: new Map(), templates: [] });

/** A tool, resource or prompt action on a name MCP allows but an action name does not. */
const SEGMENTS = /^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/;
/** Tool names that would read as the gateway's own resource and prompt actions. */
const RESERVED = new Set(['resources.read', 'prompts.get']);

/** Reading a resource or getting a prompt has no effect (MCP): the gateway says so for policy. */
const READ_ONLY = { readOnlyHint: true, destructiveHint: false } as const;

/** Builds the MCP server for one client (one agent). */
export function governedServer(o: GovernedServerOptions): Server {
  const byName = new Map(o.upstreams.map((u) => [u.name, u]));
  const single = o.upstreams.length === 1 ? o.upstreams[0] : undefined;
  const exposed = (u: Upstream, name: string) => (o.prefixed ? `${u.name}.${name}` : name);
  /** The upstream and its own name for a name the client sent. */
  const resolve = (name: string): [Upstream, string] | undefined => {
    if (!o.prefixed) return single ? [single, name] : undefined;
    const dot = name.indexOf('.');
    const u = dot > 0 ? byName.get(name.slice(0, dot)) : undefined;
    return u ? [u, name.slice(dot + 1)] : undefined;
  };
  /** What each upstream answers, leaving out (and reporting) the ones that fail. */
  const each = async <T>(f: (u: Upstream) => Promise<T[]>): Promise<T[]> =>
    (
      await Promise.all(
        o.upstreams.map((u) =>
          f(u).catch((e: unknown) => {
            o.onError?.(e, u.name);
            return [] as T[];
          }),
        ),
      )
    ).flat();
  const toolAction = (u: Upstream, t: Tool, args: Record<string, unknown>): McpAction => ({
    action: `mcp.${u.name}.${t.name}`,
    args,
    context: {
      mcp: { server: u.name, tool: t.name, annotations: (t.annotations ?? {}) as JsonValue },
    },
  });
  const callable = (t: Tool) => SEGMENTS.test(t.name) && !RESERVED.has(t.name);

  // Which server has which resource: remembered from the lists, so a read goes where the URI came from.
  const { byUri: resourceOwner, templates: templateOwners } = o.owners ?? resourceOwners();

  const server = new Server(
    { name: 'agentos-mcp-gateway', version: '1' },
    {
      capabilities: { tools: {}, resources: {}, prompts: {} },
      instructions:
        'Agent OS governs every call: a refused call says why (AOS_DENIED, AOS_APPROVAL_PENDING).',
    },
  );

  /**
   * Governs one request, telling the client while it waits: progress notifications when it asked for
   * them, and once, when it can be asked (the `elicitation` capability), a question whether to keep
   * waiting; declining stops the wait (the action stays pending for its approvers).
   */
  const governed = async <T>(
    extra: RequestExtra,
    action: McpAction,
    run: () => Promise<{ value: T; outcome: JsonValue }>,
  ): Promise<Governed<T>> => {
    const tell = progress(extra);
    const stop = new AbortController();
    const done = new AbortController();
    let asked = false;
    const onWait = (message: string) => {
      tell(message);
      if (asked || !server.getClientCapabilities()?.elicitation) return;
      asked = true;
      server
        .elicitInput(
          {
            message: `\`${action.action}\` is ${message}. Keep waiting? (decline to stop waiting; the request stays with its approvers)`,
            requestedSchema: { type: 'object', properties: {} },
          },
          { signal: done.signal, relatedRequestId: extra.requestId },
        )
        .then((answer) => {
          if (answer.action !== 'accept') stop.abort();
        })
        .catch(() => undefined);
    };
    try {
      return await o.governor.govern(action, run, onWait, stop.signal);
    } finally {
      done.abort();
    }
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const tools = await each(async (u) => {
      const listed = (await u.tools()).filter(callable);
      const shown = await Promise.all(listed.map((t) => o.governor.listable(toolAction(u, t, {}))));
      return listed.filter((_, i) => shown[i]).map((t) => ({ ...t, name: exposed(u, t.name) }));
    });
    return { tools };
  });

  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const found = resolve(req.params.name);
    const tool = found ? await found[0].tool(found[1]) : undefined;
    if (!found || !tool || !callable(tool)) {
      throw new RpcError(ErrorCode.InvalidParams, `unknown tool \`${req.params.name}\``);
    }
    const [u] = found;
    const args = req.params.arguments ?? {};
    const r = await governed(extra, toolAction(u, tool, args), async () => {
      const client = await u.connect();
      const value = (await client.callTool({ name: tool.name, arguments: args })) as CallToolResult;
      return { value, outcome: summary(value, 'content') };
    });
    if (r.ran) return r.value;
    return { content: [{ type: 'text', text: `${r.code}: ${r.message}` }], isError: true };
  });

  /** An upstream's resources (all pages), remembered as its own. */
  const resourcesOf = async (u: Upstream): Promise<Resource[]> => {
    const client = await u.connect();
    if (!client.getServerCapabilities()?.resources) return [];
    const list = await allPages<Resource>(async (cursor) => {
      const r = await client.listResources(cursor === undefined ? {} : { cursor });
      return { items: r.resources, nextCursor: r.nextCursor };
    });
    for (const r of list) resourceOwner.set(r.uri, u);
    return list;
  };
  /** An upstream's resource templates (all pages); what each expands to is remembered as its own. */
  const templatesOf = async (u: Upstream): Promise<ResourceTemplate[]> => {
    const client = await u.connect();
    if (!client.getServerCapabilities()?.resources) return [];
    const list = await allPages<ResourceTemplate>(async (cursor) => {
      const r = await client.listResourceTemplates(cursor === undefined ? {} : { cursor });
      return { items: r.resourceTemplates, nextCursor: r.nextCursor };
    });
    for (const t of list) {
      const prefix = t.uriTemplate.split('{')[0] ?? '';
      if (prefix !== '' && !templateOwners.some(([p, w]) => p === prefix && w === u))
        templateOwners.push([prefix, u]);
    }
    return list;
  };
  const ownerOf = (uri: string): Upstream | undefined =>
    resourceOwner.get(uri) ?? templateOwners.find(([prefix]) => uri.startsWith(prefix))?.[1];

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: await each(resourcesOf) }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: await each(templatesOf),
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (req, extra) => {
    const uri = req.params.uri;
    // a URI the client did not list through this server: look through every server's lists once
    if (!ownerOf(uri)) await each(async (u) => [...(await resourcesOf(u)), ...(await templatesOf(u))]);
    const u = ownerOf(uri) ?? single;
    if (!u) throw new RpcError(ErrorCode.InvalidParams, `unknown resource \`${uri}\``);
    const r = await governed(
      extra,
      {
        action: `mcp.${u.name}.resources.read`,
        resource: uri,
        args: {},
        context: { mcp: { server: u.name, resource: uri, annotations: READ_ONLY } },
      },
      async () => {
        const value = await (await u.connect()).readResource({ uri });
        return { value, outcome: summary(value, 'contents') };
      },
    );
    if (r.ran) return r.value;
    throw refusedError(r);
  });

  /** An upstream's prompts (all pages), under its own names. */
  const promptsOf = async (u: Upstream): Promise<Prompt[]> => {
    const client = await u.connect();
    if (!client.getServerCapabilities()?.prompts) return [];
    return allPages<Prompt>(async (cursor) => {
      const r = await client.listPrompts(cursor === undefined ? {} : { cursor });
      return { items: r.prompts, nextCursor: r.nextCursor };
    });
  };

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({
    prompts: await each(async (u) => (await promptsOf(u)).map((p) => ({ ...p, name: exposed(u, p.name) }))),
  }));

  server.setRequestHandler(GetPromptRequestSchema, async (req, extra) => {
    const found = resolve(req.params.name);
    const known = found && (await promptsOf(found[0])).some((p) => p.name === found[1]);
    if (!found || !known) {
      throw new RpcError(ErrorCode.InvalidParams, `unknown prompt \`${req.params.name}\``);
    }
    const [u, name] = found;
    const args = req.params.arguments ?? {};
    const r = await governed(
      extra,
      {
        action: `mcp.${u.name}.prompts.get`,
        resource: name,
        args,
        context: { mcp: { server: u.name, prompt: name, annotations: READ_ONLY } },
      },
      async () => {
        const value = await (await u.connect()).getPrompt({ name, arguments: args });
        return { value, outcome: summary(value, 'messages') };
      },
    );
    if (r.ran) return r.value;
    throw refusedError(r);
  });

  return server;
}

/** What the ledger keeps of an answer: whether it was an error, how many parts, how many bytes. */
function summary(value: Record<string, unknown>, parts: string): JsonValue {
  const list = value[parts];
  return {
    ...(parts === 'content' ? { isError: value.isError === true } : {}),
    [parts]: Array.isArray(list) ? list.length : 0,
    bytes: Buffer.byteLength(JSON.stringify(value)),
  };
}

/** A governed refusal as a JSON-RPC error (results of reads and prompts have no error flag). */
function refusedError(r: { code: string; message: string }): RpcError {
  return new RpcError(MCP_REFUSED, `${r.code}: ${r.message}`, { code: r.code });
}

/** What a request handler is given besides the request (the SDK's `RequestHandlerExtra`, the parts used). */
interface RequestExtra {
  readonly requestId: string | number;
  readonly _meta?: { progressToken?: string | number | undefined } | undefined;
  readonly sendNotification: (n: {
    method: 'notifications/progress';
    params: { progressToken: string | number; progress: number; message?: string };
  }) => Promise<void>;
}

/** Progress notifications for a request that asked for them (a `progressToken`), one per wait seen. */
function progress(extra: RequestExtra): (message: string) => void {
  const token = extra._meta?.progressToken;
  let n = 0;
  return (message) => {
    if (token === undefined) return;
    void extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: ++n, message },
      })
      .catch(() => undefined);
  };
}
