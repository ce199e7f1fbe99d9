/**
 * A short-lived cache of the stored credentials and tokens `authenticate` looks up by the hash of a
 * presented secret, so a busy agent does not cost a store read per action (bench/results/api.md).
 *
 * Only what the store holds is cached: an unknown secret is asked of the store every time (a credential
 * minted by another process works at once, and random secrets cannot fill the cache). The cache holds the
 * stored rows, not verdicts: `authenticate` still checks revocation, expiry and the org in force on every
 * request, so an org change or an expiry applies at once. Every revocation made through the cache (`kill`
 * revokes through it) drops the entries it touches before and after the store changes, so a revoked or
 * killed secret is refused on the very next request; one made elsewhere (another process or node) is seen
 * within `ttlMs`.
 */
import type { Clock } from '../kernel/ports.js';
import type { DaemonStore, StoredCredential, StoredToken } from './store.js';

/** How long a looked-up secret is trusted without asking the store again (ms). */
export const SECRET_CACHE_TTL_MS = 1000;
/** The most secrets kept; the oldest go first. */
const MAX_ENTRIES = 10_000;

interface Entry<T> {
  readonly value: T;
  readonly at: number;
}

/** Rows by the hash of their secret, each trusted for `ttlMs`. */
class ByHash<T extends { readonly hash: string }> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Bumped by every invalidation: a lookup that was in flight meanwhile does not cache what it read. */
  private generation = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  async get(hash: string, load: (hash: string) => Promise<T | undefined>): Promise<T | undefined> {
    const now = this.clock.now();
    const hit = this.entries.get(hash);
    if (hit && now >= hit.at && now - hit.at < this.ttlMs) return hit.value;
    const generation = this.generation;
    const value = await load(hash);
    this.entries.delete(hash);
    if (value && generation === this.generation) {
      this.entries.set(hash, { value, at: now });
      if (this.entries.size > MAX_ENTRIES) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
    }
    return value;
  }

  /**
   * Runs a change to the rows `touches` selects with their entries dropped before it starts and again once
   * it settled (a lookup may have read the old row meanwhile).
   */
  async changing<R>(touches: (row: T) => boolean, change: () => Promise<R>): Promise<R> {
    this.forget(touches);
    try {
      return await change();
    } finally {
      this.forget(touches);
    }
  }

  private forget(touches: (row: T) => boolean): void {
    this.generation++;
    for (const [hash, entry] of this.entries) if (touches(entry.value)) this.entries.delete(hash);
  }
}

/**
 * The daemon's store with its credential and token lookups by hash cached (the rest passes through).
 * Revocations must go through the returned store for the next request to see them at once.
 */
export function withSecretCache(
  store: DaemonStore,
  clock: Clock,
  ttlMs: number = SECRET_CACHE_TTL_MS,
): DaemonStore {
  const credentials = new ByHash<StoredCredential>(clock, ttlMs);
  const tokens = new ByHash<StoredToken>(clock, ttlMs);
  const c = store.credentials;
  const t = store.tokens;
  return {
    ledger: store.ledger,
    versions: store.versions,
    actions: store.actions,
    approvals: store.approvals,
    signals: store.signals,
    credentials: {
      put: (credential) => c.put(credential),
      get: (id) => c.get(id),
      byHash: (hash) => credentials.get(hash, (h) => c.byHash(h)),
      revoke: (id, time) =>
        credentials.changing(
          (row) => row.id === id,
          () => c.revoke(id, time),
        ),
      revokeAgent: (agent, time) =>
        credentials.changing(
          (row) => row.agent === agent,
          () => c.revokeAgent(agent, time),
        ),
    },
    tokens: {
      put: (token) => t.put(token),
      get: (id) => t.get(id),
      byHash: (hash) => tokens.get(hash, (h) => t.byHash(h)),
      revoke: (id, time) =>
        tokens.changing(
          (row) => row.id === id,
          () => t.revoke(id, time),
        ),
      list: (person) => t.list(person),
    },
  };
}
