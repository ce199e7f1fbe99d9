/**
 * One real MCP server behind a gateway: started over stdio with the official SDK's client, connected on
 * first use and again after it exits, with its tools (and their annotations) remembered from `tools/list`.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { AgentOsError } from '../../kernel/errors.js';

/** How to start an upstream server. */
export interface UpstreamSpec {
  /** The server's name: `mcp.<name>.<tool>`. */
  readonly name: string;
  /** The command and its arguments. */
  readonly command: readonly string[];
  /** Its whole environment (default: the SDK's minimal one: PATH, HOME, USER, …). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where its stderr goes: this process's stderr, nowhere, or a function given each chunk. */
  readonly stderr?: 'inherit' | 'ignore' | ((text: string) => void);
}

/** The most pages of one list call read from an upstream (a server that pages forever is cut off). */
const MAX_PAGES = 100;

/** A client for one upstream MCP server. */
export class Upstream {
  private client: Promise<Client> | undefined;
  private known = new Map<string, Tool>();
  private closed = false;

  constructor(readonly spec: UpstreamSpec) {}

  /** The server's name. */
  get name(): string {
    return this.spec.name;
  }

  /** The connected client, starting the server when it is not running. */
  connect(): Promise<Client> {
    if (this.closed) {
      return Promise.reject(new AgentOsError('AOS_IO', `mcp server \`${this.name}\` is closed`));
    }
    this.client ??= this.start().catch((e: unknown) => {
      this.client = undefined;
      throw new AgentOsError(
        'AOS_UPSTREAM_FAILED',
        `mcp server \`${this.name}\` did not start: ${(e as Error).message}`,
        { cause: e },
      );
    });
    return this.client;
  }

  private async start(): Promise<Client> {
    const [command = '', ...args] = this.spec.command;
    const stderr = this.spec.stderr ?? 'ignore';
    const transport = new StdioClientTransport({
      command,
      args,
      env: { ...(this.spec.env ?? getDefaultEnvironment()) },
      stderr: typeof stderr === 'function' ? 'pipe' : stderr,
    });
    if (typeof stderr === 'function') {
      transport.stderr?.on('data', (b: Buffer) => stderr(b.toString()));
    }
    const client = new Client({ name: 'agentos-mcp-gateway', version: '1' });
    client.onclose = () => {
      // the server exited: start it again on the next request
      this.client = undefined;
    };
    await client.connect(transport);
    return client;
  }

  /** Every tool the server lists now (all pages); remembered for `tool()`. */
  async tools(): Promise<Tool[]> {
    const client = await this.connect();
    if (!client.getServerCapabilities()?.tools) return [];
    const all = await allPages(async (cursor) => {
      const r = await client.listTools(cursor === undefined ? {} : { cursor });
      return { items: r.tools, nextCursor: r.nextCursor };
    });
    this.known = new Map(all.map((t) => [t.name, t]));
    return all;
  }

  /** One tool as the server last listed it, listing again when it is not known. */
  async tool(name: string): Promise<Tool | undefined> {
    return this.known.get(name) ?? (await this.tools()).find((t) => t.name === name);
  }

  /** Stops the server; nothing starts it again. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) await (await client.catch(() => undefined))?.close();
  }
}

/**
 * Reads every page of a list call (`tools/list`, `resources/list`, …), up to a bound.
 */
export async function allPages<T>(
  list: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await list(cursor);
    all.push(...r.items);
    cursor = r.nextCursor;
    if (cursor === undefined) break;
  }
  return all;
}
