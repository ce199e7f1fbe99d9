/**
 * RFC 8785 (JCS) canonical JSON, the byte form the ledger MACs, hashes and signs.
 *
 * The `canonicalize` package is lenient in ways that would make two different values share one form (it drops
 * `undefined` members, turns `undefined` array items into `null`, calls `toJSON`), so values are checked
 * strictly first and anything that is not plain JSON is refused with `AOS_LEDGER_BODY_INVALID`.
 */
import canonicalize from 'canonicalize';
import { AgentOsError } from '../errors.js';
import type { JsonValue } from './record.js';

/** The RFC 8785 canonical JSON text of `value`; throws `AOS_LEDGER_BODY_INVALID` when it is not plain JSON. */
export function canonicalJson(value: unknown): string {
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
