/**
 * Shell classifier for `shell.exec`: every command name a bash command line would run, found with a real shell
 * parser (mvdan/sh, see `shell-parser.ts`) and followed through wrappers and nested shells.
 *
 * Followed: pipelines, `&&`/`||`/`;` lists, subshells, groups, control flow, functions, `$(…)` and backticks,
 * process substitution, here-documents, `sh|bash|zsh|… -c STRING` (parsed recursively), `eval` and `trap`
 * with literal code, `alias` values, wrappers (`shell-wrappers.ts`: env, sudo, nohup, timeout, xargs, …),
 * `find -exec/-execdir/-ok/-okdir`, `su -c`, `watch`. Names are basenames after quote removal
 * (`"/usr/bin/r""m"` → `rm`, `\rm` → `rm`, `$'\x72m'` → `rm`).
 *
 * Known limit: bash evaluates variables in arithmetic contexts as expressions, and `a[$(cmd)]` inside such a
 * value runs `cmd` (`read X < f; echo $((X))`); the value is not in the command line, so it cannot be seen here.
 */
import type { Classification, RiskLevel } from '../types.js';
import { MAX_INPUT_LENGTH, describe, quote, unclassifiable } from './result.js';
import type { ShNode } from './shell-parser.js';
import { allNodes, nodeType, parseShell } from './shell-parser.js';
import type { ShellWord } from './shell-words.js';
import { asNodes, wordOf } from './shell-words.js';
import { WRAPPERS, readWrapperArgs } from './shell-wrappers.js';

/** How many shell strings deep (`sh -c "sh -c '…'"`) and wrappers long (`sudo nice env …`) analysis follows. */
const MAX_DEPTH = 16;

/** Shells whose `-c` string is bash-compatible enough to parse with the bash grammar. */
const SHELLS: ReadonlySet<string> = new Set([
  'sh',
  'bash',
  'dash',
  'ash',
  'zsh',
  'ksh',
  'mksh',
  'yash',
  'posh',
  'rbash',
]);
/** Shells with another grammar: their code cannot be parsed here. */
const FOREIGN_SHELLS: ReadonlySet<string> = new Set([
  'fish',
  'csh',
  'tcsh',
  'pwsh',
  'powershell',
  'nu',
  'xonsh',
  'elvish',
]);

/** Destructive or privileged commands: high risk. Small on purpose; policy lists the rest. */
const HIGH_RISK_COMMANDS: ReadonlySet<string> = new Set([
  'rm', 'rmdir', 'shred', 'dd', 'wipefs', 'fdisk', 'parted', 'truncate', 'mkswap',
  'shutdown', 'reboot', 'halt', 'poweroff', 'kill', 'killall', 'pkill',
  'chmod', 'chown', 'chgrp', 'chattr', 'mount', 'umount',
  'sudo', 'su', 'doas', 'pkexec', 'runuser', 'chroot', 'nsenter', 'unshare',
  'crontab', 'iptables', 'nft', 'useradd', 'userdel', 'usermod', 'passwd', 'insmod', 'rmmod', 'modprobe', 'systemctl',
  'hash', 'enable', 'source', '.',
]); // prettier-ignore

/** Variables that change which program a name runs or inject code into shells and the dynamic linker. */
const HIJACKING_VARIABLES: ReadonlySet<string> = new Set([
  'PATH', 'IFS', 'BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS', 'PS4', 'PROMPT_COMMAND',
  'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT',
]); // prettier-ignore

/** What analysis found so far. */
interface Findings {
  readonly commands: Set<string>;
  /** Why a command cannot be known statically (`shell.dynamic`), first reason only. */
  dynamic?: string | undefined;
  /** Why the command line cannot be analysed (`shell.error`), first reason only. */
  error?: string | undefined;
  /** True when something runs code the kernel does not see (a script file, standard input): high risk. */
  unseenCode: boolean;
  /** True for destructive or network use of otherwise ordinary syntax (`find -delete`, `> /dev/tcp/…`). */
  destructive: boolean;
}

/** Where a command line came from: substitution contexts change what counts as dynamic. */
interface Context {
  readonly depth: number;
  /** Text the running wrapper replaces with input (`find -exec … {}`, `xargs -I R`). */
  readonly replace?: string | undefined;
  /** True when the running wrapper appends input words to the command (xargs). */
  readonly appendsInput?: boolean | undefined;
}

/**
 * Classifies a shell command line (`args.command`). Facts: `shell.commands` (sorted, deduplicated basenames of
 * every command that would run); on failure `shell.error` and, when a command name is computed at run time
 * (`$CMD`, `$(…)`, globs, `eval "$x"`, `sh -c "$x"`), `shell.dynamic: true`. Risk: medium; high when a
 * command is in the destructive/privileged list (rm, dd, mkfs*, chmod, chown, sudo, kill, …), for
 * `find -delete`, redirection to bash's `/dev/tcp|udp/…`, or when a shell or `source` runs a script file or
 * standard input (`curl … | sh`);
 * critical for anything dynamic or unparseable, and for assignments to PATH, IFS, LD_PRELOAD and the like.
 */
export function classifyShell(command: unknown): Classification {
  if (typeof command !== 'string')
    return unclassifiable('shell', `command is ${describe(command)}, not a string`);
  if (command.trim() === '') return unclassifiable('shell', 'command is empty');
  if (command.length > MAX_INPUT_LENGTH) {
    return unclassifiable('shell', `command is longer than ${MAX_INPUT_LENGTH} characters`);
  }
  // INVARIANT: bash cannot carry NUL in a command line; a parser that did would see text bash never would
  if (command.includes('\0')) return unclassifiable('shell', 'command contains a nul byte');
  const found: Findings = { commands: new Set(), unseenCode: false, destructive: false };
  analyseScript(command, found, { depth: 0 });
  const commands = [...found.commands].sort();
  if (found.error !== undefined || found.dynamic !== undefined) {
    return unclassifiable('shell', found.error ?? found.dynamic ?? '', {
      'shell.commands': commands,
      ...(found.dynamic !== undefined ? { 'shell.dynamic': true } : {}),
    });
  }
  const highNames = commands.some((c) => HIGH_RISK_COMMANDS.has(c) || c.startsWith('mkfs'));
  const risk: RiskLevel = highNames || found.unseenCode || found.destructive ? 'high' : 'medium';
  return { facts: { 'shell.commands': commands }, risk };
}

/** Parses a script and analyses every command in it. */
function analyseScript(src: string, found: Findings, ctx: Context): void {
  if (ctx.depth > MAX_DEPTH) {
    found.error ??= `command nests more than ${MAX_DEPTH} levels deep`;
    return;
  }
  const parsed = parseShell(src);
  if (parsed.tree === undefined) {
    found.error ??= `command does not parse: ${parsed.error}`;
    return;
  }
  for (const node of allNodes(parsed.tree)) {
    switch (nodeType(node)) {
      case 'CallExpr':
        checkAssignments(asNodes(node['Assigns']), found);
        runArgv(asNodes(node['Args']).map(wordOf), found, ctx);
        break;
      case 'DeclClause': {
        // declare, local, export, readonly, typeset, nameref
        const variant = String((node['Variant'] as ShNode | null)?.['Value'] ?? 'declare');
        found.commands.add(variant);
        checkAssignments(asNodes(node['Args']), found);
        for (const assign of asNodes(node['Args'])) {
          const value = assign['Value'] as ShNode | null;
          // `export $X` assigns a variable whose name and value are both computed at run time
          if (assign['Naked'] === true && value && wordOf(value).dynamic) {
            found.dynamic ??= `${quote(variant)} of a variable computed at run time`;
          }
        }
        break;
      }
      case 'LetClause':
        found.commands.add('let');
        break;
      case 'Redirect': {
        // bash opens network connections for these paths itself: `exec 3<>/dev/tcp/host/80`
        const target = node['Word'] as ShNode | null;
        if (target && /^\/dev\/(tcp|udp)\//.test(wordOf(target).value)) found.destructive = true;
        break;
      }
    }
  }
}

function checkAssignments(assigns: readonly ShNode[], found: Findings): void {
  for (const assign of assigns) {
    const name = (assign['Name'] as ShNode | null)?.['Value'];
    if (typeof name === 'string') checkVariable(name, found);
  }
}

function checkVariable(name: string, found: Findings): void {
  if (HIJACKING_VARIABLES.has(name) || name.startsWith('BASH_FUNC_')) {
    found.error ??= `assignment to ${quote(name)} changes what commands run`;
  }
}

/** Follows one command line (argv after quote removal) through wrappers to every command it runs. */
function runArgv(argv: readonly ShellWord[], found: Findings, ctx: Context): void {
  let words = argv;
  for (let hops = 0; words.length > 0; hops++) {
    if (hops > MAX_DEPTH) {
      found.error ??= `command nests more than ${MAX_DEPTH} wrappers deep`;
      return;
    }
    const head = words[0] as ShellWord;
    if (isDynamic(head, ctx)) {
      found.dynamic ??= `command name ${quote(head.value || '…')} is computed at run time`;
      return;
    }
    const name = basename(head.value);
    if (name === '') {
      found.error ??= `command name ${quote(head.value)} is empty`;
      return;
    }
    found.commands.add(name);
    const next = follow(name, words.slice(1), found, ctx);
    if (next === undefined) return;
    words = next.words;
    ctx = next.ctx;
  }
}

/** What `name args…` runs next (a wrapper's command), or undefined when it runs nothing more this way. */
function follow(
  name: string,
  args: readonly ShellWord[],
  found: Findings,
  ctx: Context,
): { words: readonly ShellWord[]; ctx: Context } | undefined {
  const deeper: Context = { ...ctx, depth: ctx.depth + 1 };
  const spec = WRAPPERS[name];
  if (spec !== undefined) {
    const read = readWrapperArgs(spec, args);
    if (spec.assignments) {
      for (const a of args.slice(0, read.index)) {
        const assigned = /^([^=-][^=]*)=/.exec(a.value)?.[1];
        if (assigned !== undefined) checkVariable(assigned, found);
      }
    }
    if (read.dynamic) {
      found.dynamic ??= `${quote(name)} argument ${quote(read.dynamic.value || '…')} is computed at run time`;
      return undefined;
    }
    if (read.shellString !== undefined) {
      shellCode(name, [read.shellString], found, deeper);
      return undefined;
    }
    const rest = args.slice(read.index);
    if (rest.length === 0) {
      if (ctx.appendsInput) found.dynamic ??= `${quote(name)} runs a command named by its input`;
      else if (spec.defaultCommand !== undefined) found.commands.add(spec.defaultCommand);
      return undefined;
    }
    const sub: Context = spec.appendsInput
      ? { depth: ctx.depth + 1, replace: read.replace, appendsInput: read.replace === undefined }
      : deeper;
    return { words: rest, ctx: sub };
  }
  if (SHELLS.has(name)) return runShell(name, args, found, deeper);
  if (FOREIGN_SHELLS.has(name)) {
    found.unseenCode = true;
    if (args.some((a) => /^-(c|command)$/i.test(a.value))) {
      found.dynamic ??= `${quote(name)} code cannot be parsed as a bash command line`;
    }
    return undefined;
  }
  switch (name) {
    case 'eval':
      shellCode(name, args, found, deeper);
      return undefined;
    case 'trap': {
      const code = args.find((a) => !a.value.startsWith('-') || a.dynamic);
      if (code !== undefined && code.value !== '') shellCode(name, [code], found, deeper);
      return undefined;
    }
    case 'alias':
      for (const a of args) {
        const eq = a.value.indexOf('=');
        if (a.dynamic) found.dynamic ??= `alias ${quote(a.value || '…')} is computed at run time`;
        else if (eq > 0) shellCode(name, [{ value: a.value.slice(eq + 1), dynamic: false }], found, deeper);
      }
      return undefined;
    case 'source':
    case '.':
      found.unseenCode = true;
      return undefined;
    case 'su':
    case 'runuser':
      return runSu(name, args, found, deeper);
    case 'watch':
      return runWatch(args, found, deeper);
    case 'read':
    case 'mapfile':
    case 'readarray':
    case 'printf':
    case 'getopts':
      // these assign to variables they name: `read PATH < file` hijacks PATH like an assignment does
      for (const a of args) checkVariable(a.value, found);
      return undefined;
    case 'find':
      runFind(args, found, deeper);
      return undefined;
    default:
      return undefined;
  }
}

/** Analyses code given as words (`eval a b` joins them with spaces, as eval does). */
function shellCode(name: string, words: readonly ShellWord[], found: Findings, ctx: Context): void {
  const bad = words.find((w) => isDynamic(w, ctx));
  if (bad !== undefined) {
    found.dynamic ??= `${quote(name)} runs code computed at run time: ${quote(bad.value || '…')}`;
    return;
  }
  // the code is a new script: its words are not the input a wrapper substitutes or appends
  analyseScript(words.map((w) => w.value).join(' '), found, { depth: ctx.depth });
}

/** `sh [options] -c STRING [name [args…]]`, or a shell reading a script file or standard input. */
function runShell(name: string, args: readonly ShellWord[], found: Findings, ctx: Context): undefined {
  let command = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as ShellWord;
    if (a.dynamic) {
      found.dynamic ??= `${quote(name)} option ${quote(a.value || '…')} is computed at run time`;
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
    found.unseenCode = true; // runs a script file, or reads standard input (`curl … | sh`)
    return undefined;
  }
  const code = args[i];
  if (code === undefined) found.dynamic ??= `${quote(name)} -c has no command string`;
  else shellCode(name, [code], found, ctx);
  return undefined;
}

/** `su [options] [-] [user] -c STRING`: getopt permutes, so `-c` may come after the user. */
function runSu(name: string, args: readonly ShellWord[], found: Findings, ctx: Context): undefined {
  for (let i = 0; i < args.length; i++) {
    const v = (args[i] as ShellWord).value;
    if (v === '-c' || v === '--command') {
      const code = args[i + 1];
      if (code === undefined) found.dynamic ??= `${quote(name)} -c has no command string`;
      else shellCode(name, [code], found, ctx);
      i++;
    } else if (v.startsWith('--command=')) {
      shellCode(
        name,
        [{ value: v.slice('--command='.length), dynamic: (args[i] as ShellWord).dynamic }],
        found,
        ctx,
      );
    } else if (/^-[^-]*c./.test(v) && !v.startsWith('--')) {
      shellCode(
        name,
        [{ value: v.slice(v.indexOf('c') + 1), dynamic: (args[i] as ShellWord).dynamic }],
        found,
        ctx,
      );
    } else if ((args[i] as ShellWord).dynamic) {
      found.dynamic ??= `${quote(name)} argument ${quote(v || '…')} is computed at run time`;
    }
  }
  return undefined;
}

/** `watch [options] command…`: the words are joined and run by `sh -c` (or run directly with `-x`). */
function runWatch(
  args: readonly ShellWord[],
  found: Findings,
  ctx: Context,
): { words: readonly ShellWord[]; ctx: Context } | undefined {
  const read = readWrapperArgs(
    { valued: 'nqd', longValued: ['--interval', '--differences', '--equexit'] },
    args,
  );
  if (read.dynamic) {
    found.dynamic ??= `${quote('watch')} argument ${quote(read.dynamic.value || '…')} is computed at run time`;
    return undefined;
  }
  const rest = args.slice(read.index);
  if (args.slice(0, read.index).some((a) => a.value === '-x' || a.value === '--exec'))
    return { words: rest, ctx };
  if (rest.length > 0) shellCode('watch', rest, found, ctx);
  return undefined;
}

/** `find … -exec|-execdir|-ok|-okdir cmd args… ;|+`: each action runs a command with `{}` replaced by names. */
function runFind(args: readonly ShellWord[], found: Findings, ctx: Context): void {
  const execCtx: Context = { ...ctx, replace: '{}' };
  for (let i = 0; i < args.length; i++) {
    const v = (args[i] as ShellWord).value;
    if (v === '-delete') found.destructive = true;
    if (v !== '-exec' && v !== '-execdir' && v !== '-ok' && v !== '-okdir') continue;
    let end = i + 1;
    while (end < args.length && !isFindTerminator(args, end)) end++;
    runArgv(args.slice(i + 1, end), found, execCtx);
    i = end;
  }
}

function isFindTerminator(args: readonly ShellWord[], i: number): boolean {
  const v = args[i]?.value;
  return v === ';' || (v === '+' && args[i - 1]?.value === '{}');
}

/** True when a word's value is only known at run time (expansions, patterns, or input substituted into it). */
function isDynamic(word: ShellWord, ctx: Context): boolean {
  return (
    word.dynamic || (ctx.replace !== undefined && ctx.replace !== '' && word.value.includes(ctx.replace))
  );
}

/** The program name a shell would look up: the last path segment (`/usr/bin/rm` → `rm`, `rm/` → `rm`). */
function basename(name: string): string {
  const trimmed = name.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
