/**
 * The system clock behind the kernel's `Clock` port.
 */
import type { Clock } from '../kernel/ports.js';

/** Wall-clock time in milliseconds since the epoch. */
export const systemClock: Clock = { now: () => Date.now() };
