/**
 * Shell classifier for `shell.exec`: every command name a bash command line would run, found with a real shell
 * parser (mvdan/sh, see `shell-parser.ts`) and followed through wrappers and nested shells.
 *
 * Followed: pipelines, `&&`/`||`/`;` lists, subshells, groups, control flow, functions, `$(…)` and backticks,
 * process substitution, here-documents, `sh|bash|zsh|… -c STRING` (parsed recursively), `eval` (after `--`)
 * and `trap` with literal code, `alias` values, `mapfile -C` callbacks, wrappers (`shell-wrappers.ts`: env,
 * sudo, nohup, timeout, xargs, systemd-run, …), and `shell-runners.ts`: `find -exec`, `su`/`runuser`/`script
 * -c`, `sg`, `watch`. Names are basenames after quote removal (`"/usr/bin/r""m"` → `rm`, `\rm` → `rm`,
 * `$'\x72m'` → `rm`); `shell.programs` keeps them as written.
 *
 * Arithmetic and variable names (`shell-arith.ts`, `shell-names.ts`, `shell-vars.ts`): bash evaluates array
 * subscripts there and runs the command substitutions in them, even in quoted text, and evaluates variables'
 * values the same way; whatever could hide code this way makes the line dynamic.
 */
import type { Classification, RiskLevel } from '../types.js';
import { MAX_INPUT_LENGTH, describe, quote, unclassifiable } from './result.js';
import type { ShNode } from './shell-parser.js';
import { allNodes, nodeType, parseShell } from './shell-parser.js';
import { checkArithmetic } from './shell-arith.js';
import { checkNamingBuiltin, namesVariables } from './shell-names.js';
import type { ShellWord } from './shell-words.js';
import { asNodes, wordOf } from './shell-words.js';
import type { VarFindings } from './shell-vars.js';
import { assign, checkDeclClause, finishVariables, newVariables } from './shell-vars.js';
import { WRAPPERS, readWrapperArgs } from './shell-wrappers.js';
import type { Context, Runner } from './shell-runners.js';
import { runCommandOption, runFind, runShell, runSg, runWatch, runsAsUser } from './shell-runners.js';

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

/** What analysis found so far. */
interface Findings extends VarFindings {
  readonly commands: Set<string>;
  /** Command names as written, after quote removal (`./git`, `/usr/bin/rm`). */
  readonly programs: Set<string>;
  /** Why a command cannot be known statically (`shell.dynamic`), first reason only. */
  dynamic?: string | undefined;
  /** Why the command line cannot be analysed (`shell.error`), first reason only. */
  error?: string | undefined;
  /** True when something runs code the kernel does not see (a script file, standard input): high risk. */
  unseenCode: boolean;
  /** True for destructive or network use of otherwise ordinary syntax (`find -delete`, `> /dev/tcp/…`). */
  destructive: boolean;
}

/**
 * Classifies a shell command line (`args.command`). Facts: `shell.commands` (sorted, deduplicated basenames of
 * every command that would run), `shell.programs` (the same names as written, not basenamed: `./git`,
 * `/tmp/x/git`); on failure `shell.error` and, when a command name is computed at run time (`$CMD`, `$(…)`,
 * globs, `eval "$x"`, `sh -c "$x"`) or bash could run code hidden in arithmetic or a variable name
 * (`(( 'a[$(rm)]' ))`, `read x; (( x ))`, `arr[$i]=1`, `declare -n`), `shell.dynamic: true`. Risk: medium;
 * high when a command is in the destructive/privileged list (rm, dd, mkfs*, chmod, chown, sudo, kill, …), for
 * `find -delete`, redirection to bash's `/dev/tcp|udp/…`, or when a shell or `source` runs a script file or
 * standard input (`curl … | sh`); critical for anything dynamic or unparseable, and for assignments to PATH,
 * IFS, LD_PRELOAD and the like (however quoted, through any declaration builtin, loop or wrapper).
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
  const found = newFindings();
  analyseScript(command, found, { depth: 0 });
  finishVariables(found);
  if (found.dynamic !== undefined) revealHidden(found);
  const commands = [...found.commands].sort();
  const programs = [...found.programs].sort();
  if (found.error !== undefined || found.dynamic !== undefined) {
    return unclassifiable('shell', found.error ?? found.dynamic ?? '', {
      'shell.commands': commands,
      'shell.programs': programs,
      ...(found.dynamic !== undefined ? { 'shell.dynamic': true } : {}),
    });
  }
  const highNames = commands.some((c) => HIGH_RISK_COMMANDS.has(c) || c.startsWith('mkfs'));
  const risk: RiskLevel = highNames || found.unseenCode || found.destructive ? 'high' : 'medium';
  return { facts: { 'shell.commands': commands, 'shell.programs': programs }, risk };
}

function newFindings(): Findings {
  return {
    commands: new Set(),
    programs: new Set(),
    vars: newVariables(),
    hidden: [],
    unseenCode: false,
    destructive: false,
  };
}

/**
 * Adds the commands in code bash would run from quoted text (`(( 'a[$(rm -rf /)]' ))` runs `rm`) to a line
 * that is already dynamic, so deny lists see them too. Best effort: text that does not parse adds nothing.
 */
function revealHidden(found: Findings): void {
  for (let i = 0; i < found.hidden.length && i < MAX_DEPTH; i++) {
    const scratch = newFindings();
    analyseScript(found.hidden[i] as string, scratch, { depth: 1 });
    for (const c of scratch.commands) found.commands.add(c);
    for (const p of scratch.programs) found.programs.add(p);
    found.hidden.push(...scratch.hidden);
  }
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
    // arithmetic, subscripts and assignments (which also carry the PATH guard) in any node
    checkArithmetic(node, found);
    switch (nodeType(node)) {
      case 'CallExpr':
        runArgv(asNodes(node['Args']).map(wordOf), found, ctx);
        break;
      case 'DeclClause': {
        // declare, local, export, readonly, typeset, nameref
        const variant = String((node['Variant'] as ShNode | null)?.['Value'] ?? 'declare');
        found.commands.add(variant);
        found.programs.add(variant);
        checkDeclClause(variant, asNodes(node['Args']), found);
        break;
      }
      case 'LetClause':
        found.commands.add('let');
        found.programs.add('let');
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
    found.programs.add(head.value);
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
  // `runuser -u USER cmd` wraps a command; `runuser USER -c STRING` is `su`
  if (name === 'runuser' && !runsAsUser(readWrapperArgs(WRAPPERS['runuser'] ?? {}, args).options)) {
    if (!runCommandOption(name, args, 'gGsw', runner(found), deeper)) found.unseenCode = true;
    return undefined;
  }
  if (spec !== undefined) {
    const read = readWrapperArgs(spec, args);
    const environment = spec.assignments ? args.slice(0, read.index) : [];
    for (const a of [...environment, ...read.environment]) {
      const eq = a.value.indexOf('=');
      if (eq > 0 && !a.value.startsWith('-')) {
        assign(a.value.slice(0, eq), a.dynamic ? undefined : a.value.slice(eq + 1), found);
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
      else if (spec.defaultCommand !== undefined) {
        found.commands.add(spec.defaultCommand);
        found.programs.add(spec.defaultCommand);
      } else if (spec.shellWithoutCommand) found.unseenCode = true; // a shell reading standard input
      return undefined;
    }
    if (spec.expandsVariables && rest[0]?.value.includes('$')) {
      found.dynamic ??= `${quote(name)} expands variables in the command name ${quote(rest[0].value)}`;
      return undefined;
    }
    const sub: Context = spec.appendsInput
      ? { depth: ctx.depth + 1, replace: read.replace, appendsInput: read.replace === undefined }
      : deeper;
    return { words: rest, ctx: sub };
  }
  if (SHELLS.has(name)) return runShell(name, args, runner(found), deeper);
  if (FOREIGN_SHELLS.has(name)) {
    found.unseenCode = true;
    if (args.some((a) => /^-(c|command)$/i.test(a.value))) {
      found.dynamic ??= `${quote(name)} code cannot be parsed as a bash command line`;
    }
    return undefined;
  }
  if (namesVariables(name)) {
    const callback = checkNamingBuiltin(name, args, found);
    // `mapfile -C CODE` runs CODE for every line it reads
    if (callback !== undefined) shellCode(name, [callback], found, deeper);
    return undefined;
  }
  switch (name) {
    case 'eval':
      // bash's eval skips a leading `--`
      shellCode(name, args[0]?.value === '--' && !args[0].dynamic ? args.slice(1) : args, found, deeper);
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
      // the file runs in this shell: it may assign any variable
      found.unseenCode = true;
      found.vars.unseenAssignments = true;
      return undefined;
    case 'su':
      runCommandOption(name, args, 'gGsw', runner(found), deeper);
      return undefined;
    case 'script':
      // without -c, script runs an interactive shell reading standard input
      if (!runCommandOption(name, args, 'EIOBTmo', runner(found), deeper)) found.unseenCode = true;
      return undefined;
    case 'sg':
      runSg(args, runner(found), deeper);
      return undefined;
    case 'watch':
      return runWatch(args, runner(found), deeper);
    case 'find':
      runFind(args, runner(found), deeper);
      return undefined;
    default:
      return undefined;
  }
}

/** The runner `shell-runners.ts` reports to: code and commands are analysed into `found`. */
function runner(found: Findings): Runner {
  return {
    found,
    code: (name, words, ctx) => shellCode(name, words, found, ctx),
    argv: (words, ctx) => runArgv(words, found, ctx),
  };
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
