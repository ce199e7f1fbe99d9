/**
 * The bodies of the ledger's record types (DESIGN §3 steps 6–8, §5), as the governor writes them and as
 * exporters, `audit query`, `episode show` and `explain` read them back. docs/audit.md documents each.
 *
 * INVARIANT: every record about an action carries the acting agent as the top-level string `agent`, the action's
 * id as `action`, and its episode, when it has one, as `episode`; the stores index `agent` and `episode`
 * from exactly these fields, so filtering by agent or episode never has to parse a body.
 */
import type { Decision, Effect, RiskLevel } from '../types.js';
import type { JsonValue } from './record.js';

/** Fields every action record shares. */
export interface ActionRef {
  /** The action's id (`act_…`), the same on its requested, decided, completed and failed records. */
  readonly action: string;
  /** The acting agent. */
  readonly agent: string;
  /** The episode (task) the action belongs to, when the request named one. */
  readonly episode?: string;
}

/** `action.requested`: the request as received, before anything is decided. */
export interface ActionRequestedBody extends ActionRef {
  /** The ActionRequest exactly as received (canonical JSON). */
  readonly request: JsonValue;
  /** SHA-256 of the request's canonical JSON: what an approval is bound to. */
  readonly requestHash: string;
}

/** Which org and policy versions a decision was made under (see `VersionChangedBody`). */
export interface VersionRefs {
  readonly org: number;
  readonly policy: number;
}

/** `action.decided`: the decision, and what it was made under. Written before anything runs. */
export interface ActionDecidedBody extends ActionRef {
  readonly effect: Effect;
  readonly risk: RiskLevel;
  /** The whole Decision value. */
  readonly decision: JsonValue;
  /** The org and policy versions in force, so `explain` can re-evaluate under exactly those. */
  readonly versions: VersionRefs;
  /** `shadow`: decided and recorded, but not enforced (the effect the policy would have had). */
  readonly mode: 'enforce' | 'shadow';
  /** For `mode: shadow`, the hash of the shadow policy set (its `policy.shadowed` record). */
  readonly shadow?: string;
}

/** `policy.shadowed`: a policy set is tried in shadow mode from now on (or, `cleared`, no longer). */
export interface PolicyShadowedBody {
  /** SHA-256 of the shadow set's content; absent when cleared. */
  readonly hash?: string;
  readonly files: readonly string[];
  readonly documents: number;
  readonly rules: number;
  /** Who put it in (a person's id). */
  readonly by: string;
  readonly cleared?: boolean;
}

/** `action.completed`: the executor's result. */
export interface ActionCompletedBody extends ActionRef {
  /** Who ran it: `report` (the agent ran it and reported, advisory), or an executor's name. */
  readonly executor: string;
  readonly outcome: JsonValue;
  readonly durationMs: number;
}

/** `action.failed`: the executor's error. */
export interface ActionFailedBody extends ActionRef {
  readonly executor: string;
  readonly error: { readonly code: string; readonly message: string };
  readonly durationMs: number;
}

/**
 * `org.changed` / `policy.changed`: a new version came into force. The content itself is stored once,
 * content-addressed by `hash`, in the store's versions; `files` names what it was loaded from.
 */
export interface VersionChangedBody {
  readonly version: number;
  /** SHA-256 of the stored content, hex. */
  readonly hash: string;
  /** The version it replaced, absent for the first. */
  readonly previous?: { readonly version: number; readonly hash: string };
  /** The files the content came from. */
  readonly files: readonly string[];
}

/** `key.rotated`: the node's keys changed; records after it are made with the new ids. */
export interface KeyRotatedBody {
  readonly mac: { readonly from?: string; readonly to: string };
  readonly signing: { readonly from?: string; readonly to: string };
}

/** The summary of a Decision that an `action.decided` record keeps. */
export function decisionJson(d: Decision): JsonValue {
  const out: Record<string, JsonValue> = {
    effect: d.effect,
    rules: [...d.rules],
    reason: d.reason,
    risk: d.risk,
    constraints: [...d.constraints],
    approvers: [...d.approvers],
    decisionId: d.decisionId,
  };
  if (d.approval) {
    const a = d.approval;
    out.approval = {
      route: a.route,
      levels: a.levels,
      quorum: a.quorum,
      ...(a.of === undefined ? {} : { of: a.of }),
      timeoutMs: a.timeoutMs,
      rule: a.rule,
    };
  }
  return out;
}

/** The indexed fields of a record body (see the INVARIANT above); absent when the body has none. */
export function indexedFields(body: JsonValue): { agent?: string; episode?: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  const o = body as { readonly [k: string]: JsonValue };
  const out: { agent?: string; episode?: string } = {};
  if (typeof o.agent === 'string') out.agent = o.agent;
  if (typeof o.episode === 'string') out.episode = o.episode;
  return out;
}
