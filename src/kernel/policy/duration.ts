/** Durations in policy (`90s`, `30m`, `4h`, `2d`, `1h30m`) → milliseconds. */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration such as `4h` or `1h30m`; returns undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  let total = 0;
  let rest = text.trim();
  if (rest === '') return undefined;
  while (rest !== '') {
    const m = /^(\d+)(ms|s|m|h|d)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return total;
}
