/**
 * Completes a `require_approval` decision with the people who will be asked (DESIGN §6), before it is
 * recorded: the decision names the first level's approvers, and an action no one can approve is denied
 * with the rule `approval.unroutable` and the router's reason. Used as the pipeline's `finalize` step.
 */
import { routeApproval, type ApprovalRoute } from '../kernel/approvals/route.js';
import type { Org } from '../kernel/org/model.js';
import type { ActionRequest, Decision } from '../kernel/types.js';

/** A decision with its route, when it needs approval and has one. */
export interface RoutedDecision {
  readonly decision: Decision;
  readonly route?: ApprovalRoute;
}

/** Routes a decision's approval under `org`; other decisions pass through unchanged. */
export function routeDecision(
  org: Org,
  request: ActionRequest,
  decision: Decision,
  requester?: string,
): RoutedDecision {
  if (decision.effect !== 'require_approval' || !decision.approval) return { decision };
  const agent = org.agents.get(request.agent);
  // INVARIANT: the contract check passed, so the agent exists; fail closed if that ever breaks.
  const routed = agent
    ? routeApproval(org, decision.approval, { agent, requester })
    : ({ ok: false, reason: `agent \`${request.agent}\` is not in the org` } as const);
  if (!routed.ok) {
    return {
      decision: {
        ...decision,
        effect: 'deny',
        rules: [...decision.rules, 'approval.unroutable'],
        reason: `${decision.reason}; but ${routed.reason}`,
        approvers: [],
      },
    };
  }
  return {
    decision: { ...decision, approvers: routed.route.levels[0]?.approvers ?? [] },
    route: routed.route,
  };
}
