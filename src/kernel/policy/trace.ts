/**
 * What `PolicyEngine.explain` collects while it decides: the documents in scope, each rule's outcome and
 * why. Kept apart from the decision path, which never builds these strings.
 */
import type { CompiledDocument, CompiledTarget } from './compile.js';
import type { DocumentTrace, Explanation, RuleTrace } from './explanation.js';
import type { EvalContext } from './paths.js';
import type { RiskLevel } from '../types.js';

/** The explanation under construction. */
export interface Collector {
  documents: DocumentTrace[];
  riskRules: RuleTrace[];
  rules: RuleTrace[];
  classification?: Explanation['classification'];
  contract?: Explanation['contract'];
  risk?: RiskLevel;
}

/** Records a rule's (or risk rule's) outcome. */
export function record(
  trace: Collector,
  rule: CompiledTarget,
  effect: RuleTrace['effect'],
  outcome: RuleTrace['outcome'],
  why: string,
): void {
  (effect.startsWith('risk:') ? trace.riskRules : trace.rules).push({
    rule: rule.key,
    effect,
    place: rule.place,
    outcome,
    why,
  });
}

/** Records every document and whether it applies. */
export function recordDocuments(
  trace: Collector,
  all: readonly CompiledDocument[],
  inScope: readonly CompiledDocument[],
): void {
  for (const d of all) {
    trace.documents.push({ name: d.name, file: d.file, scope: scopeText(d), inScope: inScope.includes(d) });
  }
}

/** Why a rule's resource pattern did not match. */
export function resourceMiss(ctx: EvalContext, rule: CompiledTarget): string {
  if (!ctx.resourceKnown) {
    return `the resource is unknown (unclassifiable, or with \`.\`/\`..\` segments), so \`${rule.resource}\` cannot allow it`;
  }
  if (ctx.resource === '') return `the request has no resource to match \`${rule.resource}\``;
  return `resource \`${ctx.resource}\` does not match \`${rule.resource}\``;
}

/** A document's scope as written, e.g. `department: finance`. */
function scopeText(d: CompiledDocument): string {
  const s = d.scope;
  if ('org' in s) return 'org';
  return Object.entries(s)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ');
}
