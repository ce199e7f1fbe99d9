import { describe, expect, it } from 'vitest';
import { findCycles } from './cycles.js';

const graph =
  (edges: Record<string, string>) =>
  (id: string): string | undefined =>
    edges[id];

describe('findCycles', () => {
  it('finds nothing in a forest', () => {
    expect(findCycles(['a', 'b', 'c', 'd'], graph({ b: 'a', c: 'b', d: 'a' }))).toEqual([]);
  });

  it('finds a self-loop', () => {
    expect(findCycles(['a', 'b'], graph({ a: 'a', b: 'a' }))).toEqual([['a']]);
  });

  it('finds cycles of two and three once each, starting at the member listed first', () => {
    const order = ['t', 'z', 'c', 'a', 'b', 'y'];
    // t → a → b → c → a (t is a tail into the 3-cycle); y → z → y
    const cycles = findCycles(order, graph({ t: 'a', a: 'b', b: 'c', c: 'a', y: 'z', z: 'y' }));
    expect(cycles).toEqual([
      ['c', 'a', 'b'],
      ['z', 'y'],
    ]);
  });

  it('treats a parent outside the graph as a root', () => {
    expect(findCycles(['a', 'b'], graph({ a: 'ghost', b: 'a' }))).toEqual([]);
  });

  it('ignores repeated ids in the order', () => {
    expect(findCycles(['a', 'b', 'a'], graph({ a: 'b', b: 'a' }))).toEqual([['a', 'b']]);
  });
});
