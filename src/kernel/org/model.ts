/**
 * The organisation as data (DESIGN §6): departments as a tree, people with managers and roles, agents with
 * an owner, a department, a role and an autonomy level. Built once from `org.yaml`, then read-only.
 */
import type { RiskLevel } from '../types.js';
import type { BudgetSettings, SandboxSettings } from './limits.js';

/** Autonomy levels of DESIGN §2: 0 observe · 1 assisted · 2 supervised · 3 autonomous. */
export type Autonomy = 0 | 1 | 2 | 3;

/** A department; `parent` links it into the tree. */
export interface Department {
  readonly id: string;
  readonly name: string;
  readonly parent?: string | undefined;
  /** People who approve for this department (nearest up the tree wins). */
  readonly approvers: readonly string[];
  /** What the department does, for people reading the org (never matched by policy). */
  readonly description?: string | undefined;
  /** Sandbox settings for the agents under it (theirs win; `limits.ts`). */
  readonly sandbox?: SandboxSettings | undefined;
  /** Token budget shared by every agent in it and below it. */
  readonly budget?: BudgetSettings | undefined;
}

/** A human. Inactive people (left the org) own nothing and approve nothing. */
export interface Person {
  readonly id: string;
  readonly name: string;
  readonly department?: string | undefined;
  readonly manager?: string | undefined;
  readonly roles: readonly string[];
  readonly active: boolean;
}

/** An agent: a digital employee governed by its department's policies. */
export interface Agent {
  readonly id: string;
  readonly owner: string;
  readonly department: string;
  readonly role?: string | undefined;
  readonly autonomy: Autonomy;
  /** Under autonomy 2, actions above this risk need approval (default `medium`). */
  readonly riskCeiling: RiskLevel;
  readonly description?: string | undefined;
  /** The agent's own sandbox settings (over its departments'; `sandboxLimitsOf` resolves them). */
  readonly sandbox?: SandboxSettings | undefined;
  /** The agent's own token budget. */
  readonly budget?: BudgetSettings | undefined;
}

/**
 * A validated organisation (build one with `buildOrg` or `parseOrg`). A value: it never changes in place,
 * because decisions cache what they derive from it; a changed org is a new Org.
 */
export interface Org {
  readonly name: string;
  /** What the organisation is, from `metadata.description` (for people reading it). */
  readonly description?: string | undefined;
  /** Free-form labels from `metadata.labels` (for tooling; never matched by policy). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly departments: ReadonlyMap<string, Department>;
  readonly people: ReadonlyMap<string, Person>;
  readonly agents: ReadonlyMap<string, Agent>;
  /** The department and its ancestors, nearest first (`[hr-payroll, hr]`); empty for an unknown id. */
  ancestry(departmentId: string): readonly string[];
}
