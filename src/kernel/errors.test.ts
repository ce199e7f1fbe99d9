import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AgentOsError, ERROR_CODES, formatProblem } from './errors.js';

describe('error catalogue', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^## (AOS_[A-Z_]+)\s*$/gm)].map((m) => m[1]);

  it('documents every code in docs/errors.md, and nothing else', () => {
    expect(new Set(documented)).toEqual(new Set(Object.keys(ERROR_CODES)));
    expect(documented.length).toBe(new Set(documented).size);
  });

  it('keeps summaries lowercase, one line, with no final period', () => {
    for (const summary of Object.values(ERROR_CODES)) {
      expect(summary).toMatch(/^[a-z]/);
      expect(summary).not.toMatch(/\.$|\n/);
    }
  });
});

describe('AgentOsError', () => {
  it('carries every problem and leads with the first, counting the rest', () => {
    const e = AgentOsError.fromProblems('AOS_POLICY_INVALID', [
      { message: 'unknown field `efect`', place: { file: 'p.yaml', line: 3, col: 5 } },
      { message: 'second' },
    ]);
    expect(e.code).toBe('AOS_POLICY_INVALID');
    expect(e.message).toBe('p.yaml:3:5: unknown field `efect` (and 1 more)');
    expect(e.problems.map(formatProblem)).toEqual(['p.yaml:3:5: unknown field `efect`', 'second']);
  });

  it('refuses to be built from no problems', () => {
    expect(() => AgentOsError.fromProblems('AOS_POLICY_INVALID', [])).toThrow(/no problems/);
  });
});
