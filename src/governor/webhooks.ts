/**
 * Outgoing webhooks (issue 4 §4): every step of an approval is a ledger record, and each webhook follows
 * this node's ledger stream, sending the records whose types it asked for — in order, at least once, from
 * a cursor kept across restarts. The ledger is the outbox: nothing is sent that was not durably recorded,
 * and a daemon that was down catches up from its cursor. How a record becomes a request (a CloudEvent) is
 * the sender's business (`src/adapters/webhook-http.ts`); docs/webhooks.md describes both.
 */
import type { LedgerRecord } from '../kernel/ledger/record.js';
import { compileActionGlob, type GlobTest } from '../kernel/policy/glob.js';
import type { LedgerStore } from './store.js';

/** What one delivery attempt came to. */
export type Delivery =
  | { readonly ok: true }
  /** `retry: false` when the receiver refused the event itself (a 4xx other than 408/429): it is skipped. */
  | { readonly ok: false; readonly retry: boolean; readonly why: string };

/** Sends one record to one receiver; never throws (a failure is a `Delivery`). */
export interface WebhookSender {
  readonly name: string;
  /** `signal` aborts the attempt when the daemon closes. */
  send(record: LedgerRecord, signal: AbortSignal): Promise<Delivery>;
}

/** Where each webhook's position in the stream is kept: the seq of the last record it is done with. */
export interface WebhookCursors {
  load(name: string): Promise<number | undefined>;
  save(name: string, seq: number): Promise<void>;
}

/** What the dispatcher tells the operator (the daemon's structured log). */
export interface WebhookLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** What the dispatcher needs. */
export interface WebhookDeps {
  readonly ledger: Pick<LedgerStore, 'read'>;
  /** This node's stream: each node delivers the records it wrote. */
  readonly stream: string;
  readonly cursors: WebhookCursors;
  readonly log: WebhookLog;
  /** The first retry's wait (ms, default 500); each next one doubles, up to `maxRetryMs`. */
  readonly retryMs?: number;
  /** The longest wait between retries (ms, default 5 minutes). */
  readonly maxRetryMs?: number;
}

/** One webhook: its sender and the record types it wants. */
export interface Webhook {
  readonly sender: WebhookSender;
  /** Record-type globs (`approval.*`); checkpoints are never sent. */
  readonly events: readonly string[];
}

/** Records read per page while catching up. */
const PAGE = 100;

/** Follows the stream for every webhook; `start` once, `wake` after commits, `close` on shutdown. */
export class WebhookDispatcher {
  private readonly hooks: readonly { readonly sender: WebhookSender; readonly wants: GlobTest[] }[];
  private readonly loops: Promise<void>[] = [];
  private closed = false;
  private readonly closing = new AbortController();
  /** Resolves the loops' current waits: a commit, a retry timer cut short by `close`. */
  private wakers = new Set<() => void>();
  /** Counts commits, so a loop that was busy when one happened does not then sleep through it. */
  private commits = 0;

  constructor(
    private readonly deps: WebhookDeps,
    hooks: readonly Webhook[],
  ) {
    this.hooks = hooks.map((h) => ({ sender: h.sender, wants: h.events.map(compileActionGlob) }));
  }

  /**
   * Starts following the stream. A webhook without a cursor (new, or its file removed) starts at `head`,
   * the stream's last seq now: it gets what happens from here on, not the history.
   */
  async start(head: number): Promise<void> {
    for (const hook of this.hooks) {
      let cursor = await this.deps.cursors.load(hook.sender.name);
      if (cursor === undefined) {
        cursor = head;
        await this.deps.cursors.save(hook.sender.name, cursor);
      }
      this.loops.push(this.follow(hook, cursor));
    }
  }

  /** Something was committed: loops that are idle look again. */
  wake(): void {
    this.commits++;
    const wakers = this.wakers;
    this.wakers = new Set();
    for (const w of wakers) w();
  }

  /** Stops after the deliveries in flight; undelivered records stay for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    this.wake();
    await Promise.all(this.loops);
  }

  /** Waits for `wake` (or `close`), or at most `ms`; at once when a commit came after `seen`. */
  private pause(ms: number, seen = this.commits): Promise<void> {
    if (this.closed || this.commits !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private async follow(
    hook: { readonly sender: WebhookSender; readonly wants: GlobTest[] },
    from: number,
  ): Promise<void> {
    let cursor = from;
    while (!this.closed) {
      const seen = this.commits;
      let read = 0;
      try {
        for await (const record of this.deps.ledger.read({
          stream: this.deps.stream,
          fromSeq: cursor + 1,
          limit: PAGE,
        })) {
          read++;
          const wanted = record.type !== 'checkpoint' && hook.wants.some((t) => t(record.type));
          if (wanted && !(await this.deliver(hook.sender, record))) return; // closed while retrying
          cursor = record.seq;
          if (wanted) await this.deps.cursors.save(hook.sender.name, cursor);
        }
        if (read > 0) await this.deps.cursors.save(hook.sender.name, cursor);
      } catch (e) {
        this.deps.log.warn({ webhook: hook.sender.name, err: e }, 'webhook could not read the ledger');
      }
      // A full page means more may be waiting; otherwise sleep until a commit (or a minute, to be safe).
      if (read < PAGE) await this.pause(60_000, seen);
    }
  }

  /** Sends until delivered or refused for good; false when the dispatcher closed first. */
  private async deliver(sender: WebhookSender, record: LedgerRecord): Promise<boolean> {
    let wait = this.deps.retryMs ?? 500;
    const max = this.deps.maxRetryMs ?? 300_000;
    for (let attempt = 1; ; attempt++) {
      const r = await sender.send(record, this.closing.signal);
      if (r.ok) return true;
      if (this.closed) return false;
      const at = `${record.stream}/${record.seq}`;
      if (!r.retry) {
        this.deps.log.warn(
          { webhook: sender.name, record: at, type: record.type },
          `webhook refused ${record.type} for good, skipped: ${r.why}`,
        );
        return true;
      }
      this.deps.log.warn(
        { webhook: sender.name, record: at, attempt, retryInMs: wait },
        `webhook delivery failed, will retry: ${r.why}`,
      );
      if (this.closed) return false;
      await this.sleep(wait);
      if (this.closed) return false;
      wait = Math.min(wait * 2, max);
    }
  }

  /** A retry wait that `close` cuts short but a commit does not. */
  private async sleep(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.closed && Date.now() < until) await this.pause(until - Date.now());
  }
}
