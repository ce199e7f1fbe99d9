/**
 * `agentos policy lint|eval|explain|test`: offline policy commands (no daemon).
 */
import type { Command } from 'commander';
import { AgentOsError, formatProblem, isAgentOsError } from '../../kernel/errors.js';
import { workspace } from './workspace.js';
import type { PolicyPorts } from '../../governor/ports.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { write } from './io.js';
import { renderExplanation } from './render-explanation.js';
import { evalParallel } from './eval-parallel.js';
import { evalStream } from './eval-stream.js';
import type { EvalCounts } from './eval-stream.js';
import { openRequestInput, readRequests } from './request-input.js';
import { styleFor } from './style.js';

function parseJobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new AgentOsError('AOS_USAGE', `--jobs must be a whole number from 1 to 64, got \`${value}\``);
  }
  return n;
}

/** Sets the exit code of the running command. */
export type SetExit = (code: number) => void;

/** Adds the `policy` command group to a program. */
export function addPolicyCommands(
  program: Command,
  io: CliIo,
  ports: () => PolicyPorts,
  setExit: SetExit,
): void {
  const policy = program
    .command('policy')
    .description('lint, evaluate, explain and test policies (offline, no daemon)');

  policy
    .command('lint')
    .description('check policy files; print every problem as file:line:col: message')
    .argument('<paths...>', 'policy files or directories (searched for *.yaml, *.yml; *.test.yaml skipped)')
    .option('--org <file>', 'also check that scopes name departments, roles and agents of this org')
    .action(async (paths: string[], opts: { org?: string }) => {
      let problems;
      try {
        const { lintPolicies } = await workspace();
        problems = await lintPolicies(ports().reader, paths, opts.org);
      } catch (e) {
        if (!isAgentOsError(e) || e.problems.length === 0) throw e;
        problems = e.problems;
      }
      for (const p of problems) await write(io.stdout, formatProblem(p) + '\n');
      if (problems.length > 0) {
        await write(io.stderr, `${problems.length} problem${problems.length > 1 ? 's' : ''}\n`);
        setExit(EXIT.failed);
      } else await write(io.stdout, `ok: ${paths.join(', ')}\n`);
    });

  const decisionOptions = (c: Command): Command =>
    c
      .requiredOption('--org <file>', 'the organisation (org.yaml)')
      .requiredOption('--policies <paths...>', 'policy files or directories')
      .option('--request <file>', 'read the request(s) from a file instead of stdin');

  decisionOptions(
    policy
      .command('eval')
      .description(
        'decide requests: one JSON request → one Decision JSON; NDJSON in → one Decision per line, streamed',
      ),
  )
    .option(
      '--jobs <n>',
      'decide NDJSON on n worker threads (large inputs; output order is kept)',
      parseJobs,
      1,
    )
    .action(async (opts: { org: string; policies: string[]; request?: string; jobs: number }) => {
      const name = opts.request ?? 'stdin';
      const input = openRequestInput(opts.request, io.stdin);
      const serial = async (): Promise<EvalCounts> => {
        const { loadEngine } = await workspace();
        return evalStream(await loadEngine(ports(), opts.org, opts.policies), input, name, io.stdout);
      };
      const { count, invalid } =
        opts.jobs > 1
          ? await evalParallel({ org: opts.org, policies: opts.policies, name }, opts.jobs, input, io.stdout)
          : await serial();
      if (count === 0) {
        await write(io.stderr, `agentos: no request in ${name} [AOS_REQUEST_INVALID]\n`);
        setExit(EXIT.invalid);
      } else if (invalid > 0) {
        await write(
          io.stderr,
          `agentos: ${invalid} of ${count} request${count > 1 ? 's were' : ' was'} invalid [AOS_REQUEST_INVALID]\n`,
        );
        setExit(EXIT.invalid);
      }
    });

  decisionOptions(policy.command('explain').description('decide requests and explain each decision'))
    .option('--json', 'print each explanation as JSON (one per line)')
    .action(async (opts: { org: string; policies: string[]; request?: string; json?: boolean }) => {
      const { loadEngine } = await workspace();
      const engine = await loadEngine(ports(), opts.org, opts.policies);
      const style = styleFor(io.stdout, io.env);
      const name = opts.request ?? 'stdin';
      let first = true;
      let invalid = 0;
      for await (const item of readRequests(openRequestInput(opts.request, io.stdin), name)) {
        if ('error' in item) {
          invalid++;
          await write(io.stderr, `agentos: ${name}:${item.line}: ${item.error} [AOS_REQUEST_INVALID]\n`);
          continue;
        }
        const x = engine.explain(item.request);
        if (opts.json) await write(io.stdout, JSON.stringify(x) + '\n');
        else {
          await write(
            io.stdout,
            (first ? '' : '\n' + style.dim('─'.repeat(60)) + '\n\n') + renderExplanation(x, style) + '\n',
          );
        }
        first = false;
      }
      if (invalid > 0) setExit(EXIT.invalid);
    });

  policy
    .command('test')
    .description('run policy tests (*.test.yaml): each case is a request and the decision it must get')
    .argument('<paths...>', 'test files or directories (searched for *.test.yaml)')
    .option('-v, --verbose', 'list passing cases too')
    .option('--json', 'print the report as JSON')
    .action(async (paths: string[], opts: { verbose?: boolean; json?: boolean }) => {
      const style = styleFor(io.stdout, io.env);
      const lines: Promise<void>[] = [];
      const { runPolicyTests } = await workspace();
      const report = await runPolicyTests(ports(), paths, (r) => {
        if (opts.json) return;
        const where = `${r.place.file}:${r.place.line}:${r.place.col}`;
        if (r.passed) {
          if (opts.verbose)
            lines.push(write(io.stdout, `${style.green('✓')} ${r.name} ${style.dim(where)}\n`));
          return;
        }
        const detail = r.failures.map((f) => `    ${f}\n`).join('');
        const decision = `    decision: ${JSON.stringify({ effect: r.decision.effect, rules: r.decision.rules, risk: r.decision.risk, reason: r.decision.reason })}\n`;
        lines.push(write(io.stdout, `${style.red('✗')} ${r.name} ${style.dim(where)}\n${detail}${decision}`));
      });
      await Promise.all(lines);
      if (opts.json) await write(io.stdout, JSON.stringify(report) + '\n');
      else await write(io.stdout, `${report.passed} passed, ${report.failed} failed\n`);
      if (report.failed > 0) setExit(EXIT.failed);
    });
}
