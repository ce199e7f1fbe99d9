/**
 * Globs for actions, resources and values, compiled once to anchored regular expressions.
 *
 * The dialect is deliberately small, so policy authors can predict it:
 * - `*` matches any run of characters within one segment, `?` exactly one;
 * - `**` as a whole segment matches any number of segments, none included (`/prod/**` matches `/prod`
 *   and `/prod/a/b`; a `**` segment between `a/` and `/b` matches `a/b` and `a/x/y/b`); elsewhere it acts as `*`;
 * - `{a,b}` matches either alternative (alternatives may nest and hold wildcards);
 * - `\` escapes the next character; a leading `!` negates the whole pattern;
 * - everything else is literal, case-sensitive. `.` and `..` are not special: file paths are normalised
 *   before matching, and other resources with such segments are treated as unknown by the engine.
 *
 * Segments are separated by `/` in resources and values, by `.` in action names (`hr.*.read`, `mcp.**`).
 * (picomatch, which this replaces, refuses to let wildcards match `.`/`..` segments — a help for file
 * globbing, but for a deny rule a non-match is the unsafe outcome — and its guards cost ~100 ns a test.)
 */

/** A compiled glob: true when the subject matches. */
export type GlobTest = (subject: string) => boolean;

/** True when the text has glob syntax; a plain string is matched by equality. */
export function hasGlobSyntax(pattern: string): boolean {
  return pattern.startsWith('!') || /(^|[^\\])[*?{]/.test(pattern) || pattern.includes('\\');
}

/** Compiles a resource (or value) glob; `/` separates segments. Throws on a malformed pattern. */
export function compileResourceGlob(pattern: string): GlobTest {
  return compile(pattern, '/');
}

/** Compiles an action glob (`payments.*`, `mcp.**`, `hr.*.read`); `.` separates segments. */
export function compileActionGlob(pattern: string): GlobTest {
  return compile(pattern, '.');
}

/** The regular expression a glob compiles to (exported for tests and explanations). */
export function globToRegExp(pattern: string, separator: '/' | '.'): RegExp {
  const body = pattern.startsWith('!') ? pattern.slice(1) : pattern;
  return new RegExp(`^(?:${translate(body, separator)})$`, 's');
}

function compile(pattern: string, separator: '/' | '.'): GlobTest {
  const negated = pattern.startsWith('!');
  if (pattern === '**') return () => true;
  if (!hasGlobSyntax(pattern)) return (s) => s === pattern;
  const re = globToRegExp(pattern, separator);
  if (negated) return (s) => !re.test(s);
  // a literal prefix followed by `/**`: a string comparison, no regular expression
  const prefix = pattern.slice(0, -3);
  if (pattern.endsWith(separator + '**') && prefix !== '' && !hasGlobSyntax(prefix)) {
    const withSep = prefix + separator;
    return (s) => s === prefix || s.startsWith(withSep);
  }
  return (s) => re.test(s);
}

function translate(glob: string, sep: string): string {
  const any = `[^${escape(sep)}]`;
  const s = escape(sep);
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '\\') {
      const next = glob[i + 1];
      if (next === undefined) throw new Error('a pattern cannot end with `\\`');
      out += escape(next);
      i++;
    } else if (c === '*' && glob[i + 1] === '*') {
      const startsSegment = i === 0 || glob[i - 1] === sep;
      const endsSegment = i + 2 === glob.length || glob[i + 2] === sep;
      if (startsSegment && endsSegment) {
        if (i + 2 === glob.length) {
          // `…/**` at the end: the separator before it is optional with it (`/prod/**` matches `/prod`)
          if (i === 0) out = '.*';
          else if (i === 1)
            out += '.*'; // `/**` alone: the root and everything below it, not ''
          else out = out.slice(0, -s.length) + `(?:${s}.*)?`;
        } else {
          // `**/` at the start or `/**/` inside: zero or more whole segments
          out += `(?:.*${s})?`;
          i++; // the separator after `**` is part of the group
        }
      } else out += `${any}*`;
      i++;
    } else if (c === '*') out += `${any}*`;
    else if (c === '?') out += any;
    else if (c === '{') {
      const close = matchingBrace(glob, i);
      const alternatives = splitTopLevel(glob.slice(i + 1, close));
      out += `(?:${alternatives.map((a) => translate(a, sep)).join('|')})`;
      i = close;
    } else out += escape(c);
  }
  return out;
}

function matchingBrace(glob: string, open: number): number {
  let depth = 0;
  for (let i = open; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  throw new Error('`{` without `}`');
}

function splitTopLevel(inner: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(inner.slice(start));
  return parts;
}

function escape(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
