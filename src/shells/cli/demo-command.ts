/**
 * `agentos demo`: the policy kernel at work on an example organisation: its policy tests, then a few
 * requests decided and explained. `npm start` runs it until the daemon exists.
 */
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { workspace } from './workspace.js';
import type { PolicyPorts } from '../../governor/ports.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { write } from './io.js';
import { renderExplanation } from './render-explanation.js';
import { openRequestInput, readRequests } from './request-input.js';
import type { SetExit } from './policy-commands.js';
import { styleFor } from './style.js';

const DEFAULT_DIR = fileURLToPath(new URL('../../../examples/onboarding', import.meta.url));

/** Adds `agentos demo`. */
export function addDemoCommand(
  program: Command,
  io: CliIo,
  ports: () => PolicyPorts,
  setExit: SetExit,
): void {
  program
    .command('demo')
    .description('show the policy kernel at work on an example organisation (default: examples/onboarding)')
    .argument(
      '[dir]',
      'example directory with org.yaml, policies/, tests/ and demo-requests.ndjson',
      DEFAULT_DIR,
    )
    .action(async (given: string) => {
      const dir = relative(process.cwd(), given) || '.';
      const s = styleFor(io.stdout, io.env);
      const p = ports();
      const orgFile = join(dir, 'org.yaml');
      const { loadEngine, runPolicyTests } = await workspace();
      const engine = await loadEngine(p, orgFile, [join(dir, 'policies')]);
      const org = engine.org;
      await write(io.stdout, `${s.bold('Agent OS')} — policy kernel demo: ${s.cyan(org.name)} (${dir})\n\n`);
      await write(
        io.stdout,
        `organisation: ${org.departments.size} departments, ${org.people.size} people, ${org.agents.size} agents; ` +
          `${engine.policies.documents.length} policy documents, ${engine.policies.documents.reduce((n, d) => n + d.rules.length, 0)} rules\n`,
      );
      for (const a of org.agents.values()) {
        await write(
          io.stdout,
          s.dim(`  ${a.id.padEnd(22)} ${a.department.padEnd(16)} owner ${a.owner}, autonomy ${a.autonomy}\n`),
        );
      }

      await write(io.stdout, `\n${s.bold('policy tests')} (${join(dir, 'tests')})\n`);
      const report = await runPolicyTests(p, [join(dir, 'tests')]);
      for (const r of report.results) {
        const mark = r.passed ? s.green('✓') : s.red('✗');
        await write(
          io.stdout,
          `  ${mark} ${r.name}${r.passed ? '' : s.red(' — ' + r.failures.join('; '))}\n`,
        );
      }
      await write(io.stdout, `${report.passed} passed, ${report.failed} failed\n`);
      if (report.failed > 0) setExit(EXIT.failed);

      await write(io.stdout, `\n${s.bold('decisions, explained')}\n`);
      const file = join(dir, 'demo-requests.ndjson');
      for await (const item of readRequests(openRequestInput(file, io.stdin), file)) {
        if ('error' in item) {
          await write(io.stderr, `agentos: ${file}:${item.line}: ${item.error} [AOS_REQUEST_INVALID]\n`);
          setExit(EXIT.invalid);
          continue;
        }
        await write(
          io.stdout,
          '\n' + s.dim('─'.repeat(72)) + '\n' + renderExplanation(engine.explain(item.request), s) + '\n',
        );
      }
      await write(
        io.stdout,
        `\nTry it yourself:\n` +
          `  ./bin/agentos.js policy explain --org ${orgFile} --policies ${join(dir, 'policies')} <<< '{"agent":"payroll-bot","action":"payroll.update","resource":"employee/1042","args":{"salary":150000}}'\n` +
          `  ./bin/agentos.js policy test ${join(dir, 'tests')}\n`,
      );
    });
}
