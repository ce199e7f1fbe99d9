/**
 * Identifiers: `<prefix>_<ULID>` (26 Crockford base-32 characters, time-sortable), monotonic within a
 * process: the random part is drawn once per millisecond and incremented for each further id.
 */
import { randomBytes } from 'node:crypto';
import type { IdSource } from '../kernel/ports.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_DIGITS = 16; // 80 bits
const TAIL_DIGITS = 4; // incremented in place; the head is re-rendered only when the tail wraps

/** A ULID source. `now` is injectable for tests. */
export class UlidSource implements IdSource {
  private lastMs = -1;
  private readonly random = new Uint8Array(RANDOM_DIGITS); // one base-32 digit per byte
  private head = ''; // time and the random digits before the tail, rendered
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  next(prefix: string): string {
    const ms = this.now();
    if (ms > this.lastMs) {
      this.lastMs = ms;
      const bytes = randomBytes(RANDOM_DIGITS);
      for (let i = 0; i < RANDOM_DIGITS; i++) this.random[i] = (bytes[i] as number) & 31;
      this.renderHead();
    } else if (this.increment()) {
      this.renderHead();
    }
    let tail = '';
    for (let i = RANDOM_DIGITS - TAIL_DIGITS; i < RANDOM_DIGITS; i++)
      tail += ALPHABET[this.random[i] as number];
    return `${prefix}_${this.head}${tail}`;
  }

  /** Adds one to the random part; true when the carry reached the head. */
  private increment(): boolean {
    for (let i = RANDOM_DIGITS - 1; i >= 0; i--) {
      const v = (this.random[i] as number) + 1;
      if (v < 32) {
        this.random[i] = v;
        return i < RANDOM_DIGITS - TAIL_DIGITS;
      }
      this.random[i] = 0;
    }
    // 2^80 ids in one millisecond cannot happen; wrapping keeps ids unique for any realistic run
    return true;
  }

  private renderHead(): void {
    let time = '';
    let t = this.lastMs;
    for (let i = 0; i < 10; i++) {
      time = ALPHABET[t % 32] + time;
      t = Math.floor(t / 32);
    }
    let rand = '';
    for (let i = 0; i < RANDOM_DIGITS - TAIL_DIGITS; i++) rand += ALPHABET[this.random[i] as number];
    this.head = time + rand;
  }
}
