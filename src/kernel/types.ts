/**
 * The stable shapes of DESIGN §3: action requests, decisions and the facts classifiers derive.
 */

/** What a policy decides. */
export type Effect = 'allow' | 'deny' | 'require_approval';

/** Ordered risk levels, lowest first. */
export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;

/** How risky an action is, as classified and raised by policy. */
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Numeric rank of a risk level (low = 0 … critical = 3) for comparisons. */
export function riskRank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

/** The higher of two risk levels. */
export function maxRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return riskRank(a) >= riskRank(b) ? a : b;
}

/** An action an agent asks the kernel to perform (DESIGN §3). */
export interface ActionRequest {
  /** The acting agent's id. */
  readonly agent: string;
  /** Dotted action name: `file.read`, `sql.query`, `mcp.github.create_issue`, `payroll.update`. */
  readonly action: string;
  /** URI-like resource the action touches: a path, a URL, `employee/1042`. */
  readonly resource?: string | undefined;
  /** Action arguments. */
  readonly args?: Readonly<Record<string, unknown>> | undefined;
  /** The episode (task) this action belongs to. */
  readonly episode?: string | undefined;
  /** Free-form context (reason, ticket, …), recorded but not matched by policy in v1. */
  readonly context?: Readonly<Record<string, unknown>> | undefined;
}

/** Constraints that may ride along with an allow. */
export type Constraint = 'read_only' | 'dry_run' | 'redact';

/** How a `require_approval` decision is to be approved (consumed by the daemon's routing). */
export interface ApprovalSpec {
  /** `manager` (the owner's manager chain), `department` (nearest department approvers), or `role:<name>`. */
  readonly route: string;
  /** Levels up the manager chain, in order (default 1). */
  readonly levels: number;
  /** How many approvals are needed at each level (default 1). */
  readonly quorum: number;
  /** For `N of M` quorums: how many approvers are asked (M). */
  readonly of?: number | undefined;
  /** Milliseconds until an unanswered approval expires (and the action is denied). */
  readonly timeoutMs: number;
  /** The rule that asked for it (`policy/rule`). */
  readonly rule: string;
}

/** The kernel's answer to an ActionRequest (DESIGN §3). A value, never thrown. */
export interface Decision {
  readonly effect: Effect;
  /** The rules that made the effect what it is: `policy/rule`, or `contract.*` / `autonomy.*` / `rule-error`. */
  readonly rules: readonly string[];
  /** Human-readable reason for the effect. */
  readonly reason: string;
  readonly risk: RiskLevel;
  readonly constraints: readonly Constraint[];
  /** People who may approve (resolved by the daemon's routing; empty until then). */
  readonly approvers: readonly string[];
  /** How approval is to be sought, when the effect is `require_approval`. */
  readonly approval?: ApprovalSpec | undefined;
  readonly decisionId: string;
}

/** Facts a classifier derived from a request, keyed by dotted fact name (`sql.statements`, `url.host`). */
export type Facts = Readonly<Record<string, unknown>>;

/** What classification yields: facts policy can match, and a default risk. */
export interface Classification {
  readonly facts: Facts;
  /**
   * The classifier's default risk; absent when no classifier speaks about the action. Risk rules raise it;
   * an action nobody speaks about is `medium`.
   */
  readonly risk?: RiskLevel | undefined;
  /**
   * The normalised resource that policy resource globs must match, when the classifier derived one: the
   * normalised absolute path for `file.*`, the canonical URL for `http.*`. Absent: match the request's own.
   * `null`: the classifier could not establish it; the engine then treats the resource as unknown (it
   * matches every restricting resource pattern and no allowing one).
   */
  readonly resource?: string | null | undefined;
}
