/**
 * Standing signals in memory, mirrored from the store (DESIGN §6): which agents are stopped or killed,
 * directly, through a department up the tree, or all at once. Looked up on every action, so it is a map,
 * not a query.
 */
import type { Org } from '../kernel/org/model.js';
import type { SignalScope, StandingSignal } from './store.js';

/** The standing signals, keyed by `<scope>:<target>`. */
export type SignalBoard = ReadonlyMap<string, StandingSignal>;

/** The board's key of a (scope, target). */
export const signalKey = (scope: SignalScope, target: string): string => `${scope}:${target}`;

/** A board from the store's list. */
export function boardOf(signals: readonly StandingSignal[]): Map<string, StandingSignal> {
  return new Map(signals.map((s) => [signalKey(s.scope, s.target), s]));
}

/**
 * The signal that governs an agent now: a `kill` anywhere (the agent, any department up its tree, or all)
 * wins over a `stop`; `undefined` when nothing stands.
 */
export function effectiveSignal(board: SignalBoard, org: Org, agent: string): StandingSignal | undefined {
  if (board.size === 0) return undefined;
  const keys = [signalKey('agent', agent), signalKey('all', '*')];
  const department = org.agents.get(agent)?.department;
  if (department !== undefined)
    for (const d of org.ancestry(department)) keys.push(signalKey('department', d));
  let found: StandingSignal | undefined;
  for (const k of keys) {
    const s = board.get(k);
    if (s?.signal === 'kill') return s;
    found ??= s;
  }
  return found;
}
