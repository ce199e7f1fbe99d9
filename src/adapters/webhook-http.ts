/**
 * Webhook deliveries over HTTP (docs/webhooks.md): each ledger record is POSTed as one CloudEvent 1.0 in
 * structured mode (`application/cloudevents+json`), its `data` the whole record so a receiver holding the
 * node's HMAC key can check it like an export. With a `secret`, each request is signed the Standard
 * Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`).
 */
import { createHmac } from 'node:crypto';
import type { WebhookConfig } from '../governor/config.js';
import type { Delivery, WebhookSender } from '../governor/webhooks.js';
import type { JsonValue, LedgerRecord } from '../kernel/ledger/record.js';
import { parseDuration } from '../kernel/policy/duration.js';
import { expandEnvRefs, expandHeaders } from './env-refs.js';

/** A CloudEvent in structured mode, as sent. */
export interface CloudEvent {
  readonly specversion: '1.0';
  /** `<stream>/<seq>`: unique per node, the same on every retry (receivers deduplicate on it). */
  readonly id: string;
  /** `urn:agentos:<stream>`: the node's ledger stream. */
  readonly source: string;
  /** `agentos.<record type>`, e.g. `agentos.approval.requested`. */
  readonly type: string;
  /** What the record is about: its approval, else its action, else its agent. */
  readonly subject?: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  /** The ledger record, exactly as stored (`stream`, `seq`, `time`, `type`, `body`, `prev`, `keyId`, `mac`). */
  readonly data: LedgerRecord;
}

/** The CloudEvent for a ledger record. */
export function cloudEvent(record: LedgerRecord): CloudEvent {
  const body = record.body as Record<string, JsonValue> | null;
  const about = [body?.approval, body?.action, body?.agent].find((v) => typeof v === 'string');
  return {
    specversion: '1.0',
    id: `${record.stream}/${record.seq}`,
    source: `urn:agentos:${record.stream}`,
    type: `agentos.${record.type}`,
    ...(typeof about === 'string' ? { subject: about } : {}),
    time: record.time,
    datacontenttype: 'application/json',
    data: record,
  };
}

/** The key a secret stands for: the bytes after `whsec_` in base64 (Standard Webhooks), else its UTF-8. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. */
export function signature(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** Worth trying again: the receiver was busy, timed out, broke, or moved. */
const transient = (status: number) => status === 408 || status === 429 || status >= 500 || status < 400;

/** A sender for one configured webhook. Throws `AOS_CONFIG_INVALID` at start for unset variables. */
export function httpWebhook(
  c: WebhookConfig,
  env: Readonly<Record<string, string | undefined>>,
  clock: { now(): number } = Date,
): WebhookSender {
  const owner = `webhook \`${c.name}\``;
  const headers = expandHeaders(c.headers, env, owner);
  const key =
    c.secret === undefined ? undefined : signingKey(expandEnvRefs(c.secret, env, `${owner}: secret`));
  const timeoutMs = parseDuration(c.timeout) ?? 10_000;
  return {
    name: c.name,
    async send(record, closing): Promise<Delivery> {
      const event = cloudEvent(record);
      const body = JSON.stringify(event);
      const signed: Record<string, string> = {};
      if (key) {
        const timestamp = Math.floor(clock.now() / 1000);
        signed['webhook-id'] = event.id;
        signed['webhook-timestamp'] = String(timestamp);
        signed['webhook-signature'] = signature(key, event.id, timestamp, body);
      }
      try {
        const res = await fetch(c.url, {
          method: 'POST',
          headers: {
            ...headers,
            ...signed,
            'content-type': 'application/cloudevents+json; charset=utf-8',
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.any([closing, AbortSignal.timeout(timeoutMs)]),
        });
        await res.body?.cancel();
        if (res.status >= 200 && res.status < 300) return { ok: true };
        return { ok: false, retry: transient(res.status), why: `${c.url} answered ${res.status}` };
      } catch (e) {
        const why =
          e instanceof Error && e.name === 'TimeoutError' ? `no answer within ${c.timeout}` : String(e);
        return { ok: false, retry: true, why: `${c.url}: ${why}` };
      }
    },
  };
}
