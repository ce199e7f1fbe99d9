/**
 * A bounded memo for classifiers whose parsers are costly (shell: ~0.8 ms, SQL: ~50 µs per input).
 * Agents repeat themselves — the same query, the same command line — so recent results are kept,
 * keyed by the exact input. Classification is a pure function of its input, so a hit is always right.
 */
import type { Classification } from '../types.js';

/** Inputs longer than this are not kept: the memo's memory stays bounded (entries × this). */
const MAX_KEY_LENGTH = 4096;

/** Memoises `classify(key)` over the most recently used `capacity` keys. */
export function memoize(
  capacity: number,
  classify: (key: string) => Classification,
): (key: string) => Classification {
  const cache = new Map<string, Classification>();
  return (key) => {
    if (key.length > MAX_KEY_LENGTH) return classify(key);
    const hit = cache.get(key);
    if (hit !== undefined) {
      // refresh: Map keeps insertion order, so the first key is always the least recently used
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const result = freeze(classify(key));
    if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
    cache.set(key, result);
    return result;
  };
}

// INVARIANT: a memoised result is shared between decisions, so nothing may change it
function freeze(c: Classification): Classification {
  for (const v of Object.values(c.facts)) if (Array.isArray(v)) Object.freeze(v);
  Object.freeze(c.facts);
  return Object.freeze(c);
}
