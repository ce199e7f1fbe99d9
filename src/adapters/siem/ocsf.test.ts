import { describe, expect, it } from 'vitest';
import type { JsonValue, LedgerRecord, RecordType } from '../../kernel/ledger/record.js';
import { isOcsfEvent, ocsfRecord, toOcsf } from './ocsf.js';

const product = { name: 'agentos', vendor: 'Agent OS', version: '0.1.0' };
const rec = (type: RecordType, body: JsonValue, seq = 3): LedgerRecord => ({
  stream: 'node-a',
  seq,
  time: '2026-03-01T10:00:00.123Z',
  type,
  body,
  prev: '0'.repeat(64),
  keyId: 'k1',
  mac: 'a'.repeat(64),
});
const decided = (effect: string, risk: string): LedgerRecord =>
  rec('action.decided', {
    action: 'act_1',
    agent: 'bot',
    episode: 'ep',
    effect,
    risk,
    decision: { effect, rules: ['team/rule'], reason: 'because' },
    versions: { org: 1, policy: 1 },
    mode: 'enforce',
  });

describe('toOcsf', () => {
  it('maps a decision to API Activity with its disposition, severity and policy', () => {
    const e = toOcsf(decided('deny', 'high'), product);
    expect(e).toMatchObject({
      category_uid: 6,
      class_uid: 6003,
      activity_id: 99,
      activity_name: 'action.decided',
      type_uid: 600399,
      severity_id: 4,
      time: Date.parse('2026-03-01T10:00:00.123Z'),
      disposition_id: 2,
      disposition: 'Blocked',
      action_id: 2,
      status_id: 2,
      status_detail: 'because',
      policy: { uid: 'team/rule', name: 'team/rule', desc: 'because' },
      risk_level_id: 3,
      actor: { user: { uid: 'bot', name: 'bot', type_id: 99, type: 'Agent' }, session: { uid: 'ep' } },
      api: { operation: 'action.decided', request: { uid: 'act_1' } },
      src_endpoint: { name: 'bot' },
      metadata: {
        version: '1.3.0',
        product: { name: 'agentos', vendor_name: 'Agent OS', version: '0.1.0' },
        uid: 'node-a/3',
        correlation_uid: 'act_1',
        event_code: 'action.decided',
        sequence: 3,
        original_time: '2026-03-01T10:00:00.123Z',
        profiles: ['security_control'],
      },
    });
    expect(toOcsf(decided('allow', 'low'), product)).toMatchObject({
      disposition_id: 1,
      status_id: 1,
      severity_id: 2,
    });
    expect(toOcsf(decided('require_approval', 'critical'), product)).toMatchObject({
      disposition_id: 14,
      disposition: 'Delayed',
      status_id: 99,
      severity_id: 5,
    });
  });

  it('maps approvals to Authorize Session, the agent as the user', () => {
    const e = toOcsf(rec('approval.granted', { action: 'act_1', agent: 'bot', approver: 'cfo' }), product);
    expect(e).toMatchObject({
      category_uid: 3,
      class_uid: 3003,
      activity_id: 1,
      type_uid: 300301,
      user: { uid: 'bot' },
      actor: { user: { uid: 'cfo' } },
      privileges: ['action:act_1'],
      status_id: 1,
    });
    expect(toOcsf(rec('approval.expired', { action: 'act_1', agent: 'bot' }), product)).toMatchObject({
      class_uid: 3003,
      activity_id: 99,
      type_uid: 300399,
      status_id: 2,
    });
  });

  it('gives node records (no agent) the node as actor, and survives odd bodies', () => {
    expect(toOcsf(rec('policy.changed', { version: 2, hash: 'h', files: [] }), product)).toMatchObject({
      activity_id: 3,
      type_uid: 600303,
      actor: { app_name: 'agentos', app_uid: 'node-a' },
      src_endpoint: { hostname: 'node-a' },
    });
    for (const body of [null, 1, 'x', [1], { agent: 5, decision: 'no' }] as JsonValue[]) {
      expect(toOcsf(rec('action.decided', body), product)).toMatchObject({ class_uid: 6003, severity_id: 1 });
    }
  });

  it('keeps the record whole in unmapped, and gets it back', () => {
    const r = decided('deny', 'low');
    const e = JSON.parse(JSON.stringify(toOcsf(r, product))) as unknown;
    expect(isOcsfEvent(e)).toBe(true);
    expect(ocsfRecord(e as Record<string, unknown>)).toEqual(r);
    expect(isOcsfEvent(r)).toBe(false);
    expect(ocsfRecord({ class_uid: 6003 })).toBeUndefined();
    expect(ocsfRecord({ class_uid: 6003, unmapped: [] })).toBeUndefined();
  });
});
