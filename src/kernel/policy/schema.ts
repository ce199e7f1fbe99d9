/**
 * The policy language v1 as a zod schema: the *shape* of a document. Meaning (globs, matchers, paths,
 * durations, references) is checked by `compile.ts`, which knows where every value came from.
 */
import { z } from 'zod';
import { RISK_LEVELS } from '../types.js';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, `.`, `_` or `-`');

/** Where a document applies. `org: true` alone, or any of department/role/agent (all must hold). */
export const scopeSchema = z.union([
  z.strictObject({ org: z.literal(true) }),
  z
    .strictObject({ department: z.string().min(1), role: z.string().min(1), agent: z.string().min(1) })
    .partial()
    .refine(
      (s) => Object.keys(s).length > 0,
      'needs `org: true`, or one or more of `department`, `role`, `agent`',
    ),
]);

/** The approval block of a `require_approval` rule. */
export const approvalSchema = z.strictObject({
  route: z
    .string()
    .regex(/^(manager|department|role:[^\s]+)$/, 'must be `manager`, `department` or `role:<name>`'),
  levels: z.number().int().min(1).max(10).optional(),
  quorum: z.union([z.number().int().min(1), z.string()]).optional(),
  timeout: z.string().optional(),
});

/** One rule. */
export const ruleSchema = z.strictObject({
  id,
  effect: z.enum(['allow', 'deny', 'require_approval']),
  action: z.string().min(1).optional(),
  resource: z.string().min(1).optional(),
  when: z.record(z.string(), z.unknown()).optional(),
  reason: z.string().optional(),
  approval: approvalSchema.optional(),
  constraints: z.array(z.enum(['read_only', 'dry_run', 'redact'])).optional(),
});

/** One risk rule: raises the risk of matching actions to `level`. */
export const riskRuleSchema = z.strictObject({
  id: id.optional(),
  action: z.string().min(1).optional(),
  resource: z.string().min(1).optional(),
  when: z.record(z.string(), z.unknown()).optional(),
  level: z.enum(RISK_LEVELS),
  reason: z.string().optional(),
});

/** A policy document (`kind: Policy`). */
export const policySchema = z.strictObject({
  apiVersion: z.literal('agentos/v1'),
  kind: z.literal('Policy'),
  metadata: z.strictObject({
    name: id,
    description: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  scope: scopeSchema,
  rules: z.array(ruleSchema).default([]),
  risk: z.array(riskRuleSchema).default([]),
});

/** A policy document as written. */
export type PolicyDocumentData = z.infer<typeof policySchema>;
/** A rule as written. */
export type RuleData = z.infer<typeof ruleSchema>;
/** A risk rule as written. */
export type RiskRuleData = z.infer<typeof riskRuleSchema>;
/** A scope as written. */
export type ScopeData = z.infer<typeof scopeSchema>;
