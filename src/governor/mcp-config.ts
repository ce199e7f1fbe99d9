/**
 * The `mcp:` section of `agentos.yaml`: the MCP servers the daemon's gateway (`/mcp`) federates (DESIGN §7,
 * issue 5 §3). Each is started by the kernel over stdio; agents see its tools as `<server>.<tool>`.
 */
import { z } from 'zod';
import { durationSetting } from './config-fields.js';

/** A server's name: one action-name segment, so `mcp.<server>.<tool>` splits at the first dot. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const server = z
  .object({
    name: z
      .string()
      .regex(NAME, 'must be letters, digits, `_`, `-` (no `.`)')
      .describe('names the server in action names (`mcp.<name>.<tool>`) and in tool names (`<name>.<tool>`)'),
    command: z
      .array(z.string().min(1))
      .min(1)
      .describe('the command that starts the server, speaking MCP on stdin/stdout, and its arguments'),
    env: z
      .record(z.string().regex(ENV_NAME, 'must be an environment variable name'), z.string())
      .optional()
      .describe(
        "environment variables for the server, on top of a minimal one (PATH, HOME, …); `${env:NAME}` reads the daemon's environment",
      ),
  })
  .strict();

/** The `mcp:` section of `agentos.yaml`. */
export const mcpConfigSchema = z
  .object({
    servers: z
      .array(server)
      .default([])
      .superRefine((list, ctx) => {
        const names = new Set<string>();
        list.forEach((s, i) => {
          if (names.has(s.name))
            ctx.addIssue({
              code: 'custom',
              message: `mcp server \`${s.name}\` is defined twice`,
              path: [i, 'name'],
            });
          names.add(s.name);
        });
      })
      .describe('the MCP servers the gateway federates; each name once'),
    approvalWait: durationSetting(
      '30s',
      'how long an MCP request waits for approval before it answers that the approval is pending',
    ),
  })
  .strict();

/** The MCP gateway's settings, validated. */
export type McpConfig = Readonly<z.infer<typeof mcpConfigSchema>>;

/** One federated server's settings. */
export type McpServerConfig = McpConfig['servers'][number];
