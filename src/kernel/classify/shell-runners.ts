/**
 * Commands that run code given in their arguments in their own way: shells (`sh -c STRING`), `su`/`runuser`/
 * `script -c STRING`, `sg`, `watch` and `find -exec`. Each reports to a `Runner`, which analyses the code or
 * command it is handed (see `shell.ts`).
 */
import { quote } from './result.js';
import type { ShellWord } from './shell-words.js';
import { readWrapperArgs } from './shell-wrappers.js';

/** Where a command line came from: substitution contexts change what counts as dynamic. */
export interface Context {
  readonly depth: number;
  /** Text the running wrapper replaces with input (`find -exec … {}`, `xargs -I R`). */
  readonly replace?: string | undefined;
  /** True when the running wrapper appends input words to the command (xargs). */
  readonly appendsInput?: boolean | undefined;
}

/** What a runner may report, and how it hands on code and commands. */
export interface Runner {
  readonly found: {
    dynamic?: string | undefined;
    /** True when something runs code the kernel does not see (a script file, standard input). */
    unseenCode: boolean;
    /** True for destructive use of ordinary syntax (`find -delete`). */
    destructive: boolean;
  };
  /** Analyses code given as words (joined with spaces, as `eval` joins them). */
  code(name: string, words: readonly ShellWord[], ctx: Context): void;
  /** Follows a command line (argv after quote removal). */
  argv(words: readonly ShellWord[], ctx: Context): void;
}

/** `sh [options] -c STRING [name [args…]]`, or a shell reading a script file or standard input. */
export function runShell(name: string, args: readonly ShellWord[], r: Runner, ctx: Context): undefined {
  let command = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as ShellWord;
    if (a.dynamic) {
      r.found.dynamic ??= `${quote(name)} option ${quote(a.value || '…')} is computed at run time`;
      return undefined;
    }
    const v = a.value;
    if (v === '--' || v === '-') {
      i++;
      break;
    }
    if (!/^[-+]./.test(v)) break;
    if (v.startsWith('--')) {
      if (v === '--rcfile' || v === '--init-file') i++;
      continue;
    }
    if (v.startsWith('-') && v.includes('c')) command = true;
    if (/[oO]/.test(v)) i++; // `-o pipefail`, `-O extglob`
  }
  if (!command) {
    r.found.unseenCode = true; // runs a script file, or reads standard input (`curl … | sh`)
    return undefined;
  }
  const code = args[i];
  if (code === undefined) r.found.dynamic ??= `${quote(name)} -c has no command string`;
  else r.code(name, [code], ctx);
  return undefined;
}

/**
 * `su|runuser|script [options] -c STRING …`: getopt permutes, so `-c` may come anywhere (even after `--`,
 * where su hands it to the shell, which reads it the same way). `valued` are the short options with a value.
 * Returns true when a command string was found.
 */
export function runCommandOption(
  name: string,
  args: readonly ShellWord[],
  valued: string,
  r: Runner,
  ctx: Context,
): boolean {
  let ran = false;
  const code = (word: ShellWord | undefined): void => {
    ran = true;
    if (word === undefined) r.found.dynamic ??= `${quote(name)} -c has no command string`;
    else r.code(name, [word], ctx);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as ShellWord;
    const v = a.value;
    const long = /^--(command|session-command)(=|$)/.exec(v);
    if (a.dynamic) {
      r.found.dynamic ??= `${quote(name)} argument ${quote(v || '…')} is computed at run time`;
    } else if (long) {
      code(long[2] === '=' ? { value: v.slice(long[0].length), dynamic: false } : args[++i]);
    } else if (/^-[^-]/.test(v)) {
      // a cluster of short options: `-lc STRING`, `-cSTRING`, `-s /bin/sh`
      for (let k = 1; k < v.length; k++) {
        const letter = v[k] ?? '';
        if (letter !== 'c' && !valued.includes(letter)) continue;
        const attached = v.slice(k + 1);
        const value = attached !== '' ? { value: attached, dynamic: false } : args[++i];
        if (letter === 'c') code(value);
        break;
      }
    }
  }
  return ran;
}

/** True when `runuser` options name a user with `-u`/`--user` (then it runs the command that follows). */
export function runsAsUser(options: readonly string[]): boolean {
  return options.some((o) => /^--user(=|$)/.test(o) || /^-[^-gGswc]*u/.test(o));
}

/** `sg [-] group [-c] STRING`: the string runs with `/bin/sh -c`; without one, a shell reads standard input. */
export function runSg(args: readonly ShellWord[], r: Runner, ctx: Context): void {
  let i = args[0]?.value === '-' ? 1 : 0;
  i++; // the group
  if (args[i]?.value === '-c') i++;
  const code = args[i];
  if (code === undefined) r.found.unseenCode = true;
  else r.code('sg', [code], ctx);
}

/** `watch [options] command…`: the words are joined and run by `sh -c` (or run directly with `-x`). */
export function runWatch(
  args: readonly ShellWord[],
  r: Runner,
  ctx: Context,
): { words: readonly ShellWord[]; ctx: Context } | undefined {
  const read = readWrapperArgs(
    { valued: 'nqd', longValued: ['--interval', '--differences', '--equexit'] },
    args,
  );
  if (read.dynamic) {
    r.found.dynamic ??= `${quote('watch')} argument ${quote(read.dynamic.value || '…')} is computed at run time`;
    return undefined;
  }
  const rest = args.slice(read.index);
  if (args.slice(0, read.index).some((a) => a.value === '-x' || a.value === '--exec'))
    return { words: rest, ctx };
  if (rest.length > 0) r.code('watch', rest, ctx);
  return undefined;
}

/** `find … -exec|-execdir|-ok|-okdir cmd args… ;|+`: each action runs a command with `{}` replaced by names. */
export function runFind(args: readonly ShellWord[], r: Runner, ctx: Context): void {
  const execCtx: Context = { ...ctx, replace: '{}' };
  for (let i = 0; i < args.length; i++) {
    const v = (args[i] as ShellWord).value;
    if (v === '-delete') r.found.destructive = true;
    if (v !== '-exec' && v !== '-execdir' && v !== '-ok' && v !== '-okdir') continue;
    let end = i + 1;
    while (end < args.length && !isFindTerminator(args, end)) end++;
    r.argv(args.slice(i + 1, end), execCtx);
    i = end;
  }
}

function isFindTerminator(args: readonly ShellWord[], i: number): boolean {
  const v = args[i]?.value;
  return v === ';' || (v === '+' && args[i - 1]?.value === '{}');
}
