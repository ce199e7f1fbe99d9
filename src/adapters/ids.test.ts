import { describe, expect, it } from 'vitest';
import { UlidSource } from './ids.js';

describe('UlidSource', () => {
  it('makes prefixed ULIDs that encode the time', () => {
    const id = new UlidSource(() => 1_700_000_000_000).next('dec');
    expect(id).toMatch(/^dec_[0-9A-HJKMNP-TV-Z]{26}$/);
    // first 10 characters are the millisecond time, base 32
    let t = 0;
    for (const c of id.slice(4, 14)) t = t * 32 + '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(c);
    expect(t).toBe(1_700_000_000_000);
  });

  it('is strictly increasing within one millisecond, across tail wrap-arounds', () => {
    const ids = new UlidSource(() => 42);
    let prev = ids.next('x');
    for (let i = 0; i < 2_500_000; i++) {
      const next = ids.next('x');
      if (!(next > prev)) throw new Error(`${next} is not after ${prev}`);
      prev = next;
    }
  });

  it('sorts by time across milliseconds', () => {
    let now = 1000;
    const ids = new UlidSource(() => now);
    const a = ids.next('x');
    now = 1001;
    expect(ids.next('x') > a).toBe(true);
  });
});
