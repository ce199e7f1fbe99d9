/**
 * The org and policies in force in a running daemon, changed at run time (issue 4 §3: `org apply`,
 * `policy apply`). A change is validated, recorded (`org.changed` / `policy.changed`), stored, and then in
 * force for the very next action: a moved agent is governed by its new department at once, and an agent
 * whose owner left is suspended by its contract. Changes apply one at a time.
 */
import { diffOrgs, type OrgChange } from '../kernel/org/diff.js';
import { parseOrg } from '../kernel/org/load.js';
import { compilePolicies, type PolicySource } from '../kernel/policy/compile.js';
import { PolicyEngine } from '../kernel/policy/engine.js';
import type { Principal } from './auth.js';
import {
  applyGovernance,
  type Governance,
  type GovernanceDeps,
  type GovernanceSources,
  policyContent,
  type VersionRef,
} from './governance.js';

/** What an org apply did (or, dry, would do). */
export interface OrgApplied {
  readonly changes: readonly OrgChange[];
  readonly applied: boolean;
  readonly version: VersionRef;
}

/** What a policy apply did (or, dry, would do). */
export interface PoliciesApplied {
  readonly documents: number;
  readonly rules: number;
  readonly applied: boolean;
  /** The enforced version (unchanged by a shadow apply). */
  readonly version: VersionRef;
  /** The hash of the shadow set in force after this call, if any. */
  readonly shadow?: string;
}

/** Checks a caller may change governance (records refusals); the action service's `allow`. */
export type Allow = (who: Principal, what: 'org.apply' | 'policy.apply') => Promise<void>;

/** The governance of a running node. */
export class LiveGovernance {
  private queue: Promise<unknown> = Promise.resolve();

  /** The shadow set's sources and hash (kept in memory: a restart ends shadow mode). */
  private shadowSet: { readonly policies: readonly PolicySource[]; readonly hash: string } | undefined;

  constructor(
    private readonly deps: GovernanceDeps,
    private current: Governance,
    private sources: GovernanceSources,
    private readonly allow: Allow,
  ) {}

  /** The enforced governance with the shadow set (if any) compiled under its org. */
  private withShadow(g: Governance): Governance {
    if (!this.shadowSet) return { ...g, shadow: undefined };
    const engine = new PolicyEngine(compilePolicies(this.shadowSet.policies), g.engine.org, {
      ids: this.deps.ids,
    });
    return { ...g, shadow: { engine, hash: this.shadowSet.hash } };
  }

  /** What is in force now. */
  get(): Governance {
    return this.current;
  }

  /** Puts a new org in force (with today's policies); `dryRun` only validates and diffs. */
  applyOrg(who: Principal, file: string, text: string, dryRun = false): Promise<OrgApplied> {
    return this.serially(async () => {
      await this.allow(who, 'org.apply');
      const next = parseOrg(text, file); // invalid: throws with every problem, nothing changes
      const changes = diffOrgs(this.current.engine.org, next);
      if (dryRun || changes.length === 0) return { changes, applied: false, version: this.current.org };
      const sources = { ...this.sources, org: { file, text } };
      this.current = this.withShadow(await applyGovernance(this.deps, sources));
      this.sources = sources;
      return { changes, applied: true, version: this.current.org };
    });
  }

  /**
   * Puts a new policy set in force (under today's org); `dryRun` only validates. With `shadow` the set is
   * tried instead of enforced: recorded (`policy.shadowed`), and every action is also decided under it,
   * recording where it would have decided otherwise; the enforced set stays as it is.
   */
  applyPolicies(
    who: Principal,
    policies: readonly PolicySource[],
    options: { dryRun?: boolean; shadow?: boolean } = {},
  ): Promise<PoliciesApplied> {
    return this.serially(async () => {
      await this.allow(who, 'policy.apply');
      const set = compilePolicies(policies);
      const count = {
        documents: set.documents.length,
        rules: set.documents.reduce((n, d) => n + d.rules.length, 0),
      };
      const shadowNow = () => (this.shadowSet ? { shadow: this.shadowSet.hash } : {});
      if (options.dryRun) return { ...count, applied: false, version: this.current.policy, ...shadowNow() };
      if (options.shadow) {
        const hash = this.deps.hasher.sha256(policyContent(policies));
        const files = policies.map((p) => p.file);
        await this.deps.ledger.append('policy.shadowed', { hash, files, ...count, by: who.id });
        this.shadowSet = { policies, hash };
        this.current = this.withShadow(this.current);
        return { ...count, applied: true, version: this.current.policy, shadow: hash };
      }
      const sources = { ...this.sources, policies };
      this.current = this.withShadow(await applyGovernance(this.deps, sources));
      this.sources = sources;
      return { ...count, applied: true, version: this.current.policy, ...shadowNow() };
    });
  }

  /** Ends shadow mode (recorded); resolves with whether a shadow set was in force. */
  clearShadow(who: Principal): Promise<{ cleared: boolean }> {
    return this.serially(async () => {
      await this.allow(who, 'policy.apply');
      if (!this.shadowSet) return { cleared: false };
      await this.deps.ledger.append('policy.shadowed', {
        files: [],
        documents: 0,
        rules: 0,
        by: who.id,
        cleared: true,
      });
      this.shadowSet = undefined;
      this.current = this.withShadow(this.current);
      return { cleared: true };
    });
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
