/**
 * Policy tests (`*.test.yaml`): requests and the effect each must get, so policies are tested like code.
 *
 * ```yaml
 * org: ./org.yaml            # paths relative to the test file
 * policies: ./policies       # a directory, a file, or a list of them
 * cases:
 *   - name: no destructive sql
 *     request: { agent: dev-bot, action: sql.query, args: { sql: "drop table users" } }
 *     expect: { effect: deny, rule: destructive-sql }   # rule: must be among decision.rules
 * ```
 */
import { z } from 'zod';
import { AgentOsError } from '../errors.js';
import type { Problem, SourcePlace } from '../errors.js';
import { parseYamlSource, validateDocument } from '../source/yaml-source.js';
import type { ActionRequest, Decision } from '../types.js';
import { RISK_LEVELS } from '../types.js';
import { requestProblem } from './request.js';

const expectSchema = z.strictObject({
  effect: z.enum(['allow', 'deny', 'require_approval']),
  rule: z.string().min(1).optional(),
  rules: z.array(z.string().min(1)).optional(),
  risk: z.enum(RISK_LEVELS).optional(),
  constraints: z.array(z.string()).optional(),
  reason: z.string().optional(),
});

const testFileSchema = z.strictObject({
  org: z.string().min(1),
  policies: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  cases: z
    .array(z.strictObject({ name: z.string().min(1), request: z.unknown(), expect: expectSchema }))
    .min(1),
});

/** What a case expects of its decision. */
export type Expectation = z.infer<typeof expectSchema>;

/** One case of a test file. */
export interface PolicyTestCase {
  readonly name: string;
  readonly request: ActionRequest;
  readonly expect: Expectation;
  readonly place: SourcePlace;
}

/** A parsed test file; `org` and `policies` are as written (relative to the file). */
export interface PolicyTestFile {
  readonly file: string;
  readonly org: string;
  readonly policies: readonly string[];
  readonly cases: readonly PolicyTestCase[];
}

/** Parses a test file; throws `AOS_POLICY_TEST_INVALID` (or `AOS_YAML_SYNTAX`) with every problem. */
export function parsePolicyTestFile(text: string, file: string): PolicyTestFile {
  const parsed = parseYamlSource(text, file);
  if (parsed.problems.length > 0) throw AgentOsError.fromProblems('AOS_YAML_SYNTAX', parsed.problems);
  const doc = parsed.documents[0];
  if (!doc || parsed.documents.length > 1) {
    throw AgentOsError.fromProblems('AOS_POLICY_TEST_INVALID', [
      { message: 'a test file holds exactly one document', place: { file, line: 1, col: 1 } },
    ]);
  }
  const checked = validateDocument(doc, testFileSchema);
  if (!checked.ok) throw AgentOsError.fromProblems('AOS_POLICY_TEST_INVALID', checked.problems);
  const problems: Problem[] = [];
  const cases = checked.value.cases.map((c, i): PolicyTestCase => {
    const bad = requestProblem(c.request);
    if (bad !== undefined)
      problems.push({ message: `case \`${c.name}\`: ${bad}`, place: doc.placeOf(['cases', i, 'request']) });
    return {
      name: c.name,
      request: c.request as ActionRequest,
      expect: c.expect,
      place: doc.placeOf(['cases', i]),
    };
  });
  if (problems.length > 0) throw AgentOsError.fromProblems('AOS_POLICY_TEST_INVALID', problems);
  const policies = checked.value.policies;
  return {
    file,
    org: checked.value.org,
    policies: typeof policies === 'string' ? [policies] : policies,
    cases,
  };
}

/** Compares a decision with what a case expects; returns the mismatches (empty when it passes). */
export function checkExpectation(expect: Expectation, decision: Decision): string[] {
  const out: string[] = [];
  if (decision.effect !== expect.effect)
    out.push(`effect is \`${decision.effect}\`, expected \`${expect.effect}\``);
  for (const rule of [...(expect.rule === undefined ? [] : [expect.rule]), ...(expect.rules ?? [])]) {
    if (!decision.rules.some((r) => r === rule || r.endsWith('/' + rule))) {
      out.push(`rule \`${rule}\` is not among the decision's rules [${decision.rules.join(', ')}]`);
    }
  }
  if (expect.risk !== undefined && decision.risk !== expect.risk)
    out.push(`risk is \`${decision.risk}\`, expected \`${expect.risk}\``);
  for (const c of expect.constraints ?? []) {
    if (!(decision.constraints as readonly string[]).includes(c)) out.push(`constraint \`${c}\` is missing`);
  }
  if (expect.reason !== undefined && !decision.reason.includes(expect.reason)) {
    out.push(`reason \`${decision.reason}\` does not contain \`${expect.reason}\``);
  }
  return out;
}
