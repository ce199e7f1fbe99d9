/**
 * The node's configuration, `agentos.yaml` in the data directory: one zod schema with defaults and
 * descriptions, validated once (problems at `file:line:col`), then frozen. Paths are relative to the data
 * directory. docs/cli.md (`agentos init`) shows the file.
 */
import { z } from 'zod';
import { durationSetting } from './config-fields.js';
import { llmConfigSchema } from './llm-config.js';
import { mcpConfigSchema } from './mcp-config.js';
import { AgentOsError } from '../kernel/errors.js';
import { parseYamlSource, validateDocument } from '../kernel/source/yaml-source.js';

/** The file name of the configuration inside a data directory. */
export const CONFIG_FILE = 'agentos.yaml';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const sqliteStorage = z
  .object({
    kind: z.literal('sqlite').describe('the embedded store (default)'),
    file: z
      .string()
      .min(1)
      .default('ledger.db')
      .describe('the SQLite database file, relative to the data directory'),
  })
  .strict();

const postgresStorage = z
  .object({
    kind: z.literal('postgres').describe('PostgreSQL, for several kernel nodes sharing state'),
    url: z.string().min(1).describe('a libpq-style connection URL, e.g. postgres://agentos@db:5432/agentos'),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase identifier')
      .default('agentos')
      .describe('the schema holding the tables (created by migrations)'),
  })
  .strict();

const httpExecutor = z
  .object({
    name: z
      .string()
      .regex(NAME, 'must be letters, digits, `.`, `_`, `-`')
      .describe('names the executor in records'),
    actions: z
      .array(z.string().min(1).max(256))
      .min(1)
      .describe('action globs this executor runs, e.g. `hr.**` (`.` separates segments)'),
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
      .describe('where the kernel POSTs `{ id, request, decision }`; a 2xx JSON answer is the outcome'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name'), z.string().max(4096))
      .default({})
      .describe(
        "headers sent with every call; `${env:NAME}` is replaced by the daemon's environment variable",
      ),
    timeout: durationSetting('30s', 'how long a call may take before the action fails'),
  })
  .strict();

const egress = z
  .object({
    listen: z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$/, 'must be `host:port`')
      .nullable()
      .default(null)
      .describe(
        "the egress proxy's TCP address for agents outside a sandbox (`HTTP_PROXY`), or null for none; sandboxed runs get their own socket",
      ),
    approvalWait: durationSetting(
      '30s',
      'how long a proxied request waits for approval before it is refused',
    ),
    maxTunnelsPerAgent: z
      .number()
      .int()
      .positive()
      .default(64)
      .describe('most CONNECT tunnels one agent may hold open at once'),
  })
  .strict();

const runs = z
  .object({
    hostUid: z
      .number()
      .int()
      .min(1)
      .max(4294967294)
      .default(2_000_000_000)
      .describe(
        'the host uid (and gid) sandboxes run as when the kernel runs as root: one no file or process on the host belongs to',
      ),
    approvalWait: durationSetting(
      '10m',
      'how long `agent.run` waits for approval or a `cont` before the run is refused',
    ),
  })
  .strict();

/** The sandboxed runs' settings of `agentos.yaml`. */
export type RunsConfig = Readonly<z.infer<typeof runs>>;

/** The egress proxy's settings of `agentos.yaml`. */
export type EgressConfig = Readonly<z.infer<typeof egress>>;

/** A refinement: no two entries of a list share a `name` (`what` names the entries in the message). */
const uniqueNames =
  (what: string) =>
  (list: readonly { name: string }[], ctx: z.RefinementCtx): void => {
    const seen = new Set<string>();
    list.forEach((e, i) => {
      if (seen.has(e.name))
        ctx.addIssue({
          code: 'custom',
          message: `${what} \`${e.name}\` is defined twice`,
          path: [i, 'name'],
        });
      seen.add(e.name);
    });
  };

const webhook = z
  .object({
    name: z
      .string()
      .regex(NAME, 'must be letters, digits, `.`, `_`, `-`')
      .describe('names the webhook in logs and its delivery cursor'),
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
      .describe('where the kernel POSTs each event, one CloudEvent per request'),
    events: z
      .array(z.string().min(1).max(256))
      .min(1)
      .default(['approval.*'])
      .describe('ledger record types to send, as globs (`approval.*`, `signal.*`, `action.decided`)'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name'), z.string().max(4096))
      .default({})
      .describe(
        "headers sent with every delivery; `${env:NAME}` is replaced by the daemon's environment variable",
      ),
    secret: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe(
        'signs each delivery (Standard Webhooks `webhook-signature`, HMAC-SHA256); `${env:NAME}` allowed',
      ),
    timeout: durationSetting('10s', 'how long one delivery may take before it is retried'),
  })
  .strict();

/** One outgoing webhook of `agentos.yaml`. */
export type WebhookConfig = Readonly<z.infer<typeof webhook>>;

/** One HTTP executor of `agentos.yaml`. */
export type HttpExecutorConfig = Readonly<z.infer<typeof httpExecutor>>;

/**
 * The schema of `agentos.yaml`. `stream` defaults to `defaultStream` (the host name, sanitised), so the
 * schema is built per process; everything else is fixed.
 */
export function configSchema(defaultStream: string) {
  return z
    .object({
      storage: z
        .discriminatedUnion('kind', [sqliteStorage, postgresStorage])
        .default({ kind: 'sqlite', file: 'ledger.db' })
        .describe(
          'where the ledger and state live: `{ kind: sqlite, file }` or `{ kind: postgres, url, schema }`',
        ),
      org: z
        .string()
        .min(1)
        .default('org.yaml')
        .describe('the organisation file, relative to the data directory'),
      policies: z
        .string()
        .min(1)
        .default('policies')
        .describe('the policy directory, relative to the data directory'),
      keys: z
        .string()
        .min(1)
        .default('keys')
        .describe('the key directory (HMAC and Ed25519 keys), relative to the data directory'),
      listen: z
        .string()
        .regex(/^[^\s:]+:\d{1,5}$/, 'must be `host:port`')
        .default('127.0.0.1:7070')
        .describe('the address the daemon listens on (loopback by default)'),
      ledger: z
        .object({
          commit: z
            .enum(['group', 'per-event'])
            .default('group')
            .describe(
              '`group` batches fsyncs (one commit loop, bounded wait); `per-event` commits each record alone',
            ),
          checkpointRecords: z
            .number()
            .int()
            .positive()
            .default(1000)
            .describe('sign a checkpoint after this many records'),
          checkpointSeconds: z
            .number()
            .positive()
            .default(60)
            .describe('or after this many seconds, whichever comes first'),
        })
        .strict()
        .default({ commit: 'group', checkpointRecords: 1000, checkpointSeconds: 60 })
        .describe('how the ledger commits and how often it signs checkpoints'),
      stream: z
        .string()
        .regex(NAME, 'must be letters, digits, `.`, `_`, `-` (at most 128)')
        .default(defaultStream)
        .describe("this node's ledger stream (default: the host name)"),
      executors: z
        .array(httpExecutor)
        .default([])
        .superRefine(uniqueNames('executor'))
        .describe(
          'HTTP executors: the kernel calls `url` for allowed actions matching `actions` (first match wins); the agent never holds their credentials',
        ),
      webhooks: z
        .array(webhook)
        .default([])
        .superRefine(uniqueNames('webhook'))
        .describe(
          "outgoing webhooks: this node's ledger records of the listed types, POSTed as CloudEvents, in order, at least once",
        ),
      egress: egress
        .default({ listen: null, approvalWait: '30s', maxTunnelsPerAgent: 64 })
        .describe(
          'the egress proxy: HTTP and CONNECT, each request an `http.request` action (docs/egress.md)',
        ),
      llm: llmConfigSchema
        .prefault({})
        .describe(
          'the LLM gateway: OpenAI-compatible /v1/chat/completions and /v1/models, each call an `llm.chat` action on the model (docs/llm.md)',
        ),
      mcp: mcpConfigSchema
        .prefault({})
        .describe(
          'the MCP gateway: /mcp (Streamable HTTP) federating these servers, each call an `mcp.<server>.<tool>` action (docs/mcp.md)',
        ),
      runs: runs
        .default({ hostUid: 2_000_000_000, approvalWait: '10m' })
        .describe('sandboxed runs (`agentos run`, docs/sandbox.md)'),
    })
    .strict();
}

/** A validated, frozen configuration. */
export type Config = Readonly<z.infer<ReturnType<typeof configSchema>>>;

/** A host name made into a valid stream name (`node` when nothing is left). */
export function streamNameFor(hostname: string): string {
  const name = hostname.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return name === '' ? 'node' : name.slice(0, 128);
}

/**
 * Parses and validates `agentos.yaml` text, once; the result is deeply frozen. An empty file means all
 * defaults. Throws `AOS_YAML_SYNTAX` or `AOS_CONFIG_INVALID` with every problem at its place.
 */
export function parseConfig(text: string, file: string, hostname: string): Config {
  const parsed = parseYamlSource(text, file);
  if (parsed.problems.length > 0) throw AgentOsError.fromProblems('AOS_YAML_SYNTAX', parsed.problems);
  const [doc, extra] = parsed.documents;
  if (extra) {
    throw AgentOsError.fromProblems('AOS_CONFIG_INVALID', [
      { message: 'the configuration holds exactly one document', place: extra.placeOf([]) },
    ]);
  }
  const schema = configSchema(streamNameFor(hostname));
  if (!doc) return deepFreeze(schema.parse({}));
  const checked = validateDocument(doc, schema);
  if (!checked.ok) throw AgentOsError.fromProblems('AOS_CONFIG_INVALID', checked.problems);
  return deepFreeze(checked.value);
}

/** The `agentos.yaml` that `agentos init` writes: every setting, with its default and description. */
export function defaultConfigYaml(hostname: string): string {
  const stream = streamNameFor(hostname);
  return [
    '# Agent OS node configuration (docs/cli.md#agentos-init). Paths are relative to this directory.',
    '',
    '# where the ledger and state live: { kind: sqlite, file } or { kind: postgres, url, schema }',
    'storage:',
    '  kind: sqlite',
    '  file: ledger.db',
    '# the organisation file',
    'org: org.yaml',
    '# the policy directory',
    'policies: policies',
    '# the key directory (HMAC and Ed25519 keys; private files are mode 0600)',
    'keys: keys',
    '# the address the daemon listens on',
    'listen: 127.0.0.1:7070',
    '# how the ledger commits (group | per-event) and how often it signs checkpoints',
    'ledger:',
    '  commit: group',
    '  checkpointRecords: 1000',
    '  checkpointSeconds: 60',
    "# this node's ledger stream (default: the host name)",
    `stream: ${stream}`,
    '',
  ].join('\n');
}

/** One line per setting, `name  description`, from the schema's own descriptions (for `init --help`). */
export function describeConfig(): string[] {
  const shape = configSchema('<host name>').shape;
  const width = Math.max(...Object.keys(shape).map((k) => k.length));
  return Object.entries(shape).map(([k, v]) => `  ${k.padEnd(width)}  ${v.description ?? ''}`);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
