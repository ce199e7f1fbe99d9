/**
 * `agentos demo`: the kernel at work on an example organisation: its policy tests, then a few requests
 * governed end to end (decided, explained, recorded in a ledger, run by a simulated executor when allowed).
 * (`npm start` runs the daemon's demo, `agentos serve --demo`, instead.)
 */
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UlidSource } from '../../adapters/ids.js';
import type { ActionPipeline } from '../../governor/action-pipeline.js';
import type { PolicyPorts } from '../../governor/ports.js';
import type { PolicyEngine } from '../../kernel/policy/engine.js';
import { governNode, initDataDir, openNode } from '../../root.js';
import { DEMO_MARKER } from '../demo/serve-demo.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { write } from './io.js';
import type { SetExit } from './policy-commands.js';
import { renderExplanation } from './render-explanation.js';
import { openRequestInput, readRequests } from './request-input.js';
import { styleFor, type Style } from './style.js';
import { workspace } from './workspace.js';

const DEFAULT_DIR = fileURLToPath(new URL('../../../examples/onboarding', import.meta.url));
/** Where the demo records, so it never writes into a real node's `.agentos`. */
const DEMO_DATA = '.agentos-demo';

/** Adds `agentos demo`. */
export function addDemoCommand(
  program: Command,
  io: CliIo,
  ports: () => PolicyPorts,
  setExit: SetExit,
): void {
  program
    .command('demo')
    .description(
      'govern an example organisation end to end: policy tests, then requests decided, explained and recorded',
    )
    .argument(
      '[dir]',
      'example directory with org.yaml, policies/, tests/ and demo-requests.ndjson',
      DEFAULT_DIR,
    )
    .option('--data <dir>', 'the data directory the demo records into (created when missing)', DEMO_DATA)
    .action(async (given: string, opts: { data: string }) => {
      const dir = relative(process.cwd(), given) || '.';
      const s = styleFor(io.stdout, io.env);
      await initDataDir(opts.data);
      // Marks the directory as the demo's, so `serve --demo` may rebuild it.
      await writeFile(join(opts.data, DEMO_MARKER), JSON.stringify({ madeBy: 'agentos demo' }) + '\n');
      const node = await openNode(opts.data);
      try {
        const orgFile = join(dir, 'org.yaml');
        const { governance, pipeline } = await governNode(node, orgFile, [join(dir, 'policies')]);
        await describeOrg(governance.engine, dir, s);
        await policyTests(ports(), dir, s);
        const shown = await governRequests(pipeline, governance.engine, dir, s);
        await write(io.stdout, tryIt(dir, orgFile, opts.data, shown));
      } finally {
        await node.close();
      }
    });

  async function describeOrg(engine: PolicyEngine, dir: string, s: Style): Promise<void> {
    const org = engine.org;
    const docs = engine.policies.documents;
    await write(io.stdout, `${s.bold('Agent OS')} — kernel demo: ${s.cyan(org.name)} (${dir})\n\n`);
    await write(
      io.stdout,
      `organisation: ${org.departments.size} departments, ${org.people.size} people, ${org.agents.size} agents; ` +
        `${docs.length} policy documents, ${docs.reduce((n, d) => n + d.rules.length, 0)} rules\n`,
    );
    for (const a of org.agents.values()) {
      await write(
        io.stdout,
        s.dim(`  ${a.id.padEnd(22)} ${a.department.padEnd(16)} owner ${a.owner}, autonomy ${a.autonomy}\n`),
      );
    }
  }

  async function policyTests(p: PolicyPorts, dir: string, s: Style): Promise<void> {
    await write(io.stdout, `\n${s.bold('policy tests')} (${join(dir, 'tests')})\n`);
    const { runPolicyTests } = await workspace();
    const report = await runPolicyTests(p, [join(dir, 'tests')]);
    for (const r of report.results) {
      const mark = r.passed ? s.green('✓') : s.red('✗');
      await write(io.stdout, `  ${mark} ${r.name}${r.passed ? '' : s.red(' — ' + r.failures.join('; '))}\n`);
    }
    await write(io.stdout, `${report.passed} passed, ${report.failed} failed\n`);
    if (report.failed > 0) setExit(EXIT.failed);
  }

  /** Runs each demo request through the pipeline, one episode per agent; returns what to try next. */
  async function governRequests(
    pipeline: ActionPipeline,
    engine: PolicyEngine,
    dir: string,
    s: Style,
  ): Promise<{ episode?: string; decided?: string }> {
    await write(io.stdout, `\n${s.bold('requests, governed')} (executor: simulated)\n`);
    const ids = new UlidSource();
    const episodes = new Map<string, string>();
    const shown: { episode?: string; decided?: string } = {};
    const file = join(dir, 'demo-requests.ndjson');
    for await (const item of readRequests(openRequestInput(file, io.stdin), file)) {
      if ('error' in item) {
        await write(io.stderr, `agentos: ${file}:${item.line}: ${item.error} [AOS_REQUEST_INVALID]\n`);
        setExit(EXIT.invalid);
        continue;
      }
      const agent = item.request.agent;
      const episode = episodes.get(agent) ?? ids.next('ep');
      episodes.set(agent, episode);
      const request = { ...item.request, episode: item.request.episode ?? episode };
      const result = await pipeline.run(request, 'demo', () => Promise.resolve({ simulated: true }));
      const where = result.records
        ? `recorded ${result.records.requested}, ${result.records.decided}`
        : 'NOT recorded';
      shown.episode ??= request.episode;
      if (result.records && result.decision.effect !== 'allow') shown.decided ??= result.records.decided;
      await write(
        io.stdout,
        '\n' +
          s.dim('─'.repeat(72)) +
          '\n' +
          renderExplanation(engine.explain(request), s) +
          '\n' +
          `${s.bold('status')}    ${result.status} ${s.dim(`(${result.id}; ${where}; episode ${request.episode})`)}\n`,
      );
    }
    return shown;
  }
}

function tryIt(
  dir: string,
  orgFile: string,
  data: string,
  shown: { episode?: string; decided?: string },
): string {
  const lines = [
    `\nEverything above is in the ledger under ${data}. Try:`,
    `  ./bin/agentos.js audit verify --data ${data}`,
    `  ./bin/agentos.js audit tail --data ${data}`,
  ];
  if (shown.episode) lines.push(`  ./bin/agentos.js episode show ${shown.episode} --data ${data}`);
  if (shown.decided) lines.push(`  ./bin/agentos.js explain ${shown.decided} --now --data ${data}`);
  lines.push(
    `  ./bin/agentos.js policy explain --org ${orgFile} --policies ${join(dir, 'policies')} <<< '{"agent":"payroll-bot","action":"payroll.update","resource":"employee/1042","args":{"salary":150000}}'`,
    `  ./bin/agentos.js policy test ${join(dir, 'tests')}`,
    '',
  );
  return lines.join('\n');
}
