/**
 * Variables in a shell command line: assignments that change what commands run (PATH, LD_PRELOAD, …), and
 * values bash evaluates as code.
 *
 * Bash evaluates a variable's value as an arithmetic expression wherever the variable is used in arithmetic
 * (`(( x ))`, `$((x + 1))`, `[[ $x -eq 1 ]]`, `a[x]`, `${s:x}`, assignments to `declare -i` variables), and an
 * array subscript inside that value runs its command substitutions: after `x='a[$(rm -rf /)]'`, `(( x ))`
 * runs `rm`. Variable names given to builtins (`read NAME`, `printf -v NAME`, `unset NAME`, `[[ -v NAME ]]`,
 * `declare 'NAME=…'`) are evaluated the same way when they carry a subscript.
 *
 * Decision: a variable is *run-time* when this line gives it a value that is not a literal integer (from
 * `read`, `$(…)`, a loop over words, any string), or when bash sets it from run-time data (positional
 * parameters, `REPLY`, `OPTARG`, `MAPFILE`, `BASH_REMATCH`, `$_`, `PWD`, …), or when the line sources a file
 * (which may assign anything). Evaluating a run-time variable as arithmetic makes the line dynamic. Variables
 * the line never assigns come from the executor's environment and are trusted: `(( i++ ))` alone is fine.
 * The analysis is flow-insensitive: an assignment anywhere in the line (nested shells, functions, `eval`
 * code included) counts everywhere.
 */
import { quote } from './result.js';
import type { ShNode } from './shell-parser.js';
import { nodeType } from './shell-parser.js';
import type { ShellWord } from './shell-words.js';
import { asNodes, wordOf } from './shell-words.js';

/** Variables that change which program a name runs or inject code into shells and the dynamic linker. */
const HIJACKING_VARIABLES: ReadonlySet<string> = new Set([
  'PATH', 'IFS', 'BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS', 'PS4', 'PROMPT_COMMAND',
  'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT',
]); // prettier-ignore

/** Variables bash sets from run-time data (input, matches, directories, arguments). */
const RUNTIME_VARIABLES: ReadonlySet<string> = new Set([
  'REPLY', 'OPTARG', 'MAPFILE', 'BASH_REMATCH', '_', 'PWD', 'OLDPWD', 'BASH_COMMAND', 'BASH_ARGV',
  'BASH_EXECUTION_STRING', 'READLINE_LINE', 'COMP_LINE', 'COMP_WORDS', '@', '*',
]); // prettier-ignore

/** A value bash reads as a plain integer (empty is 0). */
const INTEGER = /^\s*[-+]?\s*(?:0[xX][0-9a-fA-F]+|[0-9]+(?:#[0-9A-Za-z@_]+)?)?\s*$/;
/** Characters that make bash expand text it evaluates as arithmetic or re-reads as an array value. */
const CODE = /[$`]/;

/** What a command line does with variables. */
export interface Variables {
  /** Variables given a value that is not a literal integer; the value when it is literal and holds code. */
  readonly runtime: Map<string, string | undefined>;
  /** Variables declared with the integer attribute: every value assigned to them is arithmetic. */
  readonly integer: Set<string>;
  /** Variables whose values are evaluated as arithmetic, and where. */
  readonly evaluated: { readonly name: string; readonly where: string }[];
  /** True when code the classifier cannot see may assign any variable (`source file`). */
  unseenAssignments: boolean;
}

/** The part of the classifier's findings variables report to. */
export interface VarFindings {
  dynamic?: string | undefined;
  error?: string | undefined;
  readonly vars: Variables;
  /** Code bash would run that sits in quoted text (`'a[$(rm -rf /)]'`): parsed later for its commands. */
  readonly hidden: string[];
}

export function newVariables(): Variables {
  return { runtime: new Map(), integer: new Set(), evaluated: [], unseenAssignments: false };
}

/** Refuses assignments to variables that change what commands run. */
export function checkVariable(name: string, found: VarFindings): void {
  if (HIJACKING_VARIABLES.has(name) || name.startsWith('BASH_FUNC_')) {
    found.error ??= `assignment to ${quote(name)} changes what commands run`;
  }
}

/** Records that `name` (or `name[sub]`) is assigned `value` (undefined: only known at run time). */
export function assign(name: string, value: string | undefined, found: VarFindings): void {
  const base = baseName(name);
  checkVariable(base, found);
  if (value !== undefined && INTEGER.test(value)) return;
  const held = value !== undefined && CODE.test(value) ? value : found.vars.runtime.get(base);
  found.vars.runtime.set(base, held);
}

/** Records that bash evaluates the value of `name` as arithmetic (checked once the whole line is read). */
export function evaluates(name: string, where: string, found: VarFindings): void {
  found.vars.evaluated.push({ name: baseName(name), where });
}

/**
 * Literal text bash evaluates as arithmetic (`let 'x=a[…]'`, `(( 'a[…]' ))`, a literal subscript): a `$`
 * or backtick in it is expanded, so the line is dynamic; names in it are evaluated variables.
 */
export function checkArithText(text: string, where: string, found: VarFindings): void {
  if (CODE.test(text)) {
    found.dynamic ??= `${where} evaluates ${quote(text)} as arithmetic, and bash runs the expansions in it`;
    found.hidden.push(`(( ${text} ))`);
    return;
  }
  for (const m of text.matchAll(/(?<![\w#@])[A-Za-z_]\w*/g)) evaluates(m[0], where, found);
}

/**
 * A word bash reads as a variable name (`read NAME`, `printf -v NAME`, `unset NAME`, `test -v NAME`): a
 * subscript in it is arithmetic. Returns the name, or undefined when it is computed at run time (dynamic).
 */
export function checkName(word: ShellWord, where: string, found: VarFindings): string | undefined {
  const v = word.value;
  if ((word.expands ?? word.dynamic) || (word.dynamic && /[*?]/.test(v))) {
    found.dynamic ??= `${where} names a variable computed at run time: ${quote(v || '…')}`;
    return undefined;
  }
  const bracket = v.indexOf('[');
  if (bracket !== -1) {
    if (CODE.test(v)) {
      found.dynamic ??= `${where} names ${quote(v)}, and bash runs the expansions in its subscript`;
      found.hidden.push(`(( ${v} ))`);
    } else checkArithText(v.slice(bracket), where, found);
  }
  return v;
}

/** Evaluates what was recorded once the whole line is read: run-time values that reach arithmetic. */
export function finishVariables(found: VarFindings): void {
  const vars = found.vars;
  const runtime = (name: string): boolean =>
    vars.unseenAssignments || vars.runtime.has(name) || RUNTIME_VARIABLES.has(name) || /^\d+$/.test(name);
  const reveal = (name: string): void => {
    const held = vars.runtime.get(name);
    if (held !== undefined) found.hidden.push(`(( ${held} ))`);
  };
  for (const name of vars.integer) {
    if (!runtime(name)) continue;
    found.dynamic ??= `${quote(name)} is an integer variable assigned text only known at run time, which bash evaluates as arithmetic`;
  }
  for (const { name, where } of vars.evaluated) {
    if (!runtime(name)) continue;
    found.dynamic ??= `${where} evaluates ${quote(name)} as arithmetic, and its value is only known at run time`;
  }
  // values can reach arithmetic through other variables (`n=x` with `declare -i n`): on a dynamic line,
  // report the commands in every literal value that holds code
  if (found.dynamic !== undefined) for (const name of vars.runtime.keys()) reveal(name);
}

/** Options of a declaration builtin that change how its arguments are read. */
interface DeclFlags {
  nameref: boolean;
  integer: boolean;
}

/** True when a declaration builtin's option word sets `letter` (`-n`, `-in`; `+n` removes it). */
function setsOption(variant: string, word: string, letter: string): boolean {
  // `export -n` un-exports; only declare, typeset and local have namerefs and integers
  return word.startsWith('-') && word.includes(letter) && /^(declare|typeset|local)$/.test(variant);
}

/**
 * A declaration builtin's arguments as words after quote removal (`builtin declare …`, `export 'PATH=/x'`):
 * bash reads every word as an assignment whatever its quoting, evaluates a subscript in its name, and
 * re-reads a quoted `(…)` value as an array (with expansions).
 */
export function checkDeclaration(variant: string, words: readonly ShellWord[], found: VarFindings): void {
  const flags: DeclFlags = { nameref: false, integer: false };
  let options = true;
  for (const word of words) {
    if (options && readOption(variant, word, flags)) {
      options = word.value !== '--';
      continue;
    }
    options = false;
    declarationWord(variant, word, flags, found);
  }
}

/** Reads an option word (`-n`, `+x`, `--`) of a declaration into `flags`; false for an operand. */
function readOption(variant: string, word: ShellWord, flags: DeclFlags): boolean {
  if (word.dynamic || !/^[-+]./.test(word.value)) return false;
  flags.nameref ||= setsOption(variant, word.value, 'n');
  flags.integer ||= setsOption(variant, word.value, 'i');
  return true;
}

/** The words of a `declare`/`export`/… clause as the parser gives them (assignments and naked words). */
export function checkDeclClause(variant: string, args: readonly ShNode[], found: VarFindings): void {
  const flags: DeclFlags = { nameref: false, integer: false };
  let options = true;
  for (const arg of args) {
    const name = (arg['Name'] as ShNode | null)?.['Value'];
    const value = arg['Value'] as ShNode | null;
    if (arg['Naked'] === true && typeof name !== 'string' && value) {
      const word = wordOf(value);
      if (options && readOption(variant, word, flags)) {
        options = word.value !== '--';
        continue;
      }
      options = false;
      declarationWord(variant, word, flags, found);
      continue;
    }
    options = false;
    if (typeof name !== 'string') continue;
    // `NAME=value` parsed as an assignment: its name, subscript and value are checked as an `Assign` node
    if (arg['Naked'] === true) checkVariable(name, found);
    if (flags.integer) found.vars.integer.add(name);
    if (flags.nameref)
      found.dynamic ??= `${quote(variant + ' -n')} makes assignments to ${quote(name)} assign the variable its value names`;
    if (value) arrayValue(variant, name, wordOf(value), found);
  }
}

/** One non-option word of a declaration builtin: `NAME`, `NAME=value`, `NAME[sub]=value`, `NAME+=value`. */
function declarationWord(variant: string, word: ShellWord, flags: DeclFlags, found: VarFindings): void {
  const where = quote(variant);
  const prefix = word.prefix ?? (word.dynamic ? '' : word.value);
  const eq = prefix.indexOf('=');
  // a name must be known: `export "$X"`, `declare "$N=1"`, an unquoted `a*=1` are computed at run time
  const text = eq === -1 ? word.value : prefix.slice(0, eq).replace(/\+$/, '');
  if ((eq === -1 && word.dynamic) || /[*?]/.test(text)) {
    found.dynamic ??= `${where} of a variable computed at run time: ${quote(word.value || '…')}`;
    return;
  }
  const name = checkName({ value: text, dynamic: false }, where, found);
  if (name === undefined) return;
  if (flags.integer) found.vars.integer.add(baseName(name));
  if (flags.nameref) {
    found.dynamic ??= `${quote(variant + ' -n')} makes assignments to ${quote(name)} assign the variable its value names`;
  }
  if (eq === -1) {
    checkVariable(baseName(name), found);
    return;
  }
  const value = word.dynamic ? undefined : word.value.slice(eq + 1);
  assign(name, value, found);
  if (value !== undefined) arrayValue(variant, name, { value, dynamic: false }, found);
}

/** `declare -a a='(…)'`, `declare 'a=(…)'`: bash re-reads a quoted array value, expanding `$(…)` in it. */
function arrayValue(variant: string, name: string, value: ShellWord, found: VarFindings): void {
  if (value.dynamic || !value.value.startsWith('(') || !CODE.test(value.value)) return;
  found.dynamic ??= `${quote(variant)} re-reads the quoted array value of ${quote(name)}, and bash runs the expansions in it`;
  found.hidden.push(`${baseName(name)}=${value.value}`);
}

/** A variable's name without its subscript or `+` (`a[1]+` → `a`). */
function baseName(name: string): string {
  const bracket = name.indexOf('[');
  return (bracket === -1 ? name : name.slice(0, bracket)).replace(/\+$/, '');
}

/** The static value of an assignment node (arithmetic expansions count as numbers), or undefined. */
export function assignedValue(assign: ShNode): string | undefined {
  const array = assign['Array'] as ShNode | null;
  if (array) {
    const values = asNodes(array['Elems']).map((e) => staticText(e['Value'] as ShNode | null));
    return values.every((v) => v !== undefined && INTEGER.test(v)) ? '0' : undefined;
  }
  return staticText(assign['Value'] as ShNode | null);
}

function staticText(word: ShNode | null): string | undefined {
  if (!word) return '';
  const parts = asNodes(word['Parts']);
  // `$((…))` is a number whatever it computes
  if (parts.length > 0 && parts.every((p) => nodeType(p) === 'ArithmExp')) return '0';
  const w = wordOf(word);
  return w.dynamic ? undefined : w.value;
}
