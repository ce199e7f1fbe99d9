/**
 * Long-polling: callers wait for an id to change, up to a deadline (`GET /v1/actions/:id?wait=30s`).
 * In-process; several nodes will add a store notification (PostgreSQL LISTEN) on top.
 */

interface Waiter<T> {
  resolve(value: T): void;
  /** What the caller saw when it began to wait. */
  current: T;
  timer: ReturnType<typeof setTimeout>;
}

/** Waiters keyed by id. */
export class Waiters<T> {
  private readonly byId = new Map<string, Set<Waiter<T>>>();

  /** Resolves with the next value `notify` gives for `id`, or with `current` after `ms`. */
  wait(id: string, ms: number, current: T): Promise<T> {
    return new Promise<T>((resolve) => {
      const set = this.byId.get(id) ?? new Set<Waiter<T>>();
      this.byId.set(id, set);
      const waiter: Waiter<T> = {
        resolve,
        current,
        timer: setTimeout(() => {
          set.delete(waiter);
          if (set.size === 0) this.byId.delete(id);
          resolve(current);
        }, ms),
      };
      set.add(waiter);
    });
  }

  /** Wakes everyone waiting on `id` with `value`. */
  notify(id: string, value: T): void {
    const set = this.byId.get(id);
    if (!set) return;
    this.byId.delete(id);
    for (const w of set) {
      clearTimeout(w.timer);
      w.resolve(value);
    }
  }

  /** Wakes every waiter with what it saw (graceful shutdown: nobody waits on a closing daemon). */
  releaseAll(): void {
    const all = [...this.byId.values()];
    this.byId.clear();
    for (const set of all) {
      for (const w of set) {
        clearTimeout(w.timer);
        w.resolve(w.current);
      }
    }
  }

  /** How many callers are waiting (for shutdown and tests). */
  get size(): number {
    let n = 0;
    for (const set of this.byId.values()) n += set.size;
    return n;
  }
}
