/**
 * What an agent may use (DESIGN §6, §7): the sandbox it runs in (memory, processes, CPU, the enforcement
 * it requires) and the model tokens it may spend. Departments set both for the agents under them; an agent's
 * own setting wins, else the nearest department up the tree that sets it, else the default. Token budgets
 * are different in kind: a department's budget is shared by every agent in it and below it, so an agent
 * spends against its own budget and every department budget up its tree at once.
 */
import type { Org } from './model.js';

/** How much of the machine's confinement a run requires (DESIGN §7), strongest first. */
export const ENFORCEMENT_LEVELS = ['os-enforced', 'partial', 'advisory'] as const;

/** `os-enforced`: namespaces, seccomp and cgroups; `partial`: a sandbox without all of them; `advisory`: none. */
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];

/** The sandbox settings an agent or department may write (`sandbox:` in `org.yaml`); all optional. */
export interface SandboxSettings {
  /** Memory limit in bytes. */
  readonly memory?: number | undefined;
  /** Most processes and threads at once. */
  readonly pids?: number | undefined;
  /** CPU limit in cores (`0.5`, `2`). */
  readonly cpu?: number | undefined;
  /** The least enforcement a run of the agent accepts. */
  readonly enforcement?: EnforcementLevel | undefined;
}

/** Token budgets (`budget:` in `org.yaml`). */
export interface BudgetSettings {
  /** Model tokens (prompt and completion) per UTC day. */
  readonly llmTokensPerDay?: number | undefined;
}

/** An agent's sandbox, every field resolved. */
export interface SandboxLimits {
  readonly memory: number;
  readonly pids: number;
  /** Absent: no CPU limit. */
  readonly cpu?: number | undefined;
  readonly enforcement: EnforcementLevel;
}

/** The defaults when neither the agent nor any department up its tree says (issue 5: 1 GiB, 256 pids). */
export const DEFAULT_SANDBOX: SandboxLimits = Object.freeze({
  memory: 1024 ** 3,
  pids: 256,
  cpu: undefined,
  enforcement: 'os-enforced',
});

/** One budget an agent's model calls spend against. */
export interface Budget {
  /** Whose budget: the agent's own or a department's (shared by everyone under it). */
  readonly scope: 'agent' | 'department';
  readonly id: string;
  readonly llmTokensPerDay: number;
}

/**
 * The sandbox an agent runs in: each setting from the agent, else the nearest department up its tree, else
 * `DEFAULT_SANDBOX`. An unknown agent gets the defaults (the contract check refuses it anyway).
 */
export function sandboxLimitsOf(org: Org, agentId: string): SandboxLimits {
  const agent = org.agents.get(agentId);
  const chain: (SandboxSettings | undefined)[] = [agent?.sandbox];
  for (const d of agent ? org.ancestry(agent.department) : []) chain.push(org.departments.get(d)?.sandbox);
  const pick = <K extends keyof SandboxSettings>(key: K): SandboxSettings[K] =>
    chain.find((s) => s?.[key] !== undefined)?.[key];
  return Object.freeze({
    memory: pick('memory') ?? DEFAULT_SANDBOX.memory,
    pids: pick('pids') ?? DEFAULT_SANDBOX.pids,
    cpu: pick('cpu'),
    enforcement: pick('enforcement') ?? DEFAULT_SANDBOX.enforcement,
  });
}

/** Every token budget an agent spends against: its own first, then its departments' from nearest up. */
export function budgetsOf(org: Org, agentId: string): readonly Budget[] {
  const agent = org.agents.get(agentId);
  if (!agent) return [];
  const out: Budget[] = [];
  const own = agent.budget?.llmTokensPerDay;
  if (own !== undefined) out.push({ scope: 'agent', id: agent.id, llmTokensPerDay: own });
  for (const d of org.ancestry(agent.department)) {
    const tokens = org.departments.get(d)?.budget?.llmTokensPerDay;
    if (tokens !== undefined) out.push({ scope: 'department', id: d, llmTokensPerDay: tokens });
  }
  return out;
}

/** Whether a machine giving `available` satisfies a run that requires `required`. */
export function enforcementSatisfies(available: EnforcementLevel, required: EnforcementLevel): boolean {
  return ENFORCEMENT_LEVELS.indexOf(available) <= ENFORCEMENT_LEVELS.indexOf(required);
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parses a size (`512MiB`, `1GiB`, `2g`, `1048576`) to bytes; undefined when it is not one. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
