import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileClause } from './matcher.js';
import type { Clause } from './matcher.js';

function clause(path: string, spec: unknown): Clause {
  const c = compileClause(path, spec);
  if (Array.isArray(c)) throw new Error(c.map((p) => p.message).join('; '));
  return c;
}
const t = (path: string, spec: unknown, value: unknown) => clause(path, spec).test(value);

describe('matchers', () => {
  it('a literal means equality', () => {
    expect(t('args.env', 'prod', 'prod')).toBe(true);
    expect(t('args.env', 'prod', 'Prod')).toBe(false);
    expect(t('args.n', 3, 3)).toBe(true);
    expect(t('args.n', 3, '3')).toBe(false);
    expect(t('args.tags', ['a', 'b'], ['a', 'b'])).toBe(true);
    expect(t('args.tags', ['a', 'b'], ['b', 'a'])).toBe(false);
  });

  it('eq and ne compare deeply', () => {
    expect(t('args.o', { eq: { a: [1, { b: 2 }] } }, { a: [1, { b: 2 }] })).toBe(true);
    expect(t('args.o', { eq: { a: 1 } }, { a: 1, b: 2 })).toBe(false);
    expect(t('args.o', { ne: 'x' }, 'y')).toBe(true);
    expect(t('args.o', { ne: 'x' }, 'x')).toBe(false);
    expect(t('args.o', { ne: 'x' }, undefined)).toBe(true);
  });

  it('in and notIn: scalars, and lists where every / no element is listed', () => {
    expect(t('args.app', { in: ['slack', 'jira'] }, 'jira')).toBe(true);
    expect(t('args.app', { in: ['slack', 'jira'] }, 'prod-db')).toBe(false);
    expect(t('sql.statements', { in: ['select'] }, ['select', 'select'])).toBe(true);
    expect(t('sql.statements', { in: ['select'] }, ['select', 'delete'])).toBe(false);
    expect(t('sql.statements', { in: ['select'] }, [])).toBe(false);
    expect(t('args.app', { in: ['slack'] }, undefined)).toBe(false);
    expect(t('args.app', { notIn: ['slack'] }, 'jira')).toBe(true);
    expect(t('args.app', { notIn: ['slack'] }, undefined)).toBe(true);
    expect(t('shell.commands', { notIn: ['rm'] }, ['ls', 'rm'])).toBe(false);
    expect(t('args.app', { in: ['slack'] }, { app: 'slack' })).toMatch(/an object/);
  });

  it('anyOf and allOf', () => {
    expect(t('sql.statements', { anyOf: ['drop', 'delete'] }, ['select', 'delete'])).toBe(true);
    expect(t('sql.statements', { anyOf: ['drop', 'delete'] }, ['select'])).toBe(false);
    expect(t('args.level', { anyOf: ['admin'] }, 'admin')).toBe(true);
    expect(t('args.roles', { allOf: ['a', 'b'] }, ['b', 'c', 'a'])).toBe(true);
    expect(t('args.roles', { allOf: ['a', 'b'] }, ['a'])).toBe(false);
    expect(t('args.role', { allOf: ['a'] }, 'a')).toBe(true);
    expect(t('args.role', { allOf: ['a', 'b'] }, 'a')).toBe(false);
    expect(t('args.role', { anyOf: ['a'] }, undefined)).toBe(false);
  });

  it('gt gte lt lte compare numbers; a wrong type is an error, a missing value is not', () => {
    expect(t('args.amount', { gt: 10 }, 11)).toBe(true);
    expect(t('args.amount', { gt: 10 }, 10)).toBe(false);
    expect(t('args.amount', { gte: 10 }, 10)).toBe(true);
    expect(t('args.amount', { lt: 10 }, 9.5)).toBe(true);
    expect(t('args.amount', { lte: 10 }, 10)).toBe(true);
    expect(t('args.amount', { gt: 10, lt: 20 }, 15)).toBe(true);
    expect(t('args.amount', { gt: 10, lt: 20 }, 25)).toBe(false);
    expect(t('args.amount', { gt: 10 }, undefined)).toBe(false);
    expect(t('args.amount', { gt: 10 }, '20000')).toBe(
      '`args.amount` is a string (`20000`), `gt` needs a number',
    );
    expect(t('args.amount', { gt: 10 }, Number.NaN)).toMatch(/needs a number/);
    expect(t('args.amount', { gt: 10 }, [20])).toMatch(/a list/);
  });

  it('risk compares by level', () => {
    expect(t('risk', { gte: 'high' }, 'critical')).toBe(true);
    expect(t('risk', { gte: 'high' }, 'medium')).toBe(false);
    expect(t('risk', { lt: 'medium' }, 'low')).toBe(true);
  });

  it('matches and glob test strings, and some element of a list', () => {
    expect(t('args.to', { matches: '@acme\\.test$' }, 'a@acme.test')).toBe(true);
    expect(t('args.to', { matches: '@acme\\.test$' }, 'a@acme.test.evil')).toBe(false);
    expect(t('args.to', { glob: '*@acme.test' }, 'a@acme.test')).toBe(true);
    expect(t('url.host', { glob: '*.vendor.example' }, 'okta.vendor.example')).toBe(true);
    expect(t('url.host', { glob: '*.vendor.example' }, 'vendor.example.evil.test')).toBe(false);
    expect(t('shell.commands', { glob: 'git*' }, ['ls', 'git-lfs'])).toBe(true);
    expect(t('args.to', { glob: '*' }, 42)).toMatch(/needs a string/);
    expect(t('args.to', { matches: 'x' }, undefined)).toBe(false);
  });

  it('exists', () => {
    expect(t('args.ticket', { exists: true }, 'T-1')).toBe(true);
    expect(t('args.ticket', { exists: true }, undefined)).toBe(false);
    expect(t('args.ticket', { exists: false }, undefined)).toBe(true);
    expect(t('args.ticket', { exists: true }, null)).toBe(true);
  });

  it('rejects bad matchers with a message naming the operator', () => {
    const problems = (path: string, spec: unknown) => {
      const c = compileClause(path, spec);
      return Array.isArray(c) ? c.map((p) => p.message) : [];
    };
    expect(problems('args.a', { bigger: 1 })).toEqual([expect.stringContaining('unknown operator `bigger`')]);
    expect(problems('args.a', { gt: 'ten' })).toEqual(['`gt` for `args.a` needs a number']);
    expect(problems('args.a', { in: 'slack' })).toEqual([
      '`in` for `args.a` needs a non-empty list of values',
    ]);
    expect(problems('args.a', { in: [] })).toHaveLength(1);
    expect(problems('args.a', { matches: '(' })).toEqual([
      expect.stringContaining('not a valid regular expression'),
    ]);
    expect(problems('args.a', { exists: 'yes' })).toHaveLength(1);
    expect(problems('args.a', {})).toEqual(['matcher for `args.a` is empty']);
    expect(problems('risk', { gt: 'severe' })).toEqual([expect.stringContaining('needs a risk level')]);
    expect(problems('bogus.path', 1)).toEqual([expect.stringContaining('unknown path `bogus.path`')]);
    expect(problems('agent.salary', 1)).toEqual([expect.stringContaining('is not one of')]);
    expect(problems('args', 1)).toEqual([expect.stringContaining('must name a field')]);
  });

  it('never throws, whatever the value', () => {
    const specs = [
      { gt: 1 },
      { in: ['a', 1] },
      { notIn: ['a'] },
      { anyOf: ['a'] },
      { allOf: ['a', 'b'] },
      { matches: '^a' },
      { glob: 'a/**' },
      { exists: true },
      { eq: { a: [1] } },
      'x',
    ];
    const compiled = specs.map((s) => clause('args.v', s));
    fc.assert(
      fc.property(fc.anything(), (v) => {
        for (const c of compiled) {
          const r = c.test(v);
          expect(typeof r === 'boolean' || typeof r === 'string').toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
