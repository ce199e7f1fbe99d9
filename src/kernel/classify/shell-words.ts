/**
 * Shell words after quote removal: what a word would be as an argument, or that it cannot be known statically.
 */
import type { ShNode } from './shell-parser.js';
import { nodeType } from './shell-parser.js';

/** One word of a command line, after quote removal. */
export interface ShellWord {
  /** The literal text after quote removal (for a dynamic word: the literal parts only). */
  readonly value: string;
  /**
   * True when the shell would compute the word at run time: parameter, command, arithmetic or process
   * expansion, or an unquoted glob or brace pattern (which expands to file names or several words).
   */
  readonly dynamic: boolean;
  /** True when the word contains an expansion (not only a pattern); absent means the same as `dynamic`. */
  readonly expands?: boolean;
  /** The literal text before the first expansion (all of `value` when there is none); absent means `''`. */
  readonly prefix?: string;
}

/** Simple `$'…'` escapes (bash `ANSI-C quoting`). */
const ANSI_C_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/**
 * Converts a syntax-tree `Word` into its value after quote removal.
 * INVARIANT: quoted and escaped characters never count as glob or brace syntax; unquoted ones always do.
 */
export function wordOf(word: ShNode): ShellWord {
  let value = '';
  // `shape` is the word as the expander sees it: unquoted characters as-is, quoted ones as `_`
  let shape = '';
  let expands = false;
  let prefix = '';
  const quoted = (text: string): void => {
    value += text;
    shape += '_'.repeat(text.length);
  };
  for (const part of asNodes(word['Parts'])) {
    switch (nodeType(part)) {
      case 'Lit':
        for (const [text, escaped] of unquotedLit(String(part['Value']))) {
          if (escaped) quoted(text);
          else {
            value += text;
            shape += text;
          }
        }
        break;
      case 'SglQuoted':
        quoted(part['Dollar'] === true ? decodeAnsiC(String(part['Value'])) : String(part['Value']));
        break;
      case 'DblQuoted':
        for (const inner of asNodes(part['Parts'])) {
          if (nodeType(inner) === 'Lit') quoted(doubleQuotedLit(String(inner['Value'])));
          else if (!expands) {
            expands = true;
            prefix = value;
          }
        }
        break;
      default:
        // ParamExp, CmdSubst, ArithmExp, ProcSubst, ExtGlob, BraceExp, and anything newer
        if (!expands) prefix = value;
        expands = true;
    }
  }
  return { value, dynamic: expands || isPattern(shape), expands, prefix: expands ? prefix : value };
}

/** True when unquoted text would expand: a glob (`*`, `?`, `[…]`) or a brace list/range (`{a,b}`, `{1..3}`). */
function isPattern(shape: string): boolean {
  return /[*?]|\[[^\]]*\]/.test(shape) || /\{[^{}]*(,|\.\.)[^{}]*\}/.test(shape);
}

/** The nodes of a Go slice field (a JavaScript array), or none. */
export function asNodes(value: unknown): readonly ShNode[] {
  return Array.isArray(value) ? (value as ShNode[]) : [];
}

/** Splits an unquoted literal into characters, marking those a backslash escaped; line continuations vanish. */
function unquotedLit(raw: string): [text: string, escaped: boolean][] {
  const out: [string, boolean][] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] ?? '';
    if (c !== '\\') out.push([c, false]);
    else {
      const next = raw[++i];
      if (next !== undefined && next !== '\n') out.push([next, true]);
    }
  }
  return out;
}

/** Quote removal inside double quotes: a backslash escapes only `$`, `` ` ``, `"`, `\` and newline. */
function doubleQuotedLit(raw: string): string {
  return raw.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c));
}

/** Decodes bash `$'…'` escapes; the result ends at the first NUL, as the C string bash builds does. */
export function decodeAnsiC(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] ?? '';
    if (c !== '\\' || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const e = raw[++i] ?? '';
    const simple = ANSI_C_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
    } else if (/[0-7]/.test(e)) {
      const digits = (e + raw.slice(i + 1, i + 3)).match(/^[0-7]{1,3}/)?.[0] ?? e;
      out += String.fromCharCode(parseInt(digits, 8) & 0xff);
      i += digits.length - 1;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const max = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const digits = raw.slice(i + 1, i + 1 + max).match(/^[0-9a-fA-F]+/)?.[0];
      if (digits === undefined) out += '\\' + e;
      else {
        const code = parseInt(digits, 16);
        out += code <= 0x10ffff ? String.fromCodePoint(code) : '';
        i += digits.length;
      }
    } else if (e === 'c' && i + 1 < raw.length) {
      out += String.fromCharCode((raw.charCodeAt(++i) & 0x1f) >>> 0);
    } else {
      out += '\\' + e;
    }
  }
  const nul = out.indexOf('\0');
  return nul === -1 ? out : out.slice(0, nul);
}
