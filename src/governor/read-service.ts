/**
 * What the web console reads (issue 4 §8), for any API client: who the caller is, the agents and their
 * states, the org with the policies that apply where, the ledger and its verification, recent actions,
 * and a decision explained under the policy and org in force without recording or executing anything.
 * Every use case checks the caller's permission through `allow`, which records a refusal.
 */
import type { LedgerRecord, RecordType } from '../kernel/ledger/record.js';
import { verifyLedgerAsync, type VerifyOptions, type VerifyResult } from '../kernel/ledger/verify.js';
import type { Explanation } from '../kernel/policy/explanation.js';
import { parseActionRequest } from '../kernel/policy/request.js';
import { routeDecision } from './approval-routing.js';
import { permissionsOf, type Permission, type Principal } from './auth.js';
import type { Governance } from './governance.js';
import { agentViews, orgView, type AgentView, type OrgView } from './org-view.js';
import type { SignalBoard } from './signal-board.js';
import type { ActionStatus, DaemonStore } from './store.js';

/** Checks a permission and records a refusal (the action service's `allow`). */
export type AllowFn = (who: Principal, what: Permission, target?: { agent?: string }) => Promise<void>;

/** What the read service needs. */
export interface ReadServiceDeps {
  readonly store: Pick<DaemonStore, 'ledger' | 'actions'>;
  readonly governance: () => Governance;
  readonly board: SignalBoard;
  readonly allow: AllowFn;
  /** The node's own stream: the ledger's default. */
  readonly stream: string;
  /** The keys and hasher the full auditor verifies with (`agentos audit verify`). */
  readonly verify: VerifyOptions;
}

/** `GET /v1/me`. */
export interface MeView {
  readonly kind: Principal['kind'];
  readonly id: string;
  readonly role?: string;
  /** A person's name, or an agent's description, from the org. */
  readonly name?: string;
  readonly department?: string;
  readonly permissions: readonly Permission[];
}

/** A filter and page of `GET /v1/ledger`. */
export interface LedgerPageQuery {
  readonly stream?: string | undefined;
  readonly type?: RecordType | undefined;
  readonly agent?: string | undefined;
  readonly episode?: string | undefined;
  /** Only records after this `seq` (the previous page's `next`). */
  readonly after?: number | undefined;
  readonly limit: number;
}

/** One page of ledger records, oldest first. */
export interface LedgerPage {
  readonly stream: string;
  readonly records: readonly LedgerRecord[];
  /** The `after` of the next page, when this one was full. */
  readonly next?: number;
}

/** `POST /v1/explain`: a decision explained, with who would be asked to approve it. */
export interface ExplainView {
  readonly explanation: Explanation;
  /** The approval levels it would be routed to (when it needs approval and someone can give it). */
  readonly route?: {
    readonly levels: readonly { readonly approvers: readonly string[]; readonly quorum: number }[];
  };
  readonly versions: { readonly org: number; readonly policy: number };
}

/** The console's read use cases. */
export class ReadService {
  constructor(private readonly deps: ReadServiceDeps) {}

  /** Who the caller is; everyone authenticated may ask. */
  me(who: Principal): MeView {
    const org = this.deps.governance().engine.org;
    if (who.kind === 'agent') {
      const a = org.agents.get(who.id);
      return {
        kind: 'agent',
        id: who.id,
        ...(a?.description ? { name: a.description } : {}),
        ...(a ? { department: a.department } : {}),
        permissions: ['actions.submit', 'actions.read'],
      };
    }
    const p = org.people.get(who.id);
    return {
      kind: 'person',
      id: who.id,
      role: who.role,
      ...(p ? { name: p.name } : {}),
      ...(p?.department ? { department: p.department } : {}),
      permissions: permissionsOf(who.role),
    };
  }

  /** Every agent with its lifecycle state (`agents.read`). */
  async agents(who: Principal): Promise<AgentView[]> {
    await this.deps.allow(who, 'agents.read');
    return agentViews(this.deps.governance().engine.org, this.deps.board);
  }

  /** The org in force with the policies that apply where (`agents.read`). */
  async org(who: Principal): Promise<OrgView & { readonly version: number; readonly policy: number }> {
    await this.deps.allow(who, 'agents.read');
    const g = this.deps.governance();
    return { ...orgView(g.engine, this.deps.board), version: g.org.version, policy: g.policy.version };
  }

  /** A page of ledger records, oldest first (`ledger.read`). */
  async ledger(who: Principal, q: LedgerPageQuery): Promise<LedgerPage> {
    await this.deps.allow(who, 'ledger.read');
    const stream = q.stream ?? this.deps.stream;
    const records: LedgerRecord[] = [];
    for await (const r of this.deps.store.ledger.read({
      stream,
      fromSeq: (q.after ?? 0) + 1,
      type: q.type,
      agent: q.agent,
      episode: q.episode,
      limit: q.limit,
    })) {
      records.push(r);
    }
    const last = records[records.length - 1];
    return { stream, records, ...(records.length === q.limit && last ? { next: last.seq } : {}) };
  }

  /** Verifies every record as `agentos audit verify` does, with the node's keys (`ledger.read`). */
  async verify(who: Principal): Promise<VerifyResult> {
    await this.deps.allow(who, 'ledger.read');
    return verifyLedgerAsync(this.deps.store.ledger.read(), this.deps.verify);
  }

  /**
   * Decides and explains a request under the policy and org in force, and routes its approval, without
   * recording or executing anything (`agents.read`: people only).
   */
  async explain(who: Principal, input: unknown): Promise<ExplainView> {
    await this.deps.allow(who, 'agents.read');
    const request = parseActionRequest(input);
    const g = this.deps.governance();
    const explanation = g.engine.explain(request);
    const routed = routeDecision(g.engine.org, request, explanation.decision);
    return {
      explanation: { ...explanation, decision: routed.decision },
      ...(routed.route
        ? {
            route: {
              levels: routed.route.levels.map((l) => ({ approvers: [...l.approvers], quorum: l.quorum })),
            },
          }
        : {}),
      versions: { org: g.org.version, policy: g.policy.version },
    };
  }

  /** Actions in one status, oldest first, optionally of one agent (`actions.read`; an agent sees its own). */
  async actions(
    who: Principal,
    q: { status: ActionStatus; agent?: string | undefined; limit: number },
  ): Promise<{ actions: unknown[] }> {
    const agent = who.kind === 'agent' ? (q.agent ?? who.id) : q.agent;
    // an agent asking for another agent's actions is refused (and recorded) here
    await this.deps.allow(who, 'actions.read', agent === undefined ? {} : { agent });
    const stored = await this.deps.store.actions.withStatus(q.status, {
      ...(agent === undefined ? {} : { agent }),
      limit: q.limit,
    });
    return {
      actions: stored.map((a) => ({
        id: a.id,
        agent: a.agent,
        status: a.status,
        request: JSON.parse(a.request) as unknown,
        ...(a.decision ? { decision: JSON.parse(a.decision) as unknown } : {}),
        ...(a.approval ? { approval: a.approval } : {}),
        createdAt: a.createdAt,
        updatedAt: a.updatedAt,
      })),
    };
  }
}
