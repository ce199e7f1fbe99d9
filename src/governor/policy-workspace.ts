/**
 * Use cases over policy files on disk (no daemon): load, lint, build an engine, run policy tests.
 */
import { AgentOsError, isAgentOsError } from '../kernel/errors.js';
import type { Problem } from '../kernel/errors.js';
import type { Org } from '../kernel/org/model.js';
import { parseOrg } from '../kernel/org/load.js';
import { compilePolicies, scopeProblems } from '../kernel/policy/compile.js';
import type { PolicySet, PolicySource } from '../kernel/policy/compile.js';
import { PolicyEngine } from '../kernel/policy/engine.js';
import { checkExpectation, parsePolicyTestFile } from '../kernel/policy/test-file.js';
import type { Decision } from '../kernel/types.js';
import type { SourcePlace } from '../kernel/errors.js';
import type { PolicyPorts, SourceReader } from './ports.js';

/** Reads and validates an org file. */
export async function loadOrg(reader: SourceReader, file: string): Promise<Org> {
  return parseOrg(await reader.read(file), file);
}

/** Reads every policy file under the given paths (test files excluded). */
export async function readPolicySources(
  reader: SourceReader,
  paths: readonly string[],
): Promise<PolicySource[]> {
  const files = new Set<string>();
  for (const p of paths) for (const f of await reader.listYaml(p, { tests: false })) files.add(f);
  return Promise.all([...files].map(async (file) => ({ file, text: await reader.read(file) })));
}

/** Reads and compiles the policies under the given paths. */
export async function loadPolicySet(reader: SourceReader, paths: readonly string[]): Promise<PolicySet> {
  return compilePolicies(await readPolicySources(reader, paths));
}

/** Loads an org and policies and builds an engine over them. */
export async function loadEngine(
  ports: PolicyPorts,
  orgFile: string,
  policyPaths: readonly string[],
): Promise<PolicyEngine> {
  const [org, policies] = await Promise.all([
    loadOrg(ports.reader, orgFile),
    loadPolicySet(ports.reader, policyPaths),
  ]);
  return new PolicyEngine(policies, org, { ids: ports.ids });
}

/**
 * Lints policies: every problem of every file, and with an org, scopes naming what the org lacks.
 * Returns the problems (empty when clean); throws only for I/O and for an org file that is itself invalid.
 */
export async function lintPolicies(
  reader: SourceReader,
  paths: readonly string[],
  orgFile?: string,
): Promise<Problem[]> {
  const sources = await readPolicySources(reader, paths);
  let set: PolicySet;
  try {
    set = compilePolicies(sources);
  } catch (e) {
    if (isAgentOsError(e) && e.problems.length > 0) return [...e.problems];
    throw e;
  }
  if (orgFile === undefined) return [];
  return scopeProblems(set, await loadOrg(reader, orgFile));
}

/** The outcome of one policy test case. */
export interface CaseResult {
  readonly file: string;
  readonly name: string;
  readonly place: SourcePlace;
  readonly passed: boolean;
  readonly failures: readonly string[];
  readonly decision: Decision;
}

/** The outcome of a policy test run. */
export interface TestReport {
  readonly results: readonly CaseResult[];
  readonly passed: number;
  readonly failed: number;
}

/**
 * Runs the `*.test.yaml` files under the given paths. Each file's org and policies are loaded once
 * (and shared between files that name the same ones). Invalid test files, orgs or policies throw.
 */
export async function runPolicyTests(
  ports: PolicyPorts,
  paths: readonly string[],
  onResult?: (result: CaseResult) => void,
): Promise<TestReport> {
  const files: string[] = [];
  for (const p of paths) files.push(...(await ports.reader.listYaml(p, { tests: true })));
  if (files.length === 0) {
    throw new AgentOsError(
      'AOS_USAGE',
      `no policy tests (\`*.test.yaml\`) found in ${paths.map((p) => '`' + p + '`').join(', ')}`,
    );
  }
  const engines = new Map<string, Promise<PolicyEngine>>();
  const results: CaseResult[] = [];
  for (const file of files) {
    const test = parsePolicyTestFile(await ports.reader.read(file), file);
    const orgFile = ports.reader.resolveFrom(file, test.org);
    const policyPaths = test.policies.map((p) => ports.reader.resolveFrom(file, p));
    const key = JSON.stringify([orgFile, policyPaths]);
    let engine = engines.get(key);
    if (!engine) {
      engine = loadEngine(ports, orgFile, policyPaths);
      engines.set(key, engine);
    }
    const e = await engine;
    for (const c of test.cases) {
      const decision = e.decide(c.request);
      const failures = checkExpectation(c.expect, decision);
      const result: CaseResult = {
        file,
        name: c.name,
        place: c.place,
        passed: failures.length === 0,
        failures,
        decision,
      };
      results.push(result);
      onResult?.(result);
    }
  }
  const passed = results.filter((r) => r.passed).length;
  return { results, passed, failed: results.length - passed };
}
