/**
 * What a ledger record says, read back from its body (src/kernel/ledger/bodies.ts) for people and SIEMs:
 * the indexed fields (`agent`, `action`, `episode`) and a one-line summary. Shared by the OCSF and CEF
 * exporters and by `audit tail` / `audit query`, so a record reads the same everywhere.
 *
 * Bodies are read defensively: a field of an unexpected type is treated as absent, never trusted.
 */
import type { JsonValue, LedgerRecord } from '../../kernel/ledger/record.js';

type JsonObject = { readonly [key: string]: JsonValue };

/** The body as an object, or an empty object when it is not one. */
export function bodyObject(body: JsonValue): JsonObject {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as JsonObject) : {};
}

/** A string member of an object, or `undefined`. */
export function str(o: JsonObject, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

/** A finite number member of an object, or `undefined`. */
export function num(o: JsonObject, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The fields every action record carries at the top level of its body (see bodies.ts). */
export interface RecordRefs {
  readonly agent?: string | undefined;
  /** The action's id (`act_…`). */
  readonly action?: string | undefined;
  readonly episode?: string | undefined;
}

/** The acting agent, action id and episode of a record, where its body has them. */
export function recordRefs(record: LedgerRecord): RecordRefs {
  const b = bodyObject(record.body);
  return { agent: str(b, 'agent'), action: str(b, 'action'), episode: str(b, 'episode') };
}

/** The policy effect of an `action.decided` record, or `undefined`. */
export function decidedEffect(record: LedgerRecord): 'allow' | 'deny' | 'require_approval' | undefined {
  if (record.type !== 'action.decided') return undefined;
  const e = str(bodyObject(record.body), 'effect');
  return e === 'allow' || e === 'deny' || e === 'require_approval' ? e : undefined;
}

/** The rules a decision names (`decision.rules`), possibly none. */
export function decidedRules(record: LedgerRecord): string[] {
  const decision = bodyObject(bodyObject(record.body).decision ?? null);
  const rules = decision.rules;
  return Array.isArray(rules) ? rules.filter((r): r is string => typeof r === 'string') : [];
}

/** The risk level of an `action.decided` record, or `undefined`. */
export function decidedRisk(record: LedgerRecord): 'low' | 'medium' | 'high' | 'critical' | undefined {
  const r = str(bodyObject(record.body), 'risk');
  return r === 'low' || r === 'medium' || r === 'high' || r === 'critical' ? r : undefined;
}

/** The requested action name and resource of an `action.requested` record (`request.action`, `.resource`). */
export function requested(record: LedgerRecord): { name?: string; resource?: string } {
  if (record.type !== 'action.requested') return {};
  const request = bodyObject(bodyObject(record.body).request ?? null);
  const out: { name?: string; resource?: string } = {};
  const name = str(request, 'action');
  const resource = str(request, 'resource');
  if (name !== undefined) out.name = name;
  if (resource !== undefined) out.resource = resource;
  return out;
}

/** JSON text cut to `max` characters (with `…`), for one-line summaries. */
export function clip(text: string, max = 60): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= max ? flat : flat.slice(0, max - 1) + '…';
}

/**
 * A one-line, human summary of what a record says: the effect and rules of a decision, the outcome of a
 * completion, the version of an org or policy change, and so on. Never empty.
 */
export function summarize(record: LedgerRecord): string {
  const b = bodyObject(record.body);
  const parts = ((): string[] => {
    switch (record.type) {
      case 'action.requested': {
        const r = requested(record);
        return [r.name ?? '?', ...(r.resource === undefined ? [] : [r.resource])];
      }
      case 'action.decided': {
        const rules = decidedRules(record);
        return [
          decidedEffect(record) ?? '?',
          rules.length > 0 ? rules.join(',') : '(no rule)',
          ...(str(b, 'mode') === 'shadow' ? ['(shadow)'] : []),
        ];
      }
      case 'action.completed': {
        const ms = num(b, 'durationMs');
        const outcome = b.outcome === undefined ? '' : clip(JSON.stringify(b.outcome));
        return ['ok', outcome, ...(ms === undefined ? [] : [`in ${ms}ms`])];
      }
      case 'action.failed': {
        const err = bodyObject(b.error ?? null);
        return ['failed', `${str(err, 'code') ?? '?'}:`, clip(str(err, 'message') ?? '')];
      }
      case 'org.changed':
      case 'policy.changed': {
        const v = num(b, 'version');
        const hash = str(b, 'hash');
        const prev = num(bodyObject(b.previous ?? null), 'version');
        return [
          `v${v ?? '?'}`,
          ...(hash === undefined ? [] : [hash.slice(0, 12)]),
          ...(prev === undefined ? [] : [`(was v${prev})`]),
        ];
      }
      case 'key.rotated': {
        const mac = str(bodyObject(b.mac ?? null), 'to');
        const signing = str(bodyObject(b.signing ?? null), 'to');
        return [`mac ${mac ?? '?'}`, `signing ${signing ?? '?'}`];
      }
      case 'checkpoint':
        return [`signs seq 1–${num(b, 'seq') ?? '?'}`, `key ${str(b, 'keyId') ?? '?'}`];
      default: {
        // approvals, signals, credentials: their action, approver or credential, and reason where present
        const bits = ['action', 'person', 'verdict', 'approver', 'by', 'credential', 'id', 'reason']
          .map((k) => (str(b, k) === undefined ? undefined : `${k} ${clip(str(b, k) ?? '', 40)}`))
          .filter((s): s is string => s !== undefined);
        return bits.length > 0 ? bits : [clip(JSON.stringify(record.body))];
      }
    }
  })();
  return parts.filter((p) => p !== '').join(' ');
}
