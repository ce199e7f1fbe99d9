/**
 * `agentos serve`, and the local administrative commands that work on the data directory (whoever can
 * read its keys is an administrator): `token create` and `agents credential`.
 */
import { Option, type Command } from 'commander';
import { parseRole } from '../../governor/auth.js';
import { AgentOsError } from '../../kernel/errors.js';
import { createAgentCredential, createPersonToken, startDaemon } from '../../root.js';
import { startDemo } from '../demo/serve-demo.js';
import { dataDir, dataOption } from './data-dir.js';
import { styleFor } from './style.js';
import type { CliIo } from './io.js';
import { write } from './io.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new AgentOsError('AOS_USAGE', `port \`${value}\` is not a number from 0 to 65535`);
  }
  return n;
}

interface ServeOptions {
  data?: string;
  host?: string;
  port?: number;
  org?: string;
  policies?: string;
  quiet?: boolean;
  demo?: boolean;
}

/** Where `serve --demo` builds its data directory by default. */
const DEMO_DATA = '.agentos-demo';

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignalled(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Adds `serve`, `token create` and `agents credential`. */
export function addDaemonCommands(program: Command, io: CliIo): void {
  dataOption(
    program
      .command('serve')
      .description('run the kernel daemon: the governed action API on HTTP (flags override agentos.yaml)'),
  )
    .option('--host <host>', 'the address to listen on (default from agentos.yaml: 127.0.0.1)')
    .addOption(
      new Option('--port <port>', 'the port (default from agentos.yaml: 7070; 0 picks a free one)').argParser(
        port,
      ),
    )
    .option('--org <file>', 'the organisation file (default from agentos.yaml)')
    .option('--policies <dir>', 'the policy directory (default from agentos.yaml)')
    .option('--quiet', 'no request log on stderr')
    .option(
      '--demo',
      `the onboarding demo: rebuilds the data directory (default ./${DEMO_DATA}) with the example org, starts the HR, IT and finance systems as executors and runs the demo agents`,
    )
    .action(async (opts: ServeOptions) => {
      const logger = opts.quiet || opts.demo ? false : { level: 'info', stream: io.stderr };
      const daemon = opts.demo
        ? await startDemo({
            dataDir: opts.data ?? DEMO_DATA,
            host: opts.host,
            port: opts.port,
            style: styleFor(io.stdout, io.env),
            say: (text) => io.stdout.write(`${text}\n`),
            logger,
          })
        : await startDaemon({
            dataDir: dataDir(opts, io.env),
            host: opts.host,
            port: opts.port,
            org: opts.org,
            policies: opts.policies,
            logger,
          });
      await write(io.stdout, `agentos: listening on ${daemon.url}\n`);
      if ('egressUrl' in daemon && daemon.egressUrl)
        await write(io.stdout, `agentos: egress proxy on ${daemon.egressUrl}\n`);
      await untilSignalled();
      await daemon.close();
      await write(io.stdout, 'agentos: stopped\n');
    });

  const token = program.command('token').description("people's API tokens (stored hashed; shown once)");
  dataOption(
    token
      .command('create')
      .description('create an API token for a person of the org and print it once')
      .requiredOption('--person <id>', 'the person (an id from the org)')
      .option('--role <role>', 'admin, approver, auditor or viewer', 'viewer')
      .option('--json', 'print `{ id, person, role, token }` as JSON'),
  ).action(async (opts: { data?: string; person: string; role: string; json?: boolean }) => {
    const role = parseRole(opts.role);
    const { id, secret } = await createPersonToken(dataDir(opts, io.env), opts.person, role);
    if (opts.json) {
      return write(io.stdout, `${JSON.stringify({ id, person: opts.person, role, token: secret })}\n`);
    }
    await write(io.stderr, `created token ${id} for ${opts.person} (${role}); it is shown once:\n`);
    await write(io.stdout, `${secret}\n`);
  });

  const agents = program.command('agents').description("agents' credentials");
  dataOption(
    agents
      .command('credential')
      .description('mint a credential for an agent and print it once')
      .argument('<agent>', 'the agent id')
      .option('--json', 'print `{ id, agent, credential }` as JSON'),
  ).action(async (agent: string, opts: { data?: string; json?: boolean }) => {
    const { id, secret } = await createAgentCredential(dataDir(opts, io.env), agent);
    if (opts.json) return write(io.stdout, `${JSON.stringify({ id, agent, credential: secret })}\n`);
    await write(io.stderr, `created credential ${id} for ${agent}; it is shown once:\n`);
    await write(io.stdout, `${secret}\n`);
  });
}
