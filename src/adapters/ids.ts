/**
 * Identifiers: `<prefix>_<ULID>` (26 Crockford base-32 characters, time-sortable), monotonic within a
 * process: the random part is drawn once per millisecond and incremented for each further id.
 */
import { randomBytes } from 'node:crypto';
import type { IdSource } from '../kernel/ports.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID source. `now` is injectable for tests. */
export class UlidSource implements IdSource {
  private lastMs = -1;
  private readonly random = new Uint8Array(16); // 16 base-32 digits = 80 bits, one digit per byte
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  next(prefix: string): string {
    const ms = this.now();
    if (ms > this.lastMs) {
      this.lastMs = ms;
      const bytes = randomBytes(16);
      for (let i = 0; i < 16; i++) this.random[i] = (bytes[i] as number) & 31;
    } else {
      this.increment();
    }
    let time = '';
    let t = this.lastMs;
    for (let i = 0; i < 10; i++) {
      time = ALPHABET[t % 32] + time;
      t = Math.floor(t / 32);
    }
    let rand = '';
    for (let i = 0; i < 16; i++) rand += ALPHABET[this.random[i] as number];
    return `${prefix}_${time}${rand}`;
  }

  private increment(): void {
    for (let i = 15; i >= 0; i--) {
      const v = (this.random[i] as number) + 1;
      if (v < 32) {
        this.random[i] = v;
        return;
      }
      this.random[i] = 0;
    }
    // 2^80 ids in one millisecond cannot happen; wrapping keeps ids unique for any realistic run
  }
}
