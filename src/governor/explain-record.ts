/**
 * `explain <record>`: re-evaluates a recorded decision under the org and policies that were in force when
 * it was made, rebuilt from the store's versions and checked against the ledger's `org.changed` /
 * `policy.changed` records, or under today's with `now` (DESIGN §5, §8; docs/audit.md).
 */
import { AgentOsError } from '../kernel/errors.js';
import type { VersionRefs } from '../kernel/ledger/bodies.js';
import type { LedgerRecord } from '../kernel/ledger/record.js';
import { PolicyEngine } from '../kernel/policy/engine.js';
import type { Explanation } from '../kernel/policy/explanation.js';
import { parseActionRequest } from '../kernel/policy/request.js';
import type { Hasher, IdSource } from '../kernel/ports.js';
import { bodyOf, findAction, recordName } from './action-history.js';
import { orgFromContent, policiesFromContent } from './governance.js';
import type { Store, VersionKind } from './store.js';

/** What explain needs. */
export interface ExplainDeps {
  readonly store: Pick<Store, 'ledger' | 'versions'>;
  readonly hasher: Hasher;
  readonly ids: IdSource;
}

/** The decision as recorded. */
export interface RecordedDecision {
  readonly effect: string;
  readonly rules: readonly string[];
  readonly reason: string;
  readonly risk: string;
  readonly constraints: readonly string[];
}

/** A re-evaluation under some versions, and how it differs from the record. */
export interface Reevaluation {
  readonly versions: VersionRefs;
  readonly explanation: Explanation;
  /** `field: recorded → now` for each field that differs; empty when the decision is the same. */
  readonly differences: readonly string[];
}

/** Everything `agentos explain` shows. */
export interface RecordExplanation {
  readonly action: string;
  /** `<stream>/<seq>` of the `action.requested` and `action.decided` records. */
  readonly records: { readonly requested: string; readonly decided: string };
  readonly time: string;
  readonly recorded: RecordedDecision;
  /** Under the versions in force when it was decided. */
  readonly then: Reevaluation;
  /** Under the newest versions (with `now`). */
  readonly now?: Reevaluation;
}

/** Re-explains the action that `ref` (`<stream>/<seq>` of one of its records, or its `act_…` id) names. */
export async function explainRecord(
  deps: ExplainDeps,
  ref: string,
  options: { now?: boolean } = {},
): Promise<RecordExplanation> {
  const found = await findAction(deps.store.ledger, ref);
  const { requested, decided } = found;
  if (!requested || !decided) {
    const missing = requested ? 'action.decided' : 'action.requested';
    throw new AgentOsError('AOS_NOT_FOUND', `action \`${found.id}\` has no \`${missing}\` record`);
  }
  const request = parseActionRequest(bodyOf(requested).request, recordName(requested));
  const recorded = recordedDecision(decided);
  const versions = versionsOf(decided);
  const engines = new Engines(deps);
  const then = reevaluate(await engines.at(versions), versions, request, recorded);
  if (!options.now) {
    return { action: found.id, records: names(found), time: decided.time, recorded, then };
  }
  const latest = {
    org: (await deps.store.versions.latest('org'))?.version ?? 0,
    policy: (await deps.store.versions.latest('policy'))?.version ?? 0,
  };
  const now = reevaluate(await engines.at(latest), latest, request, recorded);
  return { action: found.id, records: names(found), time: decided.time, recorded, then, now };
}

function names(f: { requested?: LedgerRecord; decided?: LedgerRecord }) {
  return {
    requested: f.requested ? recordName(f.requested) : '',
    decided: f.decided ? recordName(f.decided) : '',
  };
}

function reevaluate(
  engine: PolicyEngine,
  versions: VersionRefs,
  request: Parameters<PolicyEngine['explain']>[0],
  recorded: RecordedDecision,
): Reevaluation {
  const explanation = engine.explain(request);
  const d = explanation.decision;
  const differences: string[] = [];
  const diff = (field: string, a: string, b: string) => {
    if (a !== b) differences.push(`${field}: ${a} → ${b}`);
  };
  diff('effect', recorded.effect, d.effect);
  diff('risk', recorded.risk, d.risk);
  diff('rules', recorded.rules.join(', ') || '(none)', d.rules.join(', ') || '(none)');
  diff('constraints', recorded.constraints.join(', ') || '(none)', d.constraints.join(', ') || '(none)');
  diff('reason', recorded.reason, d.reason);
  return { versions, explanation, differences };
}

function recordedDecision(decided: LedgerRecord): RecordedDecision {
  const d = bodyOf(decided).decision;
  const o = (d !== null && typeof d === 'object' && !Array.isArray(d) ? d : {}) as Record<string, unknown>;
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return {
    effect: String(o.effect ?? ''),
    rules: strings(o.rules),
    reason: String(o.reason ?? ''),
    risk: String(o.risk ?? ''),
    constraints: strings(o.constraints),
  };
}

function versionsOf(decided: LedgerRecord): VersionRefs {
  const v = bodyOf(decided).versions as Record<string, unknown> | undefined;
  const org = v?.org;
  const policy = v?.policy;
  if (typeof org !== 'number' || typeof policy !== 'number') {
    throw new AgentOsError(
      'AOS_STORE_CORRUPT',
      `\`${recordName(decided)}\` does not say which org and policy versions were in force`,
    );
  }
  return { org, policy };
}

/** Engines per version pair, built from stored versions checked against their ledger records. */
class Engines {
  private changes: Map<string, LedgerRecord> | undefined;

  constructor(private readonly deps: ExplainDeps) {}

  async at(v: VersionRefs): Promise<PolicyEngine> {
    const org = orgFromContent(v.org, await this.content('org', v.org));
    const policies = policiesFromContent(v.policy, await this.content('policy', v.policy));
    return new PolicyEngine(policies, org, { ids: this.deps.ids });
  }

  /**
   * A version's content, after checking it hashes to what its `*.changed` record says. The store's
   * versions are not chained; the record is, so an edited stored version is refused, not explained.
   */
  private async content(kind: VersionKind, version: number): Promise<string> {
    const stored = await this.deps.store.versions.get(kind, version);
    if (!stored)
      throw new AgentOsError('AOS_STORE_CORRUPT', `${kind} version ${version} is not in the store`);
    const record = (await this.changeRecords()).get(`${kind}:${version}`);
    if (!record) {
      throw new AgentOsError(
        'AOS_STORE_CORRUPT',
        `no \`${kind}.changed\` record in the ledger for ${kind} version ${version}`,
      );
    }
    const hash = this.deps.hasher.sha256(stored.content);
    if (bodyOf(record).hash !== hash) {
      throw new AgentOsError(
        'AOS_STORE_CORRUPT',
        `stored ${kind} version ${version} does not match its record \`${recordName(record)}\` (content hash ${hash})`,
      );
    }
    return stored.content;
  }

  /** The newest `org.changed` / `policy.changed` record of each version (a version may be recorded twice). */
  private async changeRecords(): Promise<Map<string, LedgerRecord>> {
    if (this.changes) return this.changes;
    const map = new Map<string, LedgerRecord>();
    for (const type of ['org.changed', 'policy.changed'] as const) {
      for await (const r of this.deps.store.ledger.read({ type })) {
        const version = bodyOf(r).version;
        if (typeof version === 'number')
          map.set(`${type === 'org.changed' ? 'org' : 'policy'}:${version}`, r);
      }
    }
    this.changes = map;
    return map;
  }
}
