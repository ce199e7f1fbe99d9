/**
 * Builtins that take variable names or arithmetic as arguments, seen as words after quote removal (so
 * also when run through `builtin`, `command` or `eval`): `read`, `mapfile`/`readarray`, `printf -v`,
 * `getopts`, `wait -p`, `unset`, `test -v`/`[ -v`, `let` and the declaration builtins. Each named variable
 * is checked as a name (a subscript in it is arithmetic, and PATH & co. are refused) and, when the builtin
 * fills it from input, recorded as holding a run-time value.
 */
import { quote } from './result.js';
import type { ShellWord } from './shell-words.js';
import type { VarFindings } from './shell-vars.js';
import { assign, checkArithText, checkDeclaration, checkName } from './shell-vars.js';

const DECLARATIONS: ReadonlySet<string> = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);

/** Options (getopt style) of a builtin: the values of valued options, and the words after them. */
interface Options {
  readonly values: readonly [letter: string, value: ShellWord | undefined][];
  readonly flags: string;
  readonly rest: readonly ShellWord[];
  /** An option word computed at run time (`-v"$n"`). */
  readonly computed?: ShellWord;
}

/** Reads a builtin's options; an option computed at run time makes the line dynamic (and reads as none). */
function options(name: string, args: readonly ShellWord[], valued: string, found: VarFindings): Options {
  const o = readOptions(args, valued);
  if (o.computed !== undefined) {
    found.dynamic ??= `${quote(name)} option ${quote(o.computed.value || '…')} is computed at run time`;
  }
  return o;
}

function readOptions(args: readonly ShellWord[], valued: string): Options {
  const values: [string, ShellWord | undefined][] = [];
  let flags = '';
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as ShellWord;
    // an option with a computed part (`-v"$n"`) may name any variable: refused by the caller
    if (a.dynamic && (a.prefix ?? '').startsWith('-')) return { values, flags, rest: [], computed: a };
    // a word computed entirely may be anything: it is read as an operand, which the caller checks as a name
    if (a.dynamic || !/^-./.test(a.value)) break;
    if (a.value === '--') {
      i++;
      break;
    }
    for (let k = 1; k < a.value.length; k++) {
      const letter = a.value[k] ?? '';
      if (!valued.includes(letter)) {
        flags += letter;
        continue;
      }
      const attached = a.value.slice(k + 1);
      values.push([letter, attached !== '' ? { value: attached, dynamic: false } : args[++i]]);
      break;
    }
  }
  return { values, flags, rest: args.slice(i) };
}

/** A variable a builtin fills from input: checked as a name, and its value is only known at run time. */
function filled(word: ShellWord | undefined, where: string, found: VarFindings): void {
  if (word === undefined) return;
  const name = checkName(word, where, found);
  if (name !== undefined) assign(name, undefined, found);
}

/**
 * Checks a builtin that names variables or evaluates arithmetic; returns the code `mapfile -C` runs for each
 * line, when given (the caller analyses it).
 */
export function checkNamingBuiltin(
  name: string,
  args: readonly ShellWord[],
  found: VarFindings,
): ShellWord | undefined {
  const where = quote(name);
  if (DECLARATIONS.has(name)) {
    checkDeclaration(name, args, found);
    return undefined;
  }
  switch (name) {
    case 'read': {
      const o = options(name, args, 'adinNptu', found);
      for (const [letter, value] of o.values) if (letter === 'a') filled(value, where, found);
      for (const w of o.rest) filled(w, where, found);
      return undefined;
    }
    case 'mapfile':
    case 'readarray': {
      const o = options(name, args, 'dnOsuCc', found);
      filled(o.rest[0], where, found);
      return o.values.find(([letter]) => letter === 'C')?.[1] ?? undefined;
    }
    case 'printf':
      for (const [, value] of options(name, args, 'v', found).values)
        filled(value, quote('printf -v'), found);
      return undefined;
    case 'getopts':
      filled(options(name, args, '', found).rest[1], where, found);
      return undefined;
    case 'wait':
      for (const [, value] of options(name, args, 'p', found).values) filled(value, quote('wait -p'), found);
      return undefined;
    case 'unset': {
      const o = options(name, args, '', found);
      if (!o.flags.includes('f')) for (const w of o.rest) checkName(w, where, found);
      return undefined;
    }
    case 'test':
    case '[':
      args.forEach((a, i) => {
        const next = args[i + 1];
        if (a.value === '-v' && !a.dynamic && next !== undefined) checkName(next, quote(`${name} -v`), found);
      });
      return undefined;
    case 'let':
      for (const a of args) {
        if (a.dynamic)
          found.dynamic ??= `${where} evaluates text computed at run time: ${quote(a.value || '…')}`;
        else checkArithText(a.value, where, found);
      }
      return undefined;
    default:
      return undefined;
  }
}

/** True for the builtins `checkNamingBuiltin` reads. */
export function namesVariables(name: string): boolean {
  return (
    DECLARATIONS.has(name) || /^(read|mapfile|readarray|printf|getopts|wait|unset|test|\[|let)$/.test(name)
  );
}
