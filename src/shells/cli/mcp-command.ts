/**
 * `agentos mcp` (issue 5 §3): the stdio door of the MCP gateway. An MCP client (Claude Desktop, Claude
 * Code, VS Code, the SDK) runs it instead of the real server's command; it starts the server and governs
 * every call through the daemon with the agent's credential (docs/mcp.md). It writes nothing to stdout but
 * MCP; errors go to stderr before the session starts.
 */
import type { Command } from 'commander';
import { AgentOsError } from '../../kernel/errors.js';
import { parseDuration } from '../../kernel/policy/duration.js';
import { serverNameFor } from '../mcp/server-name.js';
import { runStdioWrapper } from '../mcp/stdio-wrapper.js';
import { DEFAULT_KERNEL_URL } from './client-commands.js';
import type { CliIo } from './io.js';

interface McpOpts {
  agent: string;
  name?: string;
  kernel?: string;
  approvalWait: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Adds `mcp`. */
export function addMcpCommand(program: Command, io: CliIo, _setExit: (code: number) => void): void {
  program
    .command('mcp')
    .description(
      'stand in for an MCP server over stdio: start it, and govern each of its calls as the agent (needs a daemon)',
    )
    .usage('--agent <id> [options] -- <server command...>')
    .requiredOption('--agent <id>', 'the agent whose calls these are (its credential in $AGENTOS_CREDENTIAL)')
    .option(
      '--name <server>',
      'the server’s name in action names, `mcp.<server>.<tool>` (default: from the command)',
    )
    .option('--kernel <url>', `the daemon's URL (default: $AGENTOS_URL or ${DEFAULT_KERNEL_URL})`)
    .option(
      '--approval-wait <duration>',
      'how long a call waits for approval before it answers that it is pending',
      '30s',
    )
    .argument('<command...>', 'the server command and its arguments, after `--`')
    .action(async (command: string[], opts: McpOpts) => {
      const url = (opts.kernel ?? (io.env.AGENTOS_URL || DEFAULT_KERNEL_URL)).replace(/\/+$/, '');
      if (!/^https?:\/\/[^/]/.test(url)) {
        throw new AgentOsError('AOS_USAGE', `kernel URL \`${url}\` is not an http:// or https:// URL`);
      }
      const credential = io.env.AGENTOS_CREDENTIAL;
      if (!credential) {
        throw new AgentOsError('AOS_USAGE', 'no agent credential: set `AGENTOS_CREDENTIAL`');
      }
      const name = opts.name ?? serverNameFor(command);
      if (!NAME.test(name)) {
        throw new AgentOsError('AOS_USAGE', `--name must be letters, digits, \`_\`, \`-\`, not \`${name}\``);
      }
      const waitMs = parseDuration(opts.approvalWait);
      if (waitMs === undefined) {
        throw new AgentOsError(
          'AOS_USAGE',
          `--approval-wait must be a duration like \`30s\`, not \`${opts.approvalWait}\``,
        );
      }
      await runStdioWrapper({
        agent: opts.agent,
        name,
        command,
        url,
        credential,
        waitMs,
        env: io.env,
        stdin: io.stdin,
        stdout: io.stdout,
      });
    });
}
