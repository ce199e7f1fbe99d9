/**
 * The shapes the kernel's HTTP API speaks (docs/api.md), as the SDK sees them. Declared here rather than
 * imported from the daemon so the SDK depends on the wire format only.
 */
import type { ActionRequest, Decision, RiskLevel } from '../kernel/types.js';

export type { ActionRequest, Decision, Effect, RiskLevel } from '../kernel/types.js';

/**
 * A JSON value (what an outcome may be).
 *
 * @example
 * ```ts
 * const outcome: JsonValue = { updated: true, rows: [1042] };
 * ```
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * An action to submit. `agent` defaults to the agent given to `connect`.
 *
 * @example
 * ```ts
 * const request: ActionInput = { action: 'payroll.update', resource: 'employee/1042', args: { salary: 90_000 } };
 * ```
 */
export type ActionInput = Omit<ActionRequest, 'agent'> & { readonly agent?: string | undefined };

/**
 * The approval an action waits on (or waited on): who is asked now and until when.
 *
 * @example
 * ```ts
 * if (view.approval) console.log(`asked ${view.approval.approvers.join(', ')} until ${view.approval.expiresAt}`);
 * ```
 */
export interface ApprovalRef {
  readonly id: string;
  /** `pending`, or how it ended: `granted`, `denied` (by a person, or because the agent was killed) or `expired`. */
  readonly status: 'pending' | 'granted' | 'denied' | 'expired';
  readonly approvers: readonly string[];
  readonly expiresAt: string;
}

/**
 * What a failed tool reported.
 *
 * @example
 * ```ts
 * const failure: ReportedError = { code: 'TIMEOUT', message: 'the payroll system did not answer' };
 * ```
 */
export interface ReportedError {
  readonly code: string;
  readonly message: string;
}

interface ActionBase {
  readonly id: string;
  /** The kernel's executor that runs this action (HTTP executors); absent in report mode. */
  readonly executor?: string | undefined;
  readonly approval?: ApprovalRef | undefined;
}

/**
 * An action as the kernel shows it, discriminated on `status`:
 * `held` (its agent is stopped) and `pending_approval` wait; `allowed` may run now (report mode: the agent
 * runs the tool and reports the outcome) or, when it names an `executor`, is being run by the kernel;
 * `denied` may not; `executed` and `failed` ended (reported by the agent, or by the kernel's executor).
 *
 * @example
 * ```ts
 * switch (view.status) {
 *   case 'allowed': return run();
 *   case 'denied': return explain(view.decision.reason);
 *   case 'pending_approval': return wait(view.approval.approvers);
 * }
 * ```
 */
export type ActionView =
  | (ActionBase & { readonly status: 'held'; readonly decision?: undefined })
  | (ActionBase & {
      readonly status: 'pending_approval';
      readonly decision: Decision;
      readonly approval: ApprovalRef;
    })
  | (ActionBase & { readonly status: 'allowed'; readonly decision: Decision })
  | (ActionBase & { readonly status: 'denied'; readonly decision: Decision })
  | (ActionBase & { readonly status: 'executed'; readonly decision: Decision; readonly outcome: JsonValue })
  | (ActionBase & {
      readonly status: 'failed';
      readonly decision: Decision;
      readonly outcome: ReportedError;
    });

/**
 * An action's status.
 *
 * @example
 * ```ts
 * const waiting: ActionStatus[] = ['held', 'pending_approval'];
 * ```
 */
export type ActionStatus = ActionView['status'];

/**
 * An action that no longer waits: what `execute` resolves with.
 *
 * @example
 * ```ts
 * const result: ActionResult = await client.execute(request);
 * if (result.status === 'denied') console.log(result.decision.reason);
 * ```
 */
export type ActionResult = Exclude<ActionView, { status: 'held' | 'pending_approval' }>;

/**
 * A denied action.
 *
 * @example
 * ```ts
 * const denied = result.status === 'denied' ? (result satisfies DeniedAction) : undefined;
 * ```
 */
export type DeniedAction = Extract<ActionView, { status: 'denied' }>;

/**
 * One vote on an approval.
 *
 * @example
 * ```ts
 * for (const v of approval.votes) console.log(`${v.person} ${v.verdict}d at level ${v.level}`);
 * ```
 */
export interface Vote {
  readonly person: string;
  readonly verdict: 'approve' | 'deny';
  /** 1-based. */
  readonly level: number;
  readonly time: string;
  readonly comment?: string | undefined;
}

/**
 * An approval as the kernel shows it: who is asked now (`approvers`), at which `level` of `levels`, until
 * when, and the votes cast so far.
 *
 * @example
 * ```ts
 * const approval: Approval = await operator.approvals.get('apr_01J…');
 * console.log(`${approval.status}, level ${approval.level} of ${approval.levels}`);
 * ```
 */
export interface Approval {
  readonly id: string;
  /** The action's id (`act_…`). */
  readonly action: string;
  readonly agent: string;
  readonly status: 'pending' | 'granted' | 'denied' | 'expired';
  readonly approvers: readonly string[];
  readonly level: number;
  readonly levels: number;
  /** How many approvals the current level needs of its `approvers` (while pending). */
  readonly quorum?: number | undefined;
  readonly expiresAt: string;
  readonly votes: readonly Vote[];
  /** The request it approves (the exact one its votes are bound to). */
  readonly request?: ActionRequest | undefined;
  /** The decision that asked for approval, and why. */
  readonly decision?: Decision | undefined;
}

/**
 * A signal: `stop` holds new actions, `cont` clears a stop, `kill` refuses everything.
 *
 * @example
 * ```ts
 * const signal: SignalName = 'stop';
 * ```
 */
export type SignalName = 'stop' | 'cont' | 'kill';

/**
 * Whom a signal reaches: one agent, a department (and every department below it), or everything.
 *
 * @example
 * ```ts
 * const target: SignalTarget = { department: 'finance' };
 * ```
 */
export type SignalTarget =
  { readonly agent: string } | { readonly department: string } | { readonly all: true };

/**
 * A signal standing on an agent, a department or everything.
 *
 * @example
 * ```ts
 * if (report.standing?.signal === 'stop') console.log(`stopped by ${report.standing.by}`);
 * ```
 */
export interface StandingSignal {
  readonly scope: 'agent' | 'department' | 'all';
  /** The agent or department id; `*` for everything. */
  readonly target: string;
  readonly signal: 'stop' | 'kill';
  readonly reason?: string | undefined;
  readonly by: string;
  readonly time: string;
}

/**
 * What sending a signal did.
 *
 * @example
 * ```ts
 * const report = await operator.signal('stop', { agent: 'payroll-bot' });
 * console.log(`${report.agents.length} agents stopped (record ${report.record})`);
 * ```
 */
export interface SignalReport {
  /** The ledger record, `<stream>/<seq>`. */
  readonly record: string;
  /** What stands on the target afterwards. */
  readonly standing?: StandingSignal | undefined;
  /** The agents it reaches. */
  readonly agents: readonly string[];
  /** Credentials revoked (kill). */
  readonly revoked: number;
  /** Held actions decided again (cont, kill). */
  readonly released: number;
}

/** One change between two versions of the org. */
export interface OrgChange {
  readonly kind: 'department' | 'person' | 'agent';
  readonly id: string;
  readonly change: 'added' | 'removed' | 'changed';
  /** For `changed`: `field: before → after`, one per field. */
  readonly fields: readonly string[];
}

/** A version in force: its number and content hash. */
export interface VersionRef {
  readonly version: number;
  readonly hash: string;
}

/**
 * What putting an org in force did (or, dry, would do).
 *
 * @example
 * ```ts
 * const r = await admin.applyOrg(text, { dryRun: true });
 * for (const c of r.changes) console.log(c.change, c.kind, c.id, c.fields.join('; '));
 * ```
 */
export interface OrgApplied {
  readonly changes: readonly OrgChange[];
  readonly applied: boolean;
  readonly version: VersionRef;
}

/**
 * What putting a policy set in force did (or, dry, would do).
 *
 * @example
 * ```ts
 * const r = await admin.applyPolicies([{ file: 'finance.yaml', text }]);
 * console.log(`policy v${r.version.version}: ${r.documents} documents, ${r.rules} rules`);
 * ```
 */
export interface PoliciesApplied {
  readonly documents: number;
  readonly rules: number;
  readonly applied: boolean;
  /** The enforced version (a shadow apply leaves it as it was). */
  readonly version: VersionRef;
  /** The hash of the shadow set tried alongside, when there is one. */
  readonly shadow?: string | undefined;
}

/**
 * An agent as the kernel sees it now: where it sits, whom it answers to, and whether it may act.
 *
 * @example
 * ```ts
 * for (const a of await operator.agents()) if (a.state !== 'active') console.log(`${a.id}: ${a.reason}`);
 * ```
 */
export interface AgentState {
  readonly id: string;
  readonly description?: string | undefined;
  readonly owner: string;
  readonly department: string;
  readonly role?: string | undefined;
  readonly autonomy: number;
  readonly riskCeiling: RiskLevel;
  /** `stopped` and `killed` from a standing signal; `suspended` when its contract fails (its owner left). */
  readonly state: 'active' | 'stopped' | 'suspended' | 'killed';
  /** Why it is in that state. */
  readonly reason?: string | undefined;
  readonly signal?: StandingSignal | undefined;
  readonly contractRule?: string | undefined;
}
