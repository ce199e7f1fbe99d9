/**
 * The `agentos` command line: parses arguments, runs a command, maps errors to one line on stderr and
 * an exit code (docs/cli.md).
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { formatProblem, isAgentOsError } from '../../kernel/errors.js';
import { offlinePorts } from '../../root.js';
import { addAuditCommands } from './audit-commands.js';
import { addDemoCommand } from './demo-command.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import type { CliIo } from './io.js';
import { addApplyCommands, addClientCommands } from './client-commands.js';
import { addDaemonCommands } from './daemon-commands.js';
import { addHistoryCommands } from './history-commands.js';
import { addNodeCommands } from './node-commands.js';
import { addPolicyCommands } from './policy-commands.js';
import { addRunCommands } from './run-commands.js';
import { addMcpCommand } from './mcp-command.js';

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };

/** Runs the CLI with the given arguments (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const setExit = (code: number): void => {
    if (exitCode === EXIT.ok) exitCode = code;
  };
  const program = new Command('agentos')
    .description('Agent OS: the execution environment that governs AI agents')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 check failed, 2 usage, 3 invalid input, 4 I/O error, 5 not authenticated or not allowed, 6 the machine cannot enforce what the agent requires, 70 internal error (docs/cli.md).',
  );
  addPolicyCommands(program, io, offlinePorts, setExit);
  addDemoCommand(program, io, offlinePorts, setExit);
  addNodeCommands(program, io);
  addAuditCommands(program, io, setExit);
  addHistoryCommands(program, io);
  addDaemonCommands(program, io);
  addClientCommands(program, io);
  addApplyCommands(program, io);
  addRunCommands(program, io, setExit);
  addMcpCommand(program, io, setExit);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version "errors" are successes; commander has already printed the message
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isAgentOsError(e)) {
      const lines = e.problems.length > 0 ? e.problems.map(formatProblem) : [e.message];
      for (const line of lines) io.stderr.write(`agentos: ${line} [${e.code}]\n`);
      return exitCodeFor(e.code);
    }
    io.stderr.write(
      `agentos: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)} [AOS_INTERNAL]\n`,
    );
    return EXIT.internal;
  }
}

function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}
