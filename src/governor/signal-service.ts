/**
 * Signals (DESIGN §6, issue 4 §5): `stop` holds an agent's new actions until `cont`; `kill` refuses
 * everything, revokes its credentials and cancels its pending approvals. They apply to one agent, a
 * department (and every department below it) or everything; each is recorded, then persisted, then
 * in force. Freezing and killing sandboxed processes arrives with the mediation issue, through `onSignal`.
 */
import { AgentOsError } from '../kernel/errors.js';
import type { JsonValue, LedgerRecord } from '../kernel/ledger/record.js';
import type { Org } from '../kernel/org/model.js';
import type { Clock } from '../kernel/ports.js';
import type { DurableAppender } from './action-pipeline.js';
import type { ActionService } from './action-service.js';
import type { Principal } from './auth.js';
import type { Governance } from './governance.js';
import { signalKey } from './signal-board.js';
import type { DaemonStore, SignalScope, StandingSignal } from './store.js';

/** A signal someone sends. */
export type SignalName = 'stop' | 'cont' | 'kill';

/** What sending a signal did. */
export interface SignalReport {
  readonly record: string;
  /** What stands on the target afterwards. */
  readonly standing?: StandingSignal;
  /** The agents it reaches under the org now. */
  readonly agents: readonly string[];
  /** Credentials revoked (kill). */
  readonly revoked: number;
  /** Held actions decided again (cont, kill). */
  readonly released: number;
}

/** What the signal service needs. */
export interface SignalServiceDeps {
  readonly store: DaemonStore;
  readonly ledger: DurableAppender;
  readonly clock: Clock;
  readonly governance: () => Governance;
  /** The board the action service reads; this service keeps it in step with the store. */
  readonly board: Map<string, StandingSignal>;
  readonly actions: ActionService;
  /** Called after a signal is in force (the supervisor freezes, thaws or kills sandboxes here). */
  readonly onSignal?: (signal: SignalName, agents: readonly string[]) => Promise<void>;
}

/** Sends signals. */
export class SignalService {
  constructor(private readonly deps: SignalServiceDeps) {}

  /** Sends `signal` to an agent, a department or `all` (target `*`). */
  async send(
    who: Principal,
    signal: SignalName,
    scope: SignalScope,
    target: string,
    reason?: string,
  ): Promise<SignalReport> {
    const org = this.deps.governance().engine.org;
    if (scope === 'agent') {
      if (!org.agents.has(target))
        throw new AgentOsError('AOS_NOT_FOUND', `no agent \`${target}\` in the org`);
      await this.deps.actions.allow(who, 'agents.signal', { agent: target });
    } else {
      if (scope === 'department' && !org.departments.has(target)) {
        throw new AgentOsError('AOS_NOT_FOUND', `no department \`${target}\` in the org`);
      }
      if (scope === 'all') target = '*';
      await this.deps.actions.allow(who, 'departments.signal');
    }
    const agents = reached(org, scope, target);
    const time = new Date(this.deps.clock.now()).toISOString();
    const body: Record<string, JsonValue> = { scope, target, by: who.id, agents: [...agents] };
    if (scope === 'agent') body.agent = target;
    if (reason !== undefined) body.reason = reason;
    const record: LedgerRecord = await this.deps.ledger.append(`signal.${signal}`, body);

    let standing: StandingSignal | undefined;
    if (signal === 'cont') standing = await this.deps.store.signals.clear(scope, target);
    else standing = await this.deps.store.signals.raise({ scope, target, signal, by: who.id, time, reason });
    const key = signalKey(scope, target);
    if (standing) this.deps.board.set(key, standing);
    else this.deps.board.delete(key);

    let revoked = 0;
    if (standing?.signal === 'kill') {
      for (const a of agents) revoked += await this.deps.store.credentials.revokeAgent(a, time);
      await this.deps.actions.approvals.cancel(agents, `killed by ${who.id}`);
    }
    const released = await this.deps.actions.release();
    await this.deps.onSignal?.(signal, agents);
    return {
      record: `${record.stream}/${record.seq}`,
      ...(standing ? { standing } : {}),
      agents,
      revoked,
      released,
    };
  }

  /** Loads the standing signals from the store into the board (at start). */
  async load(): Promise<void> {
    this.deps.board.clear();
    for (const s of await this.deps.store.signals.list())
      this.deps.board.set(signalKey(s.scope, s.target), s);
  }
}

/** The agents a signal reaches under `org`: one, those in a department's subtree, or all. */
export function reached(org: Org, scope: SignalScope, target: string): string[] {
  const out: string[] = [];
  for (const a of org.agents.values()) {
    if (scope === 'all' || (scope === 'agent' && a.id === target)) out.push(a.id);
    else if (scope === 'department' && org.ancestry(a.department).includes(target)) out.push(a.id);
  }
  return out;
}
