/**
 * The org and the agents as the console shows them (issue 4 §8): each agent's lifecycle state and why
 * (standing signals, its runtime contract), and which policy documents apply where (scope inheritance,
 * DESIGN §4). Pure functions of the governance in force and the signal board.
 */
import { checkContract } from '../kernel/contract/check.js';
import type { Agent, Org } from '../kernel/org/model.js';
import type { CompiledDocument } from '../kernel/policy/compile.js';
import type { PolicyEngine } from '../kernel/policy/engine.js';
import type { RiskLevel } from '../kernel/types.js';
import { effectiveSignal, type SignalBoard } from './signal-board.js';
import type { AgentLifecycle, StandingSignal } from './store.js';

/** A policy document as listed: its name, file and scope as written. */
export interface DocumentRef {
  readonly name: string;
  readonly file: string;
  /** The scope as written, e.g. `department: finance`, or `org`. */
  readonly scope: string;
}

/** One agent with its state. */
export interface AgentView {
  readonly id: string;
  readonly description?: string | undefined;
  readonly owner: string;
  readonly department: string;
  readonly role?: string | undefined;
  readonly autonomy: number;
  readonly riskCeiling: RiskLevel;
  /** `killed` and `stopped` from a standing signal; `suspended` when its contract fails (owner left). */
  readonly state: AgentLifecycle;
  /** Why it is in that state (absent when active). */
  readonly reason?: string;
  /** The signal that governs it, when one stands (on it, a department up its tree, or everything). */
  readonly signal?: StandingSignal;
  /** The contract rule that fails: `contract.owner-inactive` when suspended, `contract.autonomy-observe`… */
  readonly contractRule?: string;
}

/** The org with the policies that apply to each department and agent. */
export interface OrgView {
  readonly name: string;
  readonly description?: string | undefined;
  readonly departments: readonly {
    readonly id: string;
    readonly name: string;
    readonly parent?: string | undefined;
    readonly description?: string | undefined;
    /** Its own approvers; `effectiveApprovers` are the nearest up the tree (who approves for it). */
    readonly approvers: readonly string[];
    readonly effectiveApprovers: readonly string[];
    /** Documents that apply to every agent in it (org-wide, it, or a department above it). */
    readonly policies: readonly DocumentRef[];
  }[];
  readonly people: readonly {
    readonly id: string;
    readonly name: string;
    readonly department?: string | undefined;
    readonly manager?: string | undefined;
    readonly roles: readonly string[];
    readonly active: boolean;
  }[];
  /** Every agent with its state and the documents that apply to it (role- and agent-scoped included). */
  readonly agents: readonly (AgentView & { readonly policies: readonly DocumentRef[] })[];
}

/** A document's scope as written. */
export function scopeText(d: CompiledDocument): string {
  const s = d.scope;
  if ('org' in s) return 'org';
  return Object.entries(s)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ');
}

const SUSPENDING: ReadonlySet<string> = new Set(['contract.owner-missing', 'contract.owner-inactive']);

const ref = (d: CompiledDocument): DocumentRef => ({ name: d.name, file: d.file, scope: scopeText(d) });

/** An agent's state: a kill wins, then the contract (suspended), then a stop. */
export function agentView(org: Org, board: SignalBoard, agent: Agent): AgentView {
  const base = {
    id: agent.id,
    ...(agent.description === undefined ? {} : { description: agent.description }),
    owner: agent.owner,
    department: agent.department,
    ...(agent.role === undefined ? {} : { role: agent.role }),
    autonomy: agent.autonomy,
    riskCeiling: agent.riskCeiling,
  };
  const signal = effectiveSignal(board, org, agent.id);
  const by = signal ? signalReason(signal) : '';
  if (signal?.signal === 'kill') return { ...base, state: 'killed', reason: by, signal };
  const contract = checkContract(org, agent.id);
  // DESIGN §2: no owner, or an owner who left, suspends an agent; other contract failures (autonomy 0,
  // observe only) are how it was registered, not a lifecycle state, and are given as the reason
  if (!contract.ok && !SUSPENDING.has(contract.rule)) {
    return {
      ...base,
      state: signal ? 'stopped' : 'active',
      reason: signal ? by : contract.reason,
      contractRule: contract.rule,
      ...(signal ? { signal } : {}),
    };
  }
  if (!contract.ok) {
    return {
      ...base,
      state: 'suspended',
      reason: contract.reason,
      contractRule: contract.rule,
      ...(signal ? { signal } : {}),
    };
  }
  if (signal) return { ...base, state: 'stopped', reason: by, signal };
  return { ...base, state: 'active' };
}

function signalReason(s: StandingSignal): string {
  const where =
    s.scope === 'all' ? 'everything' : s.scope === 'agent' ? 'the agent' : `department \`${s.target}\``;
  const verb = s.signal === 'kill' ? 'killed' : 'stopped';
  return `${verb} by ${s.by} (on ${where}, ${s.time})${s.reason ? `: ${s.reason}` : ''}`;
}

/** Every agent of the org with its state, in org order. */
export function agentViews(org: Org, board: SignalBoard): AgentView[] {
  return [...org.agents.values()].map((a) => agentView(org, board, a));
}

/** The documents that apply to every agent of a department: org-wide ones and department-only scopes. */
function departmentDocuments(engine: PolicyEngine, department: string): DocumentRef[] {
  const ancestry = engine.org.ancestry(department);
  return engine.policies.documents
    .filter((d) => {
      const s = d.scope;
      if ('org' in s) return true;
      return (
        s.role === undefined &&
        s.agent === undefined &&
        s.department !== undefined &&
        ancestry.includes(s.department)
      );
    })
    .map(ref);
}

/** The nearest approvers up the tree from a department (what `route: department` asks). */
function nearestApprovers(org: Org, department: string): readonly string[] {
  for (const d of org.ancestry(department)) {
    const approvers = org.departments.get(d)?.approvers ?? [];
    if (approvers.length > 0) return approvers;
  }
  return [];
}

/** The org in force with states and policies. */
export function orgView(engine: PolicyEngine, board: SignalBoard): OrgView {
  const org = engine.org;
  return {
    name: org.name,
    ...(org.description === undefined ? {} : { description: org.description }),
    departments: [...org.departments.values()].map((d) => ({
      id: d.id,
      name: d.name,
      ...(d.parent === undefined ? {} : { parent: d.parent }),
      ...(d.description === undefined ? {} : { description: d.description }),
      approvers: [...d.approvers],
      effectiveApprovers: [...nearestApprovers(org, d.id)],
      policies: departmentDocuments(engine, d.id),
    })),
    people: [...org.people.values()].map((p) => ({
      id: p.id,
      name: p.name,
      ...(p.department === undefined ? {} : { department: p.department }),
      ...(p.manager === undefined ? {} : { manager: p.manager }),
      roles: [...p.roles],
      active: p.active,
    })),
    agents: [...org.agents.values()].map((a) => ({
      ...agentView(org, board, a),
      policies: engine.documentsFor(a).map(ref),
    })),
  };
}
