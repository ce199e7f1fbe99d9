/**
 * The ledger writer for one stream (DESIGN §5, docs/ledger.md "Writer"): builds records on the kernel
 * `Chain`, commits them to the store in batches (group commit) and acknowledges a record only once the
 * batch holding it is durable. Checkpoints follow the kernel's policy and are signed through the `Signer`.
 */
import { AgentOsError, isAgentOsError } from '../kernel/errors.js';
import { Chain } from '../kernel/ledger/chain.js';
import { appendCheckpoint, checkpointDue, type CheckpointPolicy } from '../kernel/ledger/checkpoint.js';
import type { ChainHead, JsonValue, LedgerRecord, RecordType } from '../kernel/ledger/record.js';
import type { Clock, Hasher, MacKeys, Signer } from '../kernel/ports.js';
import { catchUp, readStoredHead } from './ledger-resume.js';
import type { LedgerStore } from './store.js';

/** How the writer commits: several records per store transaction, or one. */
export type CommitMode = 'group' | 'per-event';

/** What a writer needs; everything arrives through ports. */
export interface LedgerWriterOptions {
  /** The store's ledger (`Store.ledger`). */
  readonly store: LedgerStore;
  /** The stream this writer owns (one writer per stream). */
  readonly stream: string;
  readonly macKeys: MacKeys;
  readonly signer: Signer;
  readonly hasher: Hasher;
  readonly clock: Clock;
  /** When to checkpoint (`checkpointDue`). */
  readonly checkpoints: CheckpointPolicy;
  /** `group` (default) batches appends; `per-event` commits every record in its own transaction. */
  readonly mode?: CommitMode | undefined;
  /** The most records in one batch (group mode; default 256). */
  readonly maxBatch?: number | undefined;
  /**
   * How long an idle writer waits for more appends before committing (group mode; ms). Default 0: until
   * the end of the current turn of the event loop, so the appends of that turn (an action's `requested`
   * and `decided`) and of every request read in the same poll share the batch, while appends arriving
   * during a commit form the next one. A timed wait only delays a lone caller.
   */
  readonly maxWaitMs?: number | undefined;
}

interface Pending {
  readonly type: RecordType;
  readonly body: JsonValue;
  readonly resolve: (r: LedgerRecord) => void;
  readonly reject: (e: unknown) => void;
}

function rangeOf(batch: readonly LedgerRecord[]): string {
  const first = batch[0]?.seq ?? 0;
  const last = batch.at(-1)?.seq ?? 0;
  return first === last ? `seq ${first}` : `seq ${first}–${last}`;
}

/**
 * Appends records to one stream with group commit.
 *
 * INVARIANT: `append` resolves only after `store.append` of the batch holding the record resolved, i.e. the
 * record is durable; a batch that fails rejects every append in it and the chain goes back to the store's head.
 */
export class LedgerWriter {
  private readonly store: LedgerStore;
  private readonly macKeys: MacKeys;
  private readonly signer: Signer;
  private readonly hasher: Hasher;
  private readonly clock: Clock;
  private readonly policy: CheckpointPolicy;
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private readonly queue: Pending[] = [];
  private readonly commitListeners = new Set<() => void>();
  private chain: Chain;
  private durable: ChainHead;
  /** False after a failed batch until the head was re-read from the store. */
  private synced = true;
  private checkpointSeq: number;
  private checkpointAt: number;
  private checkpointWanted = false;
  private committing = false;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly drained: (() => void)[] = [];
  private commits = 0;
  private lastError: AgentOsError | undefined;

  private constructor(options: LedgerWriterOptions, head: ChainHead, checkpointSeq: number, at: number) {
    this.store = options.store;
    this.macKeys = options.macKeys;
    this.signer = options.signer;
    this.hasher = options.hasher;
    this.clock = options.clock;
    this.policy = options.checkpoints;
    const perEvent = options.mode === 'per-event';
    this.maxBatch = perEvent ? 1 : Math.max(1, Math.floor(options.maxBatch ?? 256));
    this.maxWaitMs = perEvent ? 0 : Math.max(0, options.maxWaitMs ?? 0);
    this.chain = new Chain(this.macKeys, this.hasher, head);
    this.durable = head;
    this.checkpointSeq = checkpointSeq;
    this.checkpointAt = at;
  }

  /**
   * Opens the writer for `options.stream`, resuming from what the store holds (the last record, and the
   * running hash from the last checkpoint). Rejects with the store's coded error when it cannot be read, or
   * `AOS_LEDGER_CHAIN_INVALID` when the stored stream is not a chain.
   */
  static async open(options: LedgerWriterOptions): Promise<LedgerWriter> {
    const stored = await readStoredHead(options.store, options.hasher, options.stream);
    return new LedgerWriter(
      options,
      stored.head,
      stored.checkpointSeq,
      stored.checkpointAt ?? options.clock.now(),
    );
  }

  /** The head of the stream as durably stored (as far as this writer knows). */
  get head(): ChainHead {
    return this.durable;
  }

  /** Calls `listener` after each durable commit (webhooks wake on it); returns the function that stops it. */
  onCommit(listener: () => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /** How many store transactions this writer has attempted (for diagnostics). */
  get transactions(): number {
    return this.commits;
  }

  /**
   * Appends one record and resolves with it once it is durable. Rejects with `AOS_LEDGER_BODY_INVALID` for a
   * body that is not canonical JSON, and with the store's code (`AOS_LEDGER_UNAVAILABLE`,
   * `AOS_LEDGER_CONFLICT`, …) when its batch could not be written: then the record was not acknowledged
   * and the action it records must not run.
   */
  append(type: RecordType, body: JsonValue): Promise<LedgerRecord> {
    if (this.closed) {
      return Promise.reject(
        new AgentOsError(
          'AOS_LEDGER_UNAVAILABLE',
          `the ledger writer for \`${this.durable.stream}\` is closed`,
        ),
      );
    }
    return new Promise<LedgerRecord>((resolve, reject) => {
      this.queue.push({ type, body, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every append made so far has settled (acknowledged or rejected). */
  flush(): Promise<void> {
    if (!this.committing && this.queue.length === 0 && !this.checkpointWanted) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /**
   * Refuses new appends, waits for the pending ones, then writes a final checkpoint when records are not yet
   * covered by one. Rejects with the store's coded error if that checkpoint cannot be written.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    clearTimeout(this.idleTimer);
    if (this.durable.seq > this.checkpointSeq) {
      this.checkpointWanted = true;
      await this.commit();
      if (this.durable.seq <= this.checkpointSeq) return;
      throw this.lastError ?? new AgentOsError('AOS_INTERNAL', 'the final checkpoint was not written');
    }
  }

  private schedule(): void {
    if (this.committing) return; // the loop picks the queue up when the current commit finishes
    if (this.queue.length >= this.maxBatch || this.checkpointWanted) {
      clearTimeout(this.timer);
      clearImmediate(this.immediate);
      this.timer = undefined;
      this.immediate = undefined;
      void this.loop();
    } else if (this.maxWaitMs === 0) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        void this.loop();
      });
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        void this.loop();
      }, this.maxWaitMs);
    }
  }

  private async loop(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      while (this.queue.length > 0 || this.checkpointWanted) await this.commit();
    } finally {
      this.committing = false;
      for (const resolve of this.drained.splice(0)) resolve();
    }
  }

  /** Builds and commits one batch; never throws (failures reject the batch's appends). */
  private async commit(): Promise<void> {
    const taken = this.queue.splice(0, this.checkpointWanted ? this.maxBatch - 1 : this.maxBatch);
    try {
      if (!this.synced) await this.resync();
    } catch (e) {
      this.checkpointWanted = false;
      const err = this.failure(e, `cannot resume stream \`${this.durable.stream}\` from the store`);
      this.lastError = err;
      for (const p of taken) p.reject(err);
      return;
    }
    const batch: LedgerRecord[] = [];
    const owners: Pending[] = [];
    const wantedCheckpoint = this.checkpointWanted;
    this.checkpointWanted = false;
    if (wantedCheckpoint && this.chain.head.seq > this.checkpointSeq) {
      batch.push(appendCheckpoint(this.chain, this.signer, this.time()));
    }
    for (const p of taken) {
      try {
        batch.push(this.chain.append(p.type, p.body, this.time()));
        owners.push(p);
      } catch (e) {
        p.reject(e); // a bad body (or key): the chain did not advance, the rest of the batch goes on
      }
    }
    if (batch.length === 0) return;
    this.commits++;
    try {
      await this.store.append(batch);
    } catch (e) {
      // INVARIANT: nothing in a failed batch is acknowledged; the chain restarts from the durable head.
      this.chain = new Chain(this.macKeys, this.hasher, this.durable);
      this.synced = false;
      const err = this.failure(
        e,
        `ledger \`${this.durable.stream}\` did not store ${batch.length} record(s) (${rangeOf(batch)})`,
      );
      this.lastError = err;
      for (const p of owners) p.reject(err);
      return;
    }
    this.durable = this.chain.head;
    for (const r of batch) {
      if (r.type === 'checkpoint') this.noteCheckpoint(r);
    }
    for (const [i, p] of owners.entries()) p.resolve(batch[batch.length - owners.length + i] as LedgerRecord);
    for (const l of this.commitListeners) l();
    this.afterCommit();
  }

  /** Re-reads the head after a failed batch: it may have landed if the failure hit the commit itself. */
  private async resync(): Promise<void> {
    const { head, checkpoint } = await catchUp(this.store, this.hasher, this.durable);
    if (checkpoint) this.noteCheckpoint(checkpoint);
    this.durable = head;
    this.chain = new Chain(this.macKeys, this.hasher, head);
    this.synced = true;
  }

  private noteCheckpoint(r: LedgerRecord): void {
    this.checkpointSeq = r.seq;
    this.checkpointAt = Date.parse(r.time);
  }

  /** Asks the checkpoint policy; a due checkpoint goes into the next batch, or an idle timer arms one. */
  private afterCommit(): void {
    const since = this.durable.seq - this.checkpointSeq;
    const elapsed = this.clock.now() - this.checkpointAt;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (checkpointDue(this.policy, since, elapsed)) {
      this.checkpointWanted = true;
    } else if (since > 0 && !this.closed) {
      // An idle stream still gets its tail signed within `everyMs`.
      this.idleTimer = setTimeout(
        () => {
          this.idleTimer = undefined;
          if (this.closed || this.durable.seq <= this.checkpointSeq) return;
          this.checkpointWanted = true;
          this.schedule();
        },
        Math.max(0, this.policy.everyMs - elapsed),
      );
      this.idleTimer.unref?.();
    }
  }

  private time(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private failure(e: unknown, what: string): AgentOsError {
    const code = isAgentOsError(e) ? e.code : 'AOS_LEDGER_UNAVAILABLE';
    const why = e instanceof Error ? e.message : String(e);
    return new AgentOsError(code, `${what}: ${why}`, { cause: e });
  }
}
