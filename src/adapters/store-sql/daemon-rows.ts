/**
 * What both SQL stores share about the daemon's tables (tokens, actions, approvals, signals): the row shapes
 * as both dialects return them and their conversion to the port's values (absent optional fields left out).
 */
import type {
  ActionStatus,
  PersonRole,
  SignalScope,
  StandingSignal,
  StoredAction,
  StoredApproval,
  StoredToken,
} from '../../governor/store.js';

/** A `tokens` row. */
export interface TokenRow {
  id: string;
  person: string;
  role: PersonRole;
  hash: string;
  created_at: string;
  revoked_at: string | null;
}

/** An `actions` row. */
export interface ActionRow {
  id: string;
  agent: string;
  status: ActionStatus;
  request: string;
  decision: string | null;
  outcome: string | null;
  approval: string | null;
  created_at: string;
  updated_at: string;
  revision: number;
}

/** An `approvals` row. */
export interface ApprovalRow {
  id: string;
  action: string;
  agent: string;
  status: StoredApproval['status'];
  state: string;
  expires_at: string;
  updated_at: string;
  revision: number;
}

/** A `signals` row (`by` is a keyword in both dialects, hence `sent_by`). */
export interface SignalRow {
  scope: SignalScope;
  target: string;
  signal: StandingSignal['signal'];
  reason: string | null;
  sent_by: string;
  time: string;
}

/** A token row as the port's shape. */
export function toToken(r: TokenRow): StoredToken {
  return {
    id: r.id,
    person: r.person,
    role: r.role,
    hash: r.hash,
    createdAt: r.created_at,
    ...(r.revoked_at === null ? {} : { revokedAt: r.revoked_at }),
  };
}

/** An action row as the port's shape. */
export function toAction(r: ActionRow): StoredAction {
  return {
    id: r.id,
    agent: r.agent,
    status: r.status,
    request: r.request,
    ...(r.decision === null ? {} : { decision: r.decision }),
    ...(r.outcome === null ? {} : { outcome: r.outcome }),
    ...(r.approval === null ? {} : { approval: r.approval }),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    revision: Number(r.revision),
  };
}

/** An approval row as the port's shape. */
export function toApproval(r: ApprovalRow): StoredApproval {
  return {
    id: r.id,
    action: r.action,
    agent: r.agent,
    status: r.status,
    state: r.state,
    expiresAt: r.expires_at,
    updatedAt: r.updated_at,
    revision: Number(r.revision),
  };
}

/** A signal row as the port's shape. */
export function toSignal(r: SignalRow): StandingSignal {
  return {
    scope: r.scope,
    target: r.target,
    signal: r.signal,
    ...(r.reason === null ? {} : { reason: r.reason }),
    by: r.sent_by,
    time: r.time,
  };
}

/**
 * A query's `limit` as a row count: absent or infinite means no limit (`undefined`); otherwise a whole
 * number, at least 0. SQLite reads a negative LIMIT as "no limit" and PostgreSQL refuses one, so neither
 * ever sees one.
 */
export function rowLimit(limit: number | undefined): number | undefined {
  if (limit === undefined || limit === Infinity) return undefined;
  return limit > 0 ? Math.floor(limit) : 0;
}
