/**
 * The explanation of one decision: which documents were in scope, which rules matched and which did not
 * (and why), how the risk came to be, and why the final effect is what it is.
 */
import type { SourcePlace } from '../errors.js';
import type { ActionRequest, Decision, Effect, Facts, RiskLevel } from '../types.js';

/** One document and whether it applies to the agent. */
export interface DocumentTrace {
  readonly name: string;
  readonly file: string;
  /** The scope as written, e.g. `department: finance`. */
  readonly scope: string;
  readonly inScope: boolean;
}

/** One rule (or risk rule) and its outcome for this request. */
export interface RuleTrace {
  readonly rule: string;
  /** `allow`, `deny`, `require_approval`, or `risk:<level>` for a risk rule. */
  readonly effect: Effect | `risk:${RiskLevel}`;
  readonly place: SourcePlace;
  readonly outcome: 'matched' | 'not-matched' | 'error';
  /** Why it matched or did not: the first failing condition, or the error. */
  readonly why: string;
}

/** Everything `policy explain` shows. */
export interface Explanation {
  readonly request: ActionRequest;
  readonly contract: { readonly ok: boolean; readonly rule?: string; readonly reason?: string };
  /** What the classifiers derived; `risk` is absent when none speaks about the action. */
  readonly classification: {
    readonly facts: Facts;
    readonly risk?: RiskLevel | undefined;
    readonly resource: string;
  };
  readonly risk: RiskLevel;
  readonly documents: readonly DocumentTrace[];
  readonly riskRules: readonly RuleTrace[];
  readonly rules: readonly RuleTrace[];
  readonly decision: Decision;
}
