import { describe, expect, it } from 'vitest';
import type { Classification } from '../types.js';
import { classify } from './index.js';
import { memoize } from './memo.js';

describe('memoize', () => {
  it('returns the same frozen result for the same input, and evicts the least recently used', () => {
    const calls: string[] = [];
    const m = memoize(2, (k): Classification => {
      calls.push(k);
      return { facts: { 'shell.commands': [k] }, risk: 'medium' };
    });
    const a = m('a');
    expect(m('a')).toBe(a);
    expect(Object.isFrozen(a.facts)).toBe(true);
    expect(Object.isFrozen(a.facts['shell.commands'])).toBe(true);
    m('b');
    m('a'); // refresh a: b is now the oldest
    m('c'); // evicts b
    m('a');
    m('b');
    expect(calls).toEqual(['a', 'b', 'c', 'b']);
  });

  it('does not keep very long inputs', () => {
    let n = 0;
    const m = memoize(8, () => ({ facts: { n: ++n } }));
    const long = 'x'.repeat(5000);
    expect(m(long)).not.toBe(m(long));
  });

  it('serves identical classifications through classify', () => {
    const r = { agent: 'a', action: 'shell.exec', args: { command: 'ls | grep x' } };
    const first = classify(r);
    expect(classify(r)).toBe(first);
    expect(first.facts['shell.commands']).toEqual(['grep', 'ls']);
    expect(() => (first.facts['shell.commands'] as string[]).push('rm')).toThrow();
  });
});
