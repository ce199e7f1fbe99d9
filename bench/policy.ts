/**
 * `npm run bench:policy`: decisions/s and p50/p99/p99.9 of the policy engine for 10, 100 and 1,000 rules with
 * 1k and 100k agents, Cedar (`@cedar-policy/cedar-wasm`) on the same policies in the same run, and the CLI's
 * NDJSON throughput. Writes bench/results/policy.{md,json}.
 *
 * Flags: `--quick` (short budgets, for trying the bench out; results are not written unless `--write`),
 * `--only=agentos,cedar,cli` (parts to run), `--rules=1000`, `--agents=100000` (rows to run), `--no-write`.
 */
import './lib/v8-flags.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UlidSource } from '../src/adapters/ids.js';
import { buildOrg } from '../src/kernel/org/build.js';
import type { Org } from '../src/kernel/org/model.js';
import { compilePolicies } from '../src/kernel/policy/compile.js';
import type { PolicySet } from '../src/kernel/policy/compile.js';
import { PolicyEngine } from '../src/kernel/policy/engine.js';
import type { ActionRequest, Decision } from '../src/kernel/types.js';
import { CedarBench, cedarVersion } from './lib/cedar.js';
import { benchCli, writeWorkspace } from './lib/cli.js';
import type { CliResult } from './lib/cli.js';
import { CounterIds, measureAgentOs, measureCedar, measureCedarFullStore } from './lib/engines.js';
import type { Budget } from './lib/engines.js';
import { machine } from './lib/machine.js';
import { generateOrg } from './lib/org.js';
import type { GeneratedOrg } from './lib/org.js';
import { generatePolicies } from './lib/policy-model.js';
import type { PolicyModel } from './lib/policy-model.js';
import { toYamlSources } from './lib/policy-text.js';
import { renderMarkdown, renderTable } from './lib/report.js';
import type { BenchResults, EffectMix, Row } from './lib/report.js';
import { generateRequests } from './lib/requests.js';
import { formatNs, formatRate, timerOverheadNs } from './lib/stats.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = new Set((argv.find((a) => a.startsWith('--only='))?.slice(7) ?? 'agentos,cedar,cli').split(','));
const write = argv.includes('--write') || (!quick && !argv.includes('--no-write'));

const listFlag = (name: string, all: readonly number[]): readonly number[] => {
  const v = argv.find((a) => a.startsWith(`--${name}=`));
  return v
    ? v
        .slice(name.length + 3)
        .split(',')
        .map(Number)
    : all;
};
const RULES = listFlag('rules', [10, 100, 1000]);
const AGENTS = listFlag('agents', [1000, 100_000]);
const REQUESTS = 1 << 17;
const AGREEMENT_SAMPLE = 20_000;
const CLI_LINES = quick ? 100_000 : 1_000_000;
const AGENTOS: Budget = quick
  ? { warmSeconds: 0.3, seconds: 0.5, latencySamples: 50_000, latencySeconds: 1 }
  : { warmSeconds: 1, seconds: 3, latencySamples: 300_000, latencySeconds: 5 };
const CEDAR: Budget = quick
  ? { warmSeconds: 0.2, seconds: 0.5, latencySamples: 20_000, latencySeconds: 0.5 }
  : { warmSeconds: 0.5, seconds: 2, latencySamples: 200_000, latencySeconds: 3 };
// The whole store crosses into WebAssembly on every call (seconds at 100k agents): a few timed calls only.
const CEDAR_FULL_SECONDS = quick ? 0.3 : 1;
const AGREEMENT_SECONDS = quick ? 1 : 4;

const progress = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);

const results: BenchResults = {
  machine: machine(),
  cedarVersion,
  quick,
  config: {
    requestsPerRow: REQUESTS,
    agentOsBudget: AGENTOS,
    cedarBudget: CEDAR,
    cedarFullStoreSeconds: CEDAR_FULL_SECONDS,
    agreementSample: AGREEMENT_SAMPLE,
    cliLines: CLI_LINES,
  },
  timerNs: timerOverheadNs(),
  orgs: [],
  policies: [],
  rows: [],
};
progress(`machine: ${results.machine.cpuModel}, ${results.machine.cpus} cpus, node ${results.machine.node}`);
progress(`timer overhead (hrtime.bigint pair, median): ${results.timerNs} ns`);

const orgs = new Map<number, { gen: GeneratedOrg; org: Org }>();
function orgFor(n: number): { gen: GeneratedOrg; org: Org } {
  let hit = orgs.get(n);
  if (hit) return hit;
  const gen = generateOrg(n);
  const t = performance.now();
  const org = buildOrg(gen.data);
  const buildMs = performance.now() - t;
  hit = { gen, org };
  orgs.set(n, hit);
  results.orgs.push({
    agents: n,
    departments: gen.data.departments?.length ?? 0,
    levels: Math.max(...gen.depthOf.values()) + 1,
    people: gen.data.people?.length ?? 0,
    buildMs,
  });
  progress(
    `org: ${n} agents, ${gen.data.departments?.length} departments, built (validated) in ${buildMs.toFixed(0)} ms`,
  );
  return hit;
}

const sets = new Map<number, { model: PolicyModel; set: PolicySet }>();
function setFor(r: number): { model: PolicyModel; set: PolicySet } {
  let hit = sets.get(r);
  if (hit) return hit;
  // policies name departments and roles only, which every org size shares
  const model = generatePolicies(r, orgFor(1000).gen);
  const sources = toYamlSources(model);
  const t = performance.now();
  const set = compilePolicies(sources);
  const compileMs = performance.now() - t;
  const count = set.documents.reduce((s, d) => s + d.rules.length, 0);
  if (count !== r) throw new Error(`generated ${count} rules, wanted ${r}`);
  hit = { model, set };
  sets.set(r, hit);
  const actionPatterns = new Set(model.docs.flatMap((d) => d.rules.map((x) => x.action))).size;
  results.policies.push({ rules: r, documents: set.documents.length, actionPatterns, compileMs });
  progress(
    `policies: ${r} rules in ${set.documents.length} documents, ${actionPatterns} distinct action patterns, compiled in ${compileMs.toFixed(0)} ms`,
  );
  return hit;
}

let cedarSeq = 0;
for (const r of only.has('agentos') || only.has('cedar') ? RULES : []) {
  for (const n of AGENTS) {
    const { model, set } = setFor(r);
    const { gen, org } = orgFor(n);
    const requests = generateRequests(REQUESTS, model, gen);
    const engine = new PolicyEngine(set, org, { ids: new CounterIds() });
    const decisions = requests.map((q) => engine.decide(q));
    const row: Row = { rules: r, agents: n, mix: mixOf(decisions) };
    if (only.has('agentos')) {
      progress(`agent os: ${r} rules × ${n} agents …`);
      row.agentos = measureAgentOs(engine, requests, AGENTOS, results.timerNs);
      progress(
        `  ${formatRate(row.agentos.throughput.perSecond)}, p50 ${formatNs(row.agentos.latency.p50)}, p99 ${formatNs(row.agentos.latency.p99)}`,
      );
    }
    if (only.has('cedar')) {
      const cedar = new CedarBench(model, gen, `bench-${cedarSeq++}`);
      let agreed = 0;
      let sample = 0;
      const disagreements: Row['disagreements'] = [];
      const agreeUntil = performance.now() + AGREEMENT_SECONDS * 1000;
      for (; sample < Math.min(AGREEMENT_SAMPLE, requests.length); sample++) {
        if (sample >= 1000 && performance.now() > agreeUntil) break;
        const a = (decisions[sample] as Decision).effect;
        const c = cedar.decide(requests[sample] as ActionRequest);
        if (a === c) agreed++;
        else if (disagreements.length < 5)
          disagreements.push({ request: requests[sample] as ActionRequest, agentos: a, cedar: c });
      }
      row.agreement = { sample, agreed, cedarErrors: cedar.errors };
      row.disagreements = disagreements;
      progress(`cedar: ${r} rules × ${n} agents (agreement ${agreed}/${sample}) …`);
      row.cedar = measureCedar(cedar, requests, CEDAR, results.timerNs);
      progress(
        `  ${formatRate(row.cedar.throughput.perSecond)}, p50 ${formatNs(row.cedar.latency.p50)}, p99 ${formatNs(row.cedar.latency.p99)}`,
      );
      const full = measureCedarFullStore(
        cedar,
        requests,
        n >= 100_000 ? 3 : 30,
        CEDAR_FULL_SECONDS,
        results.timerNs,
      );
      row.cedarFullStore = full.measured;
      let fullAgreed = 0;
      for (const [i, e] of full.effects.entries()) if (e === (decisions[i] as Decision).effect) fullAgreed++;
      row.cedarFullStoreAgreement = { sample: full.effects.length, agreed: fullAgreed };
      progress(
        `  full store: ${formatRate(row.cedarFullStore.throughput.perSecond)}, p50 ${formatNs(row.cedarFullStore.latency.p50)}`,
      );
    }
    if (only.has('agentos') && r === 1000 && n === 100_000) {
      progress('agent os with UlidSource ids: 1000 rules × 100000 agents …');
      const ulidEngine = new PolicyEngine(set, org, { ids: new UlidSource() });
      results.ulid = {
        rules: r,
        agents: n,
        ...measureAgentOs(ulidEngine, requests, AGENTOS, results.timerNs),
      };
      progress(
        `  ${formatRate(results.ulid.throughput.perSecond)}, p50 ${formatNs(results.ulid.latency.p50)}`,
      );
    }
    results.rows.push(row);
  }
}

if (only.has('cli')) {
  const { model, set } = setFor(1000);
  const small = orgFor(1000);
  const requests = generateRequests(1 << 16, model, small.gen);
  const engine = new PolicyEngine(set, small.org, { ids: new CounterIds() });
  const expected = requests.map((q) => engine.decide(q).effect);
  progress(`cli: writing ${CLI_LINES} requests (1000 rules, 1000 agents) …`);
  const ws = writeWorkspace(small.gen, toYamlSources(model), requests, CLI_LINES);
  try {
    const cli: CliResult = await benchCli(
      ws,
      CLI_LINES,
      (i) => expected[i % expected.length] ?? 'deny',
      progress,
    );
    results.cli = cli;
  } finally {
    rmSync(ws.dir, { recursive: true, force: true });
  }
}

results.loadAverageEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
process.stdout.write(renderTable(results) + '\n');
if (write) {
  const dir = path.resolve('bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'policy.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(dir, 'policy.md'), renderMarkdown(results));
  progress(`wrote ${path.join(dir, 'policy.md')} and policy.json`);
}

function mixOf(decisions: readonly Decision[]): EffectMix {
  const mix = { allow: 0, deny: 0, defaultDeny: 0, requireApproval: 0, autonomyApproval: 0 };
  for (const d of decisions) {
    if (d.effect === 'allow') mix.allow++;
    else if (d.effect === 'deny') {
      if (d.rules.length === 0) mix.defaultDeny++;
      else mix.deny++;
    } else if (d.rules.includes('autonomy.assisted')) mix.autonomyApproval++;
    else mix.requireApproval++;
  }
  return mix;
}
