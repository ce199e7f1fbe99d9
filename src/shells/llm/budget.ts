/**
 * Daily token budgets (issue 5 §4): how many model tokens each agent and each department has spent this UTC
 * day. The gateway checks every budget `budgetsOf` gives before a call and adds the call's usage after it.
 *
 * The counts live in memory. They are recoverable: the ledger holds every call's usage (the `llm.chat`
 * outcome), and `seed` replays today's `action.completed` records of the gateway at start. A department's
 * count is the sum of what the agents under it spent, under the org in force when the tokens were spent
 * (or, when seeding, the org in force at start).
 */
import { AgentOsError } from '../../kernel/errors.js';
import type { LedgerRecord } from '../../kernel/ledger/record.js';
import { budgetsOf } from '../../kernel/org/limits.js';
import type { Org } from '../../kernel/org/model.js';
import type { Clock } from '../../kernel/ports.js';

/** The executor name the gateway's records carry (`mediate` prefixes the gateway name). */
export const LLM_EXECUTOR = 'gateway:llm';

/** `YYYY-MM-DD` of a time, in UTC. */
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Tokens spent per agent and per department, today (UTC). */
export class TokenLedger {
  private day: string;
  private readonly spent = new Map<string, number>();

  constructor(private readonly clock: Clock) {
    this.day = dayOf(clock.now());
  }

  /** Tokens spent today by an agent (`scope: agent`) or by everyone under a department. */
  spentToday(scope: 'agent' | 'department', id: string): number {
    this.roll();
    return this.spent.get(`${scope}:${id}`) ?? 0;
  }

  /**
   * Throws `AOS_BUDGET_EXCEEDED` when any budget the agent spends against is already used up today.
   * INVARIANT: the check is "already spent", not "would spend": a call's size is known only once it has
   * run, so one call may end above the budget; every call after it is refused.
   */
  check(org: Org, agent: string): void {
    for (const b of budgetsOf(org, agent)) {
      const used = this.spentToday(b.scope, b.id);
      if (used >= b.llmTokensPerDay) {
        const whose = b.scope === 'agent' ? `agent \`${b.id}\`` : `department \`${b.id}\``;
        throw new AgentOsError(
          'AOS_BUDGET_EXCEEDED',
          `${whose} has spent ${used} of its ${b.llmTokensPerDay} model tokens today (UTC)`,
        );
      }
    }
  }

  /** Adds `tokens` spent by `agent` now: to the agent and to every department up its tree. */
  add(org: Org, agent: string, tokens: number): void {
    this.roll();
    this.bump(`agent:${agent}`, tokens);
    const a = org.agents.get(agent);
    for (const d of a ? org.ancestry(a.department) : []) this.bump(`department:${d}`, tokens);
  }

  /**
   * Rebuilds today's counts from ledger records (a daemon's start): every `action.completed` of the gateway
   * since today's UTC midnight adds its `outcome.usage.total_tokens`. Other records are skipped.
   */
  async seed(org: Org, records: AsyncIterable<LedgerRecord>): Promise<void> {
    this.roll();
    for await (const r of records) {
      if (r.type !== 'action.completed' || r.time.slice(0, 10) !== this.day) continue;
      const body = r.body as { agent?: unknown; executor?: unknown; outcome?: unknown };
      if (body.executor !== LLM_EXECUTOR || typeof body.agent !== 'string') continue;
      const total = (body.outcome as { usage?: { total_tokens?: unknown } } | null)?.usage?.total_tokens;
      if (typeof total === 'number' && Number.isFinite(total) && total > 0) this.add(org, body.agent, total);
    }
  }

  /** The ISO time today's counts started at (what `seed` should read records `since`). */
  get since(): string {
    this.roll();
    return `${this.day}T00:00:00.000Z`;
  }

  private bump(key: string, tokens: number): void {
    this.spent.set(key, (this.spent.get(key) ?? 0) + tokens);
  }

  /** A new UTC day starts every count at zero. */
  private roll(): void {
    const today = dayOf(this.clock.now());
    if (today !== this.day) {
      this.day = today;
      this.spent.clear();
    }
  }
}
