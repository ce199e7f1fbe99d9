/**
 * `when` clauses: a path and a matcher, compiled once into a test.
 *
 * A matcher is a literal (equality) or a map of operators that must all hold:
 * `eq ne in notIn gt gte lt lte matches glob anyOf allOf exists`.
 *
 * On list-valued facts (`sql.statements`, `shell.commands`): `anyOf` holds when some element is listed,
 * `allOf` when every listed value is present, `in` when *every* element is listed (only these kinds
 * of statement), `notIn` when none is, and `matches`/`glob` when *some* element matches.
 *
 * A clause never throws. A value of the wrong type (a string where a number is compared) is an *error*,
 * which makes the whole decision deny: an agent must not dodge a rule by changing an argument's type.
 * A missing value is not an error: it fails every operator except `ne`, `notIn` and `exists: false`.
 */
import { compileResourceGlob } from './glob.js';
import type { EvalContext, PathReader } from './paths.js';
import { compilePath } from './paths.js';
import { RISK_LEVELS, riskRank } from '../types.js';
import type { RiskLevel } from '../types.js';

/** Operators a matcher may use. */
export const OPERATORS = [
  'eq',
  'ne',
  'in',
  'notIn',
  'gt',
  'gte',
  'lt',
  'lte',
  'matches',
  'glob',
  'anyOf',
  'allOf',
  'exists',
] as const;
/** One operator. */
export type Operator = (typeof OPERATORS)[number];

/** A clause's outcome: holds, does not hold, or an error message (the value had the wrong type). */
export type ClauseOutcome = boolean | string;

/** A compiled `when` clause. */
export interface Clause {
  readonly path: string;
  /** Human-readable form, e.g. `args.amount gt 10000`. */
  readonly text: string;
  readonly read: PathReader;
  test(value: unknown): ClauseOutcome;
}

/** A problem in a clause, with the key it concerns (for its place). */
export interface ClauseProblem {
  readonly message: string;
  /** The operator whose operand is wrong, when the problem is in one. */
  readonly operator?: string;
}

type Test = (value: unknown) => ClauseOutcome;

/** Compiles one `path: matcher` entry; returns the clause or its problems. */
export function compileClause(path: string, spec: unknown): Clause | ClauseProblem[] {
  const read = compilePath(path);
  if (typeof read === 'string') return [{ message: read }];
  const isRisk = path === 'risk';
  const problems: ClauseProblem[] = [];
  const tests: Test[] = [];
  const parts: string[] = [];
  if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
    const entries = Object.entries(spec);
    if (entries.length === 0) problems.push({ message: `matcher for \`${path}\` is empty` });
    for (const [op, operand] of entries) {
      if (!(OPERATORS as readonly string[]).includes(op)) {
        problems.push({
          message: `unknown operator \`${op}\` for \`${path}\`: use one of ${OPERATORS.join(', ')}`,
          operator: op,
        });
        continue;
      }
      const t = compileOperator(op as Operator, operand, path, isRisk);
      if (typeof t === 'string') problems.push({ message: t, operator: op });
      else {
        tests.push(t);
        parts.push(`${op} ${JSON.stringify(operand)}`);
      }
    }
  } else {
    tests.push(equalsTest(spec, false));
    parts.push(`eq ${JSON.stringify(spec)}`);
  }
  if (problems.length > 0) return problems;
  const only = tests.length === 1 ? tests[0] : undefined;
  return {
    path,
    read,
    text: `${path} ${parts.join(' and ')}`,
    test: only
      ? only
      : (value) => {
          for (const t of tests) {
            const r = t(value);
            if (r !== true) return r;
          }
          return true;
        },
  };
}

/** Evaluates a clause against a context. */
export function evaluateClause(clause: Clause, ctx: EvalContext): ClauseOutcome {
  return clause.test(clause.read(ctx));
}

function compileOperator(op: Operator, operand: unknown, path: string, isRisk: boolean): Test | string {
  switch (op) {
    case 'eq':
      return equalsTest(operand, false);
    case 'ne':
      return equalsTest(operand, true);
    case 'in':
    case 'notIn':
    case 'anyOf':
    case 'allOf': {
      if (!Array.isArray(operand) || operand.length === 0 || !operand.every(isScalar)) {
        return `\`${op}\` for \`${path}\` needs a non-empty list of values`;
      }
      return setTest(op, new Set(operand), path);
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return isRisk ? riskCompare(op, operand) : numberCompare(op, operand, path);
    case 'matches': {
      if (typeof operand !== 'string') return `\`matches\` for \`${path}\` needs a regular expression string`;
      let re: RegExp;
      try {
        re = new RegExp(operand, 'u');
      } catch (e) {
        // V8 says "Invalid regular expression: /([/u: Unterminated character class": keep the last part
        const why = (e as Error).message.split(': ').pop() ?? '';
        return `\`matches\` for \`${path}\` is not a valid regular expression: ${why.toLowerCase()}`;
      }
      return stringTest((s) => re.test(s), path, 'matches');
    }
    case 'glob': {
      if (typeof operand !== 'string' || operand === '')
        return `\`glob\` for \`${path}\` needs a pattern string`;
      let g: (s: string) => boolean;
      try {
        g = compileResourceGlob(operand);
      } catch (e) {
        return `\`glob\` for \`${path}\` is not a valid pattern: ${(e as Error).message}`;
      }
      return stringTest(g, path, 'glob');
    }
    case 'exists':
      if (typeof operand !== 'boolean') return `\`exists\` for \`${path}\` needs true or false`;
      return (v) => (v !== undefined) === operand;
  }
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function equalsTest(operand: unknown, negate: boolean): Test {
  if (isScalar(operand)) return negate ? (v) => v !== operand : (v) => v === operand;
  return negate ? (v) => !deepEqual(v, operand) : (v) => deepEqual(v, operand);
}

function setTest(op: 'in' | 'notIn' | 'anyOf' | 'allOf', set: ReadonlySet<unknown>, path: string): Test {
  const typeError = (v: unknown): string =>
    `\`${path}\` is ${describe(v)}, \`${op}\` needs a value or a list of values`;
  switch (op) {
    case 'in':
      return (v) => {
        if (v === undefined) return false;
        if (Array.isArray(v)) return v.length > 0 && v.every((x) => set.has(x));
        return isScalar(v) ? set.has(v) : typeError(v);
      };
    case 'notIn':
      return (v) => {
        if (v === undefined) return true;
        if (Array.isArray(v)) return !v.some((x) => set.has(x));
        return isScalar(v) ? !set.has(v) : typeError(v);
      };
    case 'anyOf':
      return (v) => {
        if (v === undefined) return false;
        if (Array.isArray(v)) return v.some((x) => set.has(x));
        return isScalar(v) ? set.has(v) : typeError(v);
      };
    case 'allOf':
      return (v) => {
        if (v === undefined) return false;
        if (Array.isArray(v)) {
          for (const want of set) if (!v.includes(want)) return false;
          return true;
        }
        if (!isScalar(v)) return typeError(v);
        for (const want of set) if (want !== v) return false;
        return true;
      };
  }
}

function numberCompare(op: 'gt' | 'gte' | 'lt' | 'lte', operand: unknown, path: string): Test | string {
  if (typeof operand !== 'number' || !Number.isFinite(operand))
    return `\`${op}\` for \`${path}\` needs a number`;
  const cmp = comparator(op, operand);
  return (v) => {
    if (v === undefined) return false;
    if (typeof v !== 'number' || Number.isNaN(v))
      return `\`${path}\` is ${describe(v)}, \`${op}\` needs a number`;
    return cmp(v);
  };
}

function riskCompare(op: 'gt' | 'gte' | 'lt' | 'lte', operand: unknown): Test | string {
  if (typeof operand !== 'string' || !(RISK_LEVELS as readonly string[]).includes(operand)) {
    return `\`${op}\` for \`risk\` needs a risk level: ${RISK_LEVELS.join(', ')}`;
  }
  const cmp = comparator(op, riskRank(operand as RiskLevel));
  return (v) => cmp(riskRank(v as RiskLevel));
}

function comparator(op: 'gt' | 'gte' | 'lt' | 'lte', bound: number): (n: number) => boolean {
  switch (op) {
    case 'gt':
      return (n) => n > bound;
    case 'gte':
      return (n) => n >= bound;
    case 'lt':
      return (n) => n < bound;
    case 'lte':
      return (n) => n <= bound;
  }
}

function stringTest(test: (s: string) => boolean, path: string, op: string): Test {
  return (v) => {
    if (v === undefined) return false;
    if (typeof v === 'string') return test(v);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.some(test);
    return `\`${path}\` is ${describe(v)}, \`${op}\` needs a string`;
  };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  const t = typeof v;
  const shown = t === 'object' ? '' : ` (\`${String(v).slice(0, 40)}\`)`;
  return `${t === 'object' ? 'an object' : `a ${t}`}${shown}`;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
