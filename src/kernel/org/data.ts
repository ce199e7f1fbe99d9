/**
 * Plain data an Org is built from: what `org.yaml` holds once its shape is checked, or what a program
 * (the API, a benchmark generating 100k agents) assembles itself. Fields with a default may be left out.
 */
import type { RiskLevel } from '../types.js';
import type { BudgetSettings, SandboxSettings } from './limits.js';
import type { Autonomy } from './model.js';

/** A department as data; `approvers` defaults to none. */
export interface DepartmentData {
  readonly id: string;
  readonly name: string;
  readonly parent?: string | undefined;
  readonly approvers?: readonly string[] | undefined;
  readonly description?: string | undefined;
  readonly sandbox?: SandboxSettings | undefined;
  readonly budget?: BudgetSettings | undefined;
}

/** A person as data; `roles` defaults to none, `active` to true. */
export interface PersonData {
  readonly id: string;
  readonly name: string;
  readonly department?: string | undefined;
  readonly manager?: string | undefined;
  readonly roles?: readonly string[] | undefined;
  readonly active?: boolean | undefined;
}

/** An agent as data; `riskCeiling` defaults to `medium`. */
export interface AgentData {
  readonly id: string;
  readonly owner: string;
  readonly department: string;
  readonly role?: string | undefined;
  readonly autonomy: Autonomy;
  readonly riskCeiling?: RiskLevel | undefined;
  readonly description?: string | undefined;
  readonly sandbox?: SandboxSettings | undefined;
  readonly budget?: BudgetSettings | undefined;
}

/** An organisation as data; missing sections are empty. */
export interface OrgData {
  readonly name: string;
  readonly description?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly departments?: readonly DepartmentData[] | undefined;
  readonly people?: readonly PersonData[] | undefined;
  readonly agents?: readonly AgentData[] | undefined;
}
