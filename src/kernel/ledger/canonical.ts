/**
 * RFC 8785 (JCS) canonical JSON, the byte form the ledger MACs, hashes and signs.
 *
 * The `canonicalize` package is lenient in ways that would make two different values share one form (it drops
 * `undefined` members, turns `undefined` array items into `null`, calls `toJSON`), so values are checked
 * strictly first and anything that is not plain JSON is refused with `AOS_LEDGER_BODY_INVALID`.
 *
 * The ledger canonicalises every record it writes and verifies, so the common case takes a fast path (one
 * copy, one native `JSON.stringify`) that gives the same text; anything unusual takes the strict path.
 */
import canonicalize from 'canonicalize';
import { AgentOsError } from '../errors.js';
import type { JsonValue } from './record.js';

/** The RFC 8785 canonical JSON text of `value`; throws `AOS_LEDGER_BODY_INVALID` when it is not plain JSON. */
export function canonicalJson(value: unknown): string {
  return canonicalCopy(value).text;
}

/**
 * The canonical JSON text of `value` and a deep copy of it (plain objects and arrays, keys in canonical
 * order), from one pass. Throws `AOS_LEDGER_BODY_INVALID` when `value` is not plain JSON.
 */
export function canonicalCopy(value: unknown): { readonly text: string; readonly value: JsonValue } {
  const copy = plainCopy(value, 0);
  if (copy !== ODD) return { text: JSON.stringify(copy), value: copy };
  const text = strictCanonicalJson(value);
  return { text, value: JSON.parse(text) as JsonValue };
}

/** The one path for everything the fast copy declines: exact checks, exact messages, the library's text. */
function strictCanonicalJson(value: unknown): string {
  assertJson(value, '$', new Set());
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (e) {
    // Lone surrogates are the one thing only the library checks.
    throw new AgentOsError(
      'AOS_LEDGER_BODY_INVALID',
      `not canonical JSON: ${(e as Error).message.toLowerCase()}`,
      {
        cause: e,
      },
    );
  }
  if (text === undefined)
    throw new AgentOsError('AOS_INTERNAL', 'canonicalize returned nothing for a JSON value');
  return text;
}

/** What `plainCopy` returns for anything it leaves to the strict path. */
const ODD: unique symbol = Symbol('odd');
/** Deeper values take the strict path; a cycle is infinitely deep, so the fast path needs no cycle check. */
const MAX_FAST_DEPTH = 128;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

// `String.prototype.isWellFormed` is ES2024 (Node ≥ 20); the project's lib is ES2023.
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * The fast path: a deep copy of plain JSON whose objects get their keys inserted in canonical (UTF-16 code
 * unit) order, so that the engine's `JSON.stringify` of the copy *is* the RFC 8785 text: JCS serialises
 * strings and finite numbers exactly as `JSON.stringify` does, and a plain object's own keys enumerate in
 * insertion order unless they look like array indices. So it declines (returns `ODD`, and the strict path
 * decides) anything else: a key starting with a digit or named `__proto__`, a lone surrogate, a value that
 * is not finite, not plain or too deep, a hole, `toJSON`, a symbol key. `canonical.test.ts` checks the
 * text against the `canonicalize` library for random values.
 */
function plainCopy(v: unknown, depth: number): JsonValue | typeof ODD {
  switch (typeof v) {
    case 'string':
      return wellFormed(v) ? v : ODD;
    case 'number':
      // -0 becomes 0, as it would through the text (JCS writes it as `0`)
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : ODD;
    case 'boolean':
      return v;
    case 'object':
      break;
    default:
      return ODD;
  }
  if (v === null) return null;
  if (depth >= MAX_FAST_DEPTH) return ODD;
  if (Array.isArray(v)) {
    const a = v as unknown[] & { toJSON?: unknown };
    if (Object.getPrototypeOf(a) !== Array.prototype || a.toJSON !== undefined) return ODD;
    const out: JsonValue[] = new Array<JsonValue>(a.length);
    for (let i = 0; i < a.length; i++) {
      if (!(i in a)) return ODD;
      const item = plainCopy(a[i], depth + 1);
      if (item === ODD) return ODD;
      out[i] = item;
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if ((proto !== Object.prototype && proto !== null) || 'toJSON' in v) return ODD;
  if (Object.getOwnPropertySymbols(v).length !== 0) return ODD;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  const out: Record<string, JsonValue> = {};
  for (const k of keys) {
    const c = k.charCodeAt(0);
    if ((c >= DIGIT_0 && c <= DIGIT_9) || k === '__proto__' || !wellFormed(k)) return ODD;
    const item = plainCopy(o[k], depth + 1);
    if (item === ODD) return ODD;
    out[k] = item;
  }
  return out;
}

/** The canonical JSON text of a string, or `undefined` when it holds a lone surrogate (canonical JSON refuses those). */
export function canonicalString(s: string): string | undefined {
  return wellFormed(s) ? JSON.stringify(s) : undefined;
}

/** True when `value` is plain JSON that `canonicalJson` accepts. */
export function isCanonicalisable(value: unknown): value is JsonValue {
  try {
    canonicalJson(value);
    return true;
  } catch {
    return false;
  }
}

function bad(path: string, what: string): AgentOsError {
  return new AgentOsError('AOS_LEDGER_BODY_INVALID', `not canonical JSON at \`${path}\`: ${what}`);
}

function assertJson(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw bad(path, `${value} is not a finite number`);
      return;
    case 'undefined':
      throw bad(path, 'undefined');
    case 'function':
      throw bad(path, 'a function');
    case 'symbol':
      throw bad(path, 'a symbol');
    case 'bigint':
      throw bad(path, 'a bigint');
  }
  if (value === null) return;
  const obj = value as object;
  if (ancestors.has(obj)) throw bad(path, 'a cycle');
  ancestors.add(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      if (!(i in obj)) throw bad(`${path}[${i}]`, 'a hole in a sparse array');
      assertJson(obj[i], `${path}[${i}]`, ancestors);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) throw bad(path, 'not a plain object');
    if (Object.getOwnPropertySymbols(obj).length > 0) throw bad(path, 'a symbol key');
    if ('toJSON' in obj) throw bad(path, 'an object with `toJSON`');
    for (const [k, v] of Object.entries(obj)) assertJson(v, `${path}.${k}`, ancestors);
  }
  ancestors.delete(obj);
}
