/**
 * The organisation document (`kind: Organization`) as a zod schema: the *shape* of `org.yaml`.
 * Meaning (unique ids, references that resolve, no cycles) is checked by `validate.ts`, which reads the
 * same data and knows where each value sits.
 */
import { z } from 'zod';
import { RISK_LEVELS } from '../types.js';
import { ENFORCEMENT_LEVELS, parseSize } from './limits.js';
import { show } from '../source/yaml-source.js';

/**
 * Agent, department, role and organisation names: lower-case letters, digits, `.`, `_`, `-`, starting with a
 * letter or digit. They appear unquoted in policy scopes, in globs (`agent: payroll-*`), in URLs of the API
 * and console, and in `role:<name>` approval routes, so they must not need escaping anywhere; one case
 * means `Payroll-Bot` and `payroll-bot` can never be two agents that a human reads as one.
 */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Person ids are free-form (usually an e-mail address) but non-empty, without control characters and
 * without surrounding spaces: they are printed in one-line messages and ledger records, and
 * `dana@acme.test ` must not silently differ from `dana@acme.test`.
 */
export const PERSON_ID_PATTERN = /^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u;

const name = z.string().regex(NAME_PATTERN, {
  error: (iss) =>
    `must be lower-case letters, digits, \`.\`, \`_\` or \`-\`, starting with a letter or digit, got ${show(iss.input)}`,
});
const personId = z.string().regex(PERSON_ID_PATTERN, {
  error: (iss) =>
    `must be a non-empty id without control characters or surrounding spaces, got ${show(iss.input)}`,
});
const text = z.string().min(1, { error: 'must not be empty' });
// references are plain non-empty strings here: whether they resolve is validate.ts's job (one problem, not two)
const ref = text;

const size = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  const bytes = typeof v === 'number' ? v : parseSize(v);
  if (bytes === undefined || bytes <= 0) {
    ctx.addIssue({ code: 'custom', message: `must be a size like \`512MiB\` or \`1GiB\`, got ${show(v)}` });
    return z.NEVER;
  }
  return bytes;
});

/** Sandbox settings of a department or an agent (`limits.ts`). */
const sandboxSchema = z.strictObject({
  memory: size.optional(),
  pids: z.number().int().min(1).max(1_000_000).optional(),
  cpu: z.number().positive().max(1024).optional(),
  enforcement: z.enum(ENFORCEMENT_LEVELS).optional(),
});

/** Token budgets of a department (shared) or an agent (its own). */
const budgetSchema = z.strictObject({
  llmTokensPerDay: z.number().int().nonnegative().optional(),
});

/** One department. */
export const departmentSchema = z.strictObject({
  id: name,
  name: text,
  parent: ref.optional(),
  approvers: z.array(ref).default([]),
  description: z.string().optional(),
  sandbox: sandboxSchema.optional(),
  budget: budgetSchema.optional(),
});

/** One person. */
export const personSchema = z.strictObject({
  id: personId,
  name: text,
  department: ref.optional(),
  manager: ref.optional(),
  roles: z.array(name).default([]),
  active: z.boolean().default(true),
});

/** One agent. */
export const agentSchema = z.strictObject({
  id: name,
  owner: ref,
  department: ref,
  role: name.optional(),
  autonomy: z.literal([0, 1, 2, 3]),
  riskCeiling: z.enum(RISK_LEVELS).default('medium'),
  description: z.string().optional(),
  sandbox: sandboxSchema.optional(),
  budget: budgetSchema.optional(),
});

/** An organisation document (`kind: Organization`). */
export const orgSchema = z.strictObject({
  apiVersion: z.literal('agentos/v1'),
  kind: z.literal('Organization'),
  metadata: z.strictObject({
    name,
    description: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  departments: z.array(departmentSchema).default([]),
  people: z.array(personSchema).default([]),
  agents: z.array(agentSchema).default([]),
});

/** An organisation document as written, with defaults filled in. */
export type OrgDocument = z.infer<typeof orgSchema>;
