/**
 * Small helpers shared by the classifiers: how an unclassifiable input is reported, and safe argument reads.
 */
import type { Classification } from '../types.js';

/** The largest input (in UTF-16 code units) a classifier parses; anything longer is refused as unparseable. */
export const MAX_INPUT_LENGTH = 64 * 1024;

/** Classifiers whose success replaces the request's resource (the normalised path, the canonical url). */
const RESOURCE_NAMESPACES: ReadonlySet<string> = new Set(['path', 'url']);

/**
 * A classification for input that could not be parsed or resolved: `<namespace>.error` says why, risk is critical.
 * For `path` and `url` the resource is `null`: there is no trustworthy resource (the raw one may be what the
 * agent chose to show, as when `resource` and `args.path` disagree), so the engine lets every restricting
 * resource pattern apply and no allowing one: `/workspace/**` cannot admit the request, `/etc/**` denies it.
 * INVARIANT: every failure path of every classifier goes through here, so none can come out below critical,
 * and none of path or url can hand the engine the raw resource (index.ts's catch included).
 */
export function unclassifiable(
  namespace: string,
  message: string,
  extra: Record<string, unknown> = {},
): Classification {
  const facts = { ...extra, [`${namespace}.error`]: message };
  return RESOURCE_NAMESPACES.has(namespace)
    ? { facts, risk: 'critical', resource: null }
    : { facts, risk: 'critical' };
}

/** Reads an own property of an untrusted value (never one inherited from `Object.prototype`). */
export function ownField(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  // INVARIANT: own properties only: `args.constructor` must not reach `Object.prototype`
  return Object.prototype.hasOwnProperty.call(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** Describes an untrusted value's kind for messages (`missing`, `a number`, `an array`, `null`). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Quotes user input for a one-line message: backticks, newlines escaped, long input cut. */
export function quote(text: string, max = 60): string {
  const oneLine = JSON.stringify(text.length > max ? text.slice(0, max) + '…' : text).slice(1, -1);
  return '`' + oneLine.replace(/`/g, '\\`') + '`';
}
