/**
 * Ledger records as OCSF events (Open Cybersecurity Schema Framework 1.3.0, https://schema.ocsf.io), one
 * JSON object per record, and back. docs/siem.md has the mapping table field by field.
 *
 * Approval records become "Authorize Session" (class 3003, category 3 Identity & Access Management); every
 * other record "API Activity" (class 6003, category 6 Application Activity). The agent is the actor as an
 * OCSF *user* (`actor.user`, `type` "Agent"): agents hold credentials and act on their own behalf the way
 * service accounts do, and SIEM content (CIM's `user`, per-user baselines) keys on `actor.user.uid`.
 * `actor.app_name` names a client application, which the ledger does not know, and is deprecated in
 * OCSF 1.9. Records the node itself writes (versions, keys, checkpoints) have the node as the actor app.
 *
 * INVARIANT: `unmapped.agentos_record` is the complete original record, unchanged, so an OCSF export stays
 * verifiable (`ocsfRecord` takes it back out); nothing else in an event is trusted by the verifier.
 */
import type { JsonValue, LedgerRecord, RecordType } from '../../kernel/ledger/record.js';
import {
  bodyObject,
  decidedEffect,
  decidedRisk,
  decidedRules,
  recordRefs,
  requested,
  str,
  summarize,
} from './summary.js';

/** The OCSF schema version the events follow. */
export const OCSF_VERSION = '1.3.0';

/** The key under `unmapped` that holds the original record. */
export const OCSF_RECORD_KEY = 'agentos_record';

/** Who made the events (`metadata.product`; also the CEF header). */
export interface Product {
  readonly name: string;
  readonly vendor: string;
  readonly version: string;
}

type Obj = { [key: string]: JsonValue };

const API_ACTIVITY = { category_uid: 6, category_name: 'Application Activity', class_uid: 6003 } as const;
const AUTHORIZE_SESSION = {
  category_uid: 3,
  category_name: 'Identity & Access Management',
  class_uid: 3003,
} as const;

/** API Activity's `activity_id` per record type (1 Create, 3 Update, 4 Delete, 99 Other). */
const API_ACTIVITY_ID: Partial<Record<RecordType, [number, string]>> = {
  'org.changed': [3, 'Update'],
  'policy.changed': [3, 'Update'],
  'key.rotated': [3, 'Update'],
  'signal.stop': [3, 'Update'],
  'signal.cont': [3, 'Update'],
  'signal.kill': [3, 'Update'],
  'credential.created': [1, 'Create'],
  'credential.revoked': [4, 'Delete'],
};

/** OCSF `severity_id` captions. */
const SEVERITY = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical'] as const;

/** `severity_id` of a record: the decision's risk for decisions, else by type (docs/siem.md). */
export function severityId(record: LedgerRecord): number {
  switch (record.type) {
    case 'action.decided': {
      const risk = decidedRisk(record);
      return risk === undefined ? 1 : { low: 2, medium: 3, high: 4, critical: 5 }[risk];
    }
    case 'action.failed':
    case 'approval.denied':
    case 'approval.expired':
    case 'signal.stop':
    case 'credential.revoked':
      return 3;
    case 'signal.kill':
      return 4;
    case 'key.rotated':
    case 'org.changed':
    case 'policy.changed':
      return 2;
    default:
      return 1;
  }
}

/** `disposition_id` (and `action_id`) of a decision: allow → Allowed, deny → Blocked, approval → Delayed. */
const DISPOSITION = {
  allow: { disposition_id: 1, disposition: 'Allowed', action_id: 1, action: 'Allowed' },
  deny: { disposition_id: 2, disposition: 'Blocked', action_id: 2, action: 'Denied' },
  // held until a person approves: neither allowed nor denied yet, so the action is Unknown
  require_approval: { disposition_id: 14, disposition: 'Delayed', action_id: 0, action: 'Unknown' },
} as const;

/** `status_id` 1 Success, 2 Failure, 99 Other: did what the record reports go through? */
function status(record: LedgerRecord): Obj {
  const b = bodyObject(record.body);
  switch (record.type) {
    case 'action.failed': {
      const err = bodyObject(b.error ?? null);
      return {
        status_id: 2,
        status: 'Failure',
        ...(str(err, 'code') === undefined ? {} : { status_code: str(err, 'code') ?? '' }),
        ...(str(err, 'message') === undefined ? {} : { status_detail: str(err, 'message') ?? '' }),
      };
    }
    case 'action.decided': {
      const effect = decidedEffect(record);
      if (effect === 'deny') return { status_id: 2, status: 'Failure', status_detail: reason(record) };
      if (effect === 'require_approval') {
        return { status_id: 99, status: 'Pending approval', status_detail: reason(record) };
      }
      return { status_id: 1, status: 'Success' };
    }
    case 'approval.requested':
      return { status_id: 99, status: 'Pending approval' };
    case 'approval.denied':
    case 'approval.expired':
      return { status_id: 2, status: 'Failure', status_detail: record.type.slice('approval.'.length) };
    default:
      return { status_id: 1, status: 'Success' };
  }
}

function reason(record: LedgerRecord): string {
  return str(bodyObject(bodyObject(record.body).decision ?? null), 'reason') ?? '';
}

/** The agent as an OCSF User object. */
function agentUser(agent: string): Obj {
  return { uid: agent, name: agent, type_id: 99, type: 'Agent' };
}

/** `actor`: the agent (with its episode as the session) or, for the node's own records, the node. */
function actor(record: LedgerRecord, approver: string | undefined): Obj {
  const refs = recordRefs(record);
  const session: Obj = refs.episode === undefined ? {} : { session: { uid: refs.episode } };
  if (approver !== undefined) return { user: { uid: approver, name: approver }, ...session };
  if (refs.agent !== undefined) return { user: agentUser(refs.agent), ...session };
  return { app_name: 'agentos', app_uid: record.stream };
}

function metadata(record: LedgerRecord, product: Product, profiles: readonly string[]): Obj {
  const refs = recordRefs(record);
  return {
    version: OCSF_VERSION,
    product: { name: product.name, vendor_name: product.vendor, version: product.version },
    uid: `${record.stream}/${record.seq}`,
    ...(refs.action === undefined ? {} : { correlation_uid: refs.action }),
    event_code: record.type,
    log_name: record.stream,
    sequence: record.seq,
    original_time: record.time,
    ...(profiles.length > 0 ? { profiles: [...profiles] } : {}),
  };
}

/** The classification fields: category, class, activity and `type_uid = class_uid * 100 + activity_id`. */
function classify(
  cls: { category_uid: number; category_name: string; class_uid: number },
  className: string,
  activity: [number, string],
): Obj {
  const [activityId, activityName] = activity;
  return {
    category_uid: cls.category_uid,
    category_name: cls.category_name,
    class_uid: cls.class_uid,
    class_name: className,
    activity_id: activityId,
    activity_name: activityName,
    type_uid: cls.class_uid * 100 + activityId,
    type_name: `${className}: ${activityName}`,
  };
}

/** Maps one ledger record to one OCSF event (a JSON object; `JSON.stringify` it for NDJSON). */
export function toOcsf(record: LedgerRecord, product: Product): Obj {
  const refs = recordRefs(record);
  const b = bodyObject(record.body);
  const severity = severityId(record);
  const common: Obj = {
    severity_id: severity,
    severity: SEVERITY[severity] ?? 'Unknown',
    time: Date.parse(record.time),
    message: `${record.type} ${summarize(record)}`,
    ...status(record),
  };
  const unmapped: Obj = { [OCSF_RECORD_KEY]: record as unknown as JsonValue };

  if (record.type.startsWith('approval.')) {
    // Authorize Session: the agent is the `user` granted (or refused) the privilege to run one action
    const granted = record.type === 'approval.granted';
    const approver = str(b, 'person') ?? str(b, 'approver') ?? str(b, 'by');
    return {
      ...classify(
        AUTHORIZE_SESSION,
        'Authorize Session',
        granted ? [1, 'Assign Privileges'] : [99, record.type],
      ),
      ...common,
      ...(approver === undefined ? {} : { actor: actor(record, approver) }),
      user:
        refs.agent === undefined ? { name: 'unknown', type_id: 0, type: 'Unknown' } : agentUser(refs.agent),
      privileges: [refs.action === undefined ? record.type : `action:${refs.action}`],
      ...(refs.episode === undefined ? {} : { session: { uid: refs.episode } }),
      metadata: metadata(record, product, []),
      unmapped,
    };
  }

  const activity = API_ACTIVITY_ID[record.type] ?? [99, record.type];
  const effect = decidedEffect(record);
  const req = requested(record);
  const rules = decidedRules(record);
  const risk = decidedRisk(record);
  const api: Obj = {
    operation: record.type,
    service: { name: 'agentos' },
    ...(refs.action === undefined ? {} : { request: { uid: refs.action } }),
  };
  return {
    ...classify(API_ACTIVITY, 'API Activity', activity),
    ...common,
    actor: actor(record, undefined),
    api,
    src_endpoint: refs.agent === undefined ? { hostname: record.stream } : { name: refs.agent },
    dst_endpoint: { hostname: record.stream, svc_name: 'agentos' },
    ...(req.resource === undefined ? {} : { resources: [{ name: req.resource }] }),
    ...(effect === undefined
      ? {}
      : {
          ...DISPOSITION[effect],
          ...(rules.length > 0
            ? { policy: { uid: rules[0] ?? '', name: rules.join(','), desc: reason(record) } }
            : {}),
          ...(risk === undefined
            ? {}
            : { risk_level_id: { low: 1, medium: 2, high: 3, critical: 4 }[risk], risk_level: cap(risk) }),
        }),
    metadata: metadata(record, product, effect === undefined ? [] : ['security_control']),
    unmapped,
  };
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** True when a parsed JSON value looks like an OCSF event (it has a numeric `class_uid`). */
export function isOcsfEvent(value: unknown): value is { readonly [key: string]: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { class_uid?: unknown }).class_uid === 'number'
  );
}

/**
 * The original ledger record inside an OCSF event (`unmapped.agentos_record`), as stored there (the verifier
 * checks its shape), or `undefined` when the event carries none.
 */
export function ocsfRecord(event: { readonly [key: string]: unknown }): unknown {
  const unmapped = event.unmapped;
  if (typeof unmapped !== 'object' || unmapped === null || Array.isArray(unmapped)) return undefined;
  return (unmapped as { [key: string]: unknown })[OCSF_RECORD_KEY];
}
