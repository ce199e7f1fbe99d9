/**
 * Cycles in a parent-pointer graph (each node has at most one parent): the department tree and the
 * manager chain. Linear time: every node is walked once.
 */

/**
 * Finds every cycle once, each as its members in parent order starting with the member that comes first in
 * `order` (`[a, b]` means a → b → a; a self-loop is `[a]`). `parentOf` returns undefined for a root or
 * for a parent that is not a node (a dangling reference, reported elsewhere).
 */
export function findCycles(
  order: readonly string[],
  parentOf: (id: string) => string | undefined,
): string[][] {
  const rank = new Map<string, number>();
  order.forEach((id, i) => {
    if (!rank.has(id)) rank.set(id, i);
  });
  const walkOf = new Map<string, number>();
  const cycles: string[][] = [];
  let walk = 0;
  for (const start of order) {
    if (walkOf.has(start)) continue;
    walk++;
    const path: string[] = [];
    let cur: string | undefined = start;
    while (cur !== undefined && !walkOf.has(cur)) {
      walkOf.set(cur, walk);
      path.push(cur);
      const next = parentOf(cur);
      cur = next !== undefined && rank.has(next) ? next : undefined;
    }
    // reaching a node of this same walk closes a cycle; a node of an earlier walk is already accounted for
    if (cur !== undefined && walkOf.get(cur) === walk)
      cycles.push(rotateToFirst(path.slice(path.indexOf(cur)), rank));
  }
  return cycles;
}

function rotateToFirst(cycle: string[], rank: ReadonlyMap<string, number>): string[] {
  let best = 0;
  for (let i = 1; i < cycle.length; i++) {
    if ((rank.get(cycle[i] ?? '') ?? 0) < (rank.get(cycle[best] ?? '') ?? 0)) best = i;
  }
  return [...cycle.slice(best), ...cycle.slice(0, best)];
}
