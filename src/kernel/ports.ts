/**
 * Ports: what the pure kernel needs from the outside world, handed in by the composition root.
 */

/** Produces unique, sortable identifiers with a prefix (`dec_01J…`). */
export interface IdSource {
  next(prefix: string): string;
}

/** Tells the time in milliseconds since the epoch. */
export interface Clock {
  now(): number;
}
