/**
 * Globs for actions and resources, compiled once.
 *
 * - Actions are dotted: `*` is one segment (`hr.*.read`), `**` any number (`mcp.**`).
 * - Resources are paths or URIs: `*` stays within a `/` segment, `**` crosses them (`/prod/**`).
 *
 * Both are picomatch globs (braces `{a,b}` work too); an action is matched with its dots read as slashes.
 */
import picomatch from 'picomatch';

/** A compiled glob: true when the subject matches. */
export type GlobTest = (subject: string) => boolean;

const OPTIONS = { dot: true, noextglob: true } as const;

/** True when the text has glob syntax; a plain string is matched by equality. */
export function hasGlobSyntax(pattern: string): boolean {
  return picomatch.scan(pattern).isGlob;
}

/** Compiles a resource (or value) glob. Throws on a pattern picomatch cannot compile. */
export function compileResourceGlob(pattern: string): GlobTest {
  if (pattern === '**') return () => true;
  if (!hasGlobSyntax(pattern)) return (s) => s === pattern;
  const re = picomatch.makeRe(pattern, OPTIONS);
  return (s) => re.test(s);
}

/** Compiles an action glob (`payments.*`, `mcp.**`, `hr.*.read`). */
export function compileActionGlob(pattern: string): GlobTest {
  if (pattern === '**') return () => true;
  if (!hasGlobSyntax(pattern)) return (s) => s === pattern;
  const re = picomatch.makeRe(pattern.replaceAll('.', '/'), OPTIONS);
  return (s) => re.test(s.replaceAll('.', '/'));
}
