/**
 * Commands that change a running system through the daemon's API (issue 4 §2): `approvals list|show|
 * approve|deny` and `signal`. The daemon is found by `--kernel <url>`, else `AGENTOS_URL`, else
 * http://127.0.0.1:7070; the caller's token comes from `--token`, else `AGENTOS_TOKEN`. They use the
 * client SDK, so the CLI speaks the API exactly as agents do.
 */
import type { Command } from 'commander';
import { AgentOsError, ERROR_CODES, type ErrorCode } from '../../kernel/errors.js';
import { AgentOsApiError, connect, type AgentOsClient, type SignalTarget } from '../../sdk/index.js';
import { readPolicySources } from '../../governor/policy-workspace.js';
import { offlinePorts } from '../../root.js';
import {
  agentTable,
  appliedLines,
  approvalCard,
  approvalTable,
  signalLine,
  voteLine,
} from './client-format.js';
import type { CliIo } from './io.js';
import { write } from './io.js';
import { styleFor } from './style.js';

/** Where the daemon is when neither `--kernel` nor `AGENTOS_URL` says. */
export const DEFAULT_KERNEL_URL = 'http://127.0.0.1:7070';

interface ClientOpts {
  kernel?: string;
  token?: string;
  json?: boolean;
}

const withClientOptions = (c: Command): Command =>
  c
    .option('--kernel <url>', `the daemon's URL (default: $AGENTOS_URL or ${DEFAULT_KERNEL_URL})`)
    .option('--token <token>', 'your API token (default: $AGENTOS_TOKEN)')
    .option('--json', 'print the answer as JSON');

function clientFor(opts: ClientOpts, io: CliIo): AgentOsClient {
  const url = opts.kernel ?? (io.env.AGENTOS_URL || DEFAULT_KERNEL_URL);
  if (!/^https?:\/\/[^/]/.test(url)) {
    throw new AgentOsError('AOS_USAGE', `kernel URL \`${url}\` is not an http:// or https:// URL`);
  }
  const token = opts.token ?? io.env.AGENTOS_TOKEN;
  if (!token) throw new AgentOsError('AOS_USAGE', 'no API token: pass `--token` or set `AGENTOS_TOKEN`');
  return connect({ url, credential: token });
}

/** Runs one call; the API's errors become the CLI's (same code, so the same exit code). */
async function api<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof AgentOsApiError)) throw e;
    if (e.code in ERROR_CODES) throw new AgentOsError(e.code as ErrorCode, e.message, { cause: e });
    throw new AgentOsError(
      'AOS_INTERNAL',
      `the kernel answered an unknown code \`${e.code}\`: ${e.message}`,
      {
        cause: e,
      },
    );
  }
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Adds `approvals` and `signal`. */
export function addClientCommands(program: Command, io: CliIo): void {
  const style = styleFor(io.stdout, io.env);
  const approvals = program
    .command('approvals')
    .description('list approvals and vote on them (needs a daemon)');

  withClientOptions(approvals.command('list').description('pending approvals, soonest to expire first'))
    .option('--mine', 'only those you are asked to vote on now')
    .action(async (opts: ClientOpts & { mine?: boolean }) => {
      const list = await api(() => clientFor(opts, io).approvals.list({ mine: opts.mine === true }));
      await write(io.stdout, opts.json ? json({ approvals: list }) : approvalTable(list, style));
    });

  const agents = program.commands.find((c) => c.name() === 'agents') ?? program.command('agents');
  withClientOptions(
    agents
      .command('list')
      .description('every agent with its state, owner, department and autonomy (needs a daemon)'),
  ).action(async (opts: ClientOpts) => {
    const list = await api(() => clientFor(opts, io).agents());
    await write(io.stdout, opts.json ? json({ agents: list }) : agentTable(list, style));
  });

  withClientOptions(approvals.command('show <id>').description('one approval, with its votes')).action(
    async (id: string, opts: ClientOpts) => {
      const a = await api(() => clientFor(opts, io).approvals.get(id));
      await write(io.stdout, opts.json ? json(a) : approvalCard(a, style));
    },
  );

  for (const verdict of ['approve', 'deny'] as const) {
    withClientOptions(
      approvals
        .command(`${verdict} <id>`)
        .description(verdict === 'approve' ? 'vote to approve' : 'vote to deny (one deny denies the action)'),
    )
      .option('--comment <text>', 'why (recorded with the vote)')
      .action(async (id: string, opts: ClientOpts & { comment?: string }) => {
        const client = clientFor(opts, io);
        const a = await api(() =>
          verdict === 'approve'
            ? client.approvals.approve(id, opts.comment)
            : client.approvals.deny(id, opts.comment),
        );
        await write(io.stdout, opts.json ? json(a) : voteLine(verdict, a, style));
      });
  }

  withClientOptions(
    program
      .command('signal <signal> [agent]')
      .description('stop, cont or kill an agent, a department or everything (needs a daemon)'),
  )
    .option('--department <id>', 'every agent of this department and those below it')
    .option('--all', 'every agent')
    .option('--reason <text>', 'why (recorded with the signal)')
    .action(
      async (
        signal: string,
        agent: string | undefined,
        opts: ClientOpts & { department?: string; all?: boolean; reason?: string },
      ) => {
        if (signal !== 'stop' && signal !== 'cont' && signal !== 'kill') {
          throw new AgentOsError(
            'AOS_USAGE',
            `signal \`${signal}\` is not one of \`stop\`, \`cont\`, \`kill\``,
          );
        }
        const target = signalTarget(agent, opts);
        const report = await api(() => clientFor(opts, io).signal(signal, target, opts.reason));
        const named = 'agent' in target ? target.agent : 'department' in target ? target.department : 'all';
        await write(io.stdout, opts.json ? json(report) : signalLine(signal, named, report, style));
      },
    );
}

/** Adds `org apply` and `policy apply` (the `policy` group exists already for the offline commands). */
export function addApplyCommands(program: Command, io: CliIo): void {
  const style = styleFor(io.stdout, io.env);
  const org = program.command('org').description('the organisation of a running daemon');
  withClientOptions(
    org
      .command('apply <org.yaml>')
      .description('show what changes, then put the org in force at once, recorded (needs a daemon; admin)'),
  )
    .option('--dry-run', 'only validate and show the changes')
    .action(async (file: string, opts: ClientOpts & { dryRun?: boolean }) => {
      const text = await offlinePorts().reader.read(file);
      const r = await api(() => clientFor(opts, io).applyOrg(text, { file, dryRun: opts.dryRun === true }));
      await write(io.stdout, opts.json ? json(r) : appliedLines('org', r, style));
    });
  const policy = program.commands.find((c) => c.name() === 'policy') ?? program.command('policy');
  withClientOptions(
    policy
      .command('apply <paths...>')
      .description('put the policy files under the paths in force at once, recorded (needs a daemon; admin)'),
  )
    .option('--dry-run', 'only validate')
    .option('--shadow', 'try the set without enforcing it: record where it would decide otherwise')
    .action(async (paths: string[], opts: ClientOpts & { dryRun?: boolean; shadow?: boolean }) => {
      const files = await readPolicySources(offlinePorts().reader, paths);
      if (files.length === 0) {
        // An empty policy set would deny every action of every agent: never by accident.
        throw new AgentOsError(
          'AOS_USAGE',
          `no policy files (\`*.yaml\`) under ${paths.map((p) => `\`${p}\``).join(', ')}`,
        );
      }
      const r = await api(() =>
        clientFor(opts, io).applyPolicies(files, {
          dryRun: opts.dryRun === true,
          shadow: opts.shadow === true,
        }),
      );
      await write(io.stdout, opts.json ? json(r) : appliedLines('policy', r, style));
    });
  withClientOptions(
    policy.command('clear-shadow').description('stop trying the shadow policy set (needs a daemon; admin)'),
  ).action(async (opts: ClientOpts) => {
    const r = await api(() => clientFor(opts, io).clearShadow());
    await write(
      io.stdout,
      opts.json ? json(r) : r.cleared ? 'shadow mode ended\n' : 'no shadow policy set was in force\n',
    );
  });
}

/** Exactly one of `<agent>`, `--department <id>`, `--all`. */
function signalTarget(agent: string | undefined, opts: { department?: string; all?: boolean }): SignalTarget {
  const given = [agent !== undefined, opts.department !== undefined, opts.all === true].filter(
    Boolean,
  ).length;
  if (given !== 1) {
    throw new AgentOsError('AOS_USAGE', 'name exactly one target: `<agent>`, `--department <id>` or `--all`');
  }
  if (agent !== undefined) return { agent };
  if (opts.department !== undefined) return { department: opts.department };
  return { all: true };
}
