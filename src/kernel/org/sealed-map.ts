/**
 * A Map that refuses changes once built. An Org is a value: decisions cache what they derive from it (the
 * contract's verdict per agent, policy scope per department), so changing one in place would serve stale,
 * possibly too permissive, answers. A changed org is a new Org.
 */
import { AgentOsError } from '../errors.js';

/** A Map filled once by its constructor; `set`, `delete` and `clear` throw `AOS_INTERNAL` (a bug). */
export class SealedMap<K, V> extends Map<K, V> {
  /** Builds the map; `fill` adds the entries through `put` (a later `put` of a key replaces the earlier). */
  constructor(fill: (put: (key: K, value: V) => void) => void) {
    super();
    fill((key, value) => {
      super.set(key, value);
    });
  }

  /** Refuses: an org never changes in place. */
  override set(_key: K, _value: V): this {
    throw readOnly();
  }

  /** Refuses: an org never changes in place. */
  override delete(_key: K): boolean {
    throw readOnly();
  }

  /** Refuses: an org never changes in place. */
  override clear(): void {
    throw readOnly();
  }
}

function readOnly(): AgentOsError {
  return new AgentOsError('AOS_INTERNAL', 'an organisation is read-only: build a new one to change it');
}
