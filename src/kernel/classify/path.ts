/**
 * Path classifier for `file.*` actions: the resource as a normalised absolute POSIX path.
 *
 * Purely lexical (the kernel does no I/O): `.` and `..` are resolved by name, never above `/`, so a symlink
 * is not followed here; the executor that owns the filesystem must open the same normalised path.
 */
import type { Classification } from '../types.js';
import { MAX_INPUT_LENGTH, describe, quote, unclassifiable } from './result.js';

/** Actions that only observe the filesystem: low risk by default; every other `file.*` action is medium. */
const READ_ONLY_ACTIONS: ReadonlySet<string> = new Set(['file.read', 'file.list', 'file.stat']);

/**
 * Normalises a POSIX path lexically: resolves `.` and `..` (never above `/`), collapses duplicate slashes and
 * drops a trailing slash (except for `/` itself). A relative path is resolved against `/`, not a working
 * directory: the kernel has none, so `etc/passwd` and `../../etc/passwd` both mean `/etc/passwd`.
 * Backslashes and `%2e` are ordinary characters on POSIX and are left alone.
 */
export function normalisePath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    // INVARIANT: `..` at the root stays at the root: popping an empty stack is a no-op
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return '/' + out.join('/');
}

/**
 * Classifies a file path. Facts: `path` (normalised) and `resource` = that path; or `path.error`, critical and
 * `resource: null` (no trustworthy resource: the engine treats it as unknown) when the path is missing, not a string, empty,
 * contains a NUL byte, is over 64 KiB, or `resource` and `args.path` name different paths. Risk: low for
 * `file.read`/`file.list`/`file.stat`, medium otherwise.
 */
export function classifyPath(action: string, resource: unknown, argPath: unknown): Classification {
  const primary = resource ?? argPath;
  const checked = check(primary);
  if (typeof checked !== 'string') return unclassifiable('path', checked.error);
  if (resource !== undefined && argPath !== undefined) {
    const other = check(argPath);
    if (typeof other !== 'string' || other !== checked) {
      return unclassifiable('path', 'the resource and `args.path` name different paths');
    }
  }
  return {
    facts: { path: checked },
    risk: READ_ONLY_ACTIONS.has(action) ? 'low' : 'medium',
    resource: checked,
  };
}

function check(value: unknown): string | { error: string } {
  if (typeof value !== 'string') return { error: `path is ${describe(value)}, not a string` };
  if (value === '') return { error: 'path is empty' };
  if (value.length > MAX_INPUT_LENGTH) return { error: `path is longer than ${MAX_INPUT_LENGTH} characters` };
  if (value.includes('\0')) return { error: `path ${quote(value)} contains a nul byte` };
  return normalisePath(value);
}
