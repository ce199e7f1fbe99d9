/**
 * Wrapper commands: programs that run another program named in their arguments (`sudo rm …`, `env X=1 rm …`,
 * `timeout 5 rm …`, `xargs rm`). Each is described by how its options are read (getopt style), so the
 * classifier can find the command it runs. Option tables follow the GNU/util-linux/sudo manuals.
 */
import type { ShellWord } from './shell-words.js';

/** How a wrapper's arguments are laid out before the command it runs. */
export interface WrapperSpec {
  /** Short options that take a value (`-u root` or `-uroot`). */
  readonly valued?: string;
  /** Long options that take a value (`--user root` or `--user=root`). */
  readonly longValued?: readonly string[];
  /** Positional arguments between the options and the command (`timeout DURATION cmd`: 1). */
  readonly positional?: number;
  /** Reads a lone `-` as an option (`env -` is `env -i`) rather than as the command. */
  readonly loneDash?: boolean;
  /** Skips `NAME=value` words before the command (env, sudo). */
  readonly assignments?: boolean;
  /** Options whose value is a shell command string (`env -S`, `flock -c`, `su -c`). */
  readonly shellString?: readonly string[];
  /** Options that make `xargs` substitute input into the command (`-I R`, `-i`, `--replace`). */
  readonly replace?: readonly string[];
  /** The command run when none is named (`xargs` runs `echo`). */
  readonly defaultCommand?: string;
  /** True when the wrapper appends its input to the command line (xargs), so a missing command is dynamic. */
  readonly appendsInput?: boolean;
  /** Options whose value is a `NAME=value` environment assignment (`systemd-run -E PATH=…`). */
  readonly envValued?: readonly string[];
  /** True when, without a command, the wrapper runs a shell reading standard input (`fakeroot`). */
  readonly shellWithoutCommand?: boolean;
  /** True when the wrapper expands `$VAR` in the command itself (`systemd-run`), so `$` is dynamic. */
  readonly expandsVariables?: boolean;
}

/** Every wrapper the shell classifier sees through, by command basename. */
export const WRAPPERS: Readonly<Record<string, WrapperSpec>> = {
  env: {
    valued: 'uCS',
    longValued: ['--unset', '--chdir', '--split-string'],
    assignments: true,
    loneDash: true,
    shellString: ['-S', '--split-string'],
  },
  sudo: {
    valued: 'CDgpRrtTUu',
    longValued: [
      '--close-from',
      '--chdir',
      '--group',
      '--prompt',
      '--chroot',
      '--role',
      '--type',
      '--command-timeout',
      '--other-user',
      '--user',
      '--host',
    ],
    assignments: true,
  },
  doas: { valued: 'uC' },
  pkexec: { longValued: ['--user'] },
  nohup: {},
  setsid: {},
  exec: { valued: 'a' },
  command: {},
  builtin: {},
  busybox: {},
  toybox: {},
  nice: { valued: 'n', longValued: ['--adjustment'] },
  ionice: { valued: 'cnpPu', longValued: ['--class', '--classdata', '--pid', '--pgid', '--uid'] },
  timeout: { valued: 'sk', longValued: ['--signal', '--kill-after'], positional: 1 },
  stdbuf: { valued: 'ioe', longValued: ['--input', '--output', '--error'] },
  chroot: { longValued: ['--userspec', '--groups'], positional: 1 },
  taskset: { positional: 1 },
  chrt: {
    valued: 'TPD',
    longValued: ['--sched-runtime', '--sched-period', '--sched-deadline'],
    positional: 1,
  },
  unshare: {
    valued: 'SGRw',
    longValued: ['--setuid', '--setgid', '--root', '--wd', '--propagation', '--setgroups'],
  },
  nsenter: { valued: 'tSG', longValued: ['--target', '--setuid', '--setgid'] },
  time: { valued: 'fo', longValued: ['--format', '--output'] },
  strace: { valued: 'abeEIoOpPsSuUX', longValued: ['--output', '--signal', '--trace', '--user', '--env'] },
  ltrace: { valued: 'aAeEnopsuwxXDFlL', longValued: ['--output', '--library'] },
  flock: {
    valued: 'wE',
    longValued: ['--wait', '--timeout', '--conflict-exit-code'],
    positional: 1,
    shellString: ['-c', '--command'],
  },
  fakeroot: { valued: 'lsib', longValued: ['--lib', '--faked'], shellWithoutCommand: true },
  setpriv: {
    longValued: [
      '--bounding-set',
      '--groups',
      '--inh-caps',
      '--ambient-caps',
      '--securebits',
      '--pdeathsig',
      '--selinux-label',
      '--apparmor-profile',
      '--landlock-access',
      '--landlock-rule',
      '--seccomp-filter',
      '--ruid',
      '--euid',
      '--rgid',
      '--egid',
      '--reuid',
      '--regid',
    ],
  },
  'systemd-run': {
    valued: 'upEHMC',
    longValued: [
      '--unit',
      '--property',
      '--description',
      '--slice',
      '--uid',
      '--gid',
      '--nice',
      '--working-directory',
      '--setenv',
      '--on-active',
      '--on-boot',
      '--on-startup',
      '--on-unit-active',
      '--on-unit-inactive',
      '--on-calendar',
      '--timer-property',
      '--path-property',
      '--socket-property',
      '--service-type',
      '--host',
      '--machine',
      '--capsule',
      '--expand-environment',
    ],
    envValued: ['-E', '--setenv'],
    expandsVariables: true,
  },
  'flatpak-spawn': {
    longValued: [
      '--forward-fd',
      '--env',
      '--unset-env',
      '--sandbox-expose',
      '--sandbox-expose-ro',
      '--sandbox-expose-path',
      '--sandbox-expose-path-ro',
      '--sandbox-flag',
      '--directory',
      '--app-path',
      '--usr-path',
    ],
    envValued: ['--env'],
  },
  runuser: {
    valued: 'gGsuwc',
    longValued: [
      '--group',
      '--supp-group',
      '--shell',
      '--user',
      '--whitelist-environment',
      '--command',
      '--session-command',
    ],
    shellString: ['-c', '--command', '--session-command'],
    shellWithoutCommand: true,
  },
  xargs: {
    valued: 'adEILnPs',
    longValued: [
      '--arg-file',
      '--delimiter',
      '--max-args',
      '--max-procs',
      '--max-chars',
      '--process-slot-var',
    ],
    replace: ['-I', '-i', '--replace'],
    defaultCommand: 'echo',
    appendsInput: true,
  },
};

/** Where a wrapper's command starts, and what else its options said. */
export interface WrapperArgs {
  /** Index of the command in the argument list (may equal its length: no command). */
  readonly index: number;
  /** A shell command string given by option (`env -S '…'`, `flock -c '…'`). */
  readonly shellString?: ShellWord | undefined;
  /** The text xargs replaces with input (`{}`), when it substitutes. */
  readonly replace?: string | undefined;
  /** An option word the shell computes at run time: its meaning cannot be known. */
  readonly dynamic?: ShellWord | undefined;
  /** Values of `envValued` options (`NAME=value`). */
  readonly environment: readonly ShellWord[];
  /** Every option word read (`-u`, `--user=x`), in order. */
  readonly options: readonly string[];
}

/**
 * Reads a wrapper's options, assignments and positionals (getopt style: options end at `--` or the first
 * non-option word) and returns where its command starts.
 */
export function readWrapperArgs(spec: WrapperSpec, args: readonly ShellWord[]): WrapperArgs {
  let shellString: ShellWord | undefined;
  let replace: string | undefined;
  const environment: ShellWord[] = [];
  const options: string[] = [];
  let i = 0;
  const valueAt = (j: number): ShellWord | undefined => args[j];
  for (; i < args.length; i++) {
    const arg = args[i] as ShellWord;
    const v = arg.value;
    if (arg.dynamic) return { index: i, dynamic: arg, environment, options };
    if (v === '--') {
      // env and sudo still read `NAME=value` words after `--` (`env -i -- A=1 cmd`)
      for (i++; spec.assignments && i < args.length && /^[^=]+=/.test(args[i]?.value ?? ''); i++) {
        if (args[i]?.dynamic) return { index: i, dynamic: args[i], environment, options };
      }
      break;
    }
    if (v === '-' && spec.loneDash) continue;
    if (!v.startsWith('-') || v === '-') {
      // env and sudo take any `NAME=value` (even names a shell would not: `BASH_FUNC_ls%%=…`)
      if (spec.assignments && /^[^=]+=/.test(v)) continue;
      break;
    }
    options.push(v);
    if (v.startsWith('--')) {
      const eq = v.indexOf('=');
      const name = eq === -1 ? v : v.slice(0, eq);
      let value: ShellWord | undefined;
      if (eq !== -1) value = { value: v.slice(eq + 1), dynamic: false };
      else if (spec.longValued?.includes(name)) value = valueAt(++i);
      if (spec.shellString?.includes(name)) shellString = value ?? { value: '', dynamic: true };
      if (spec.replace?.includes(name)) replace = value?.value ?? '{}';
      if (spec.envValued?.includes(name)) environment.push(value ?? { value: '', dynamic: true });
      continue;
    }
    // a cluster of short options: `-xvu root`, `-uroot`, `-n5`
    for (let k = 1; k < v.length; k++) {
      const letter = v[k] ?? '';
      if (spec.replace?.includes('-' + letter)) {
        const attached = v.slice(k + 1);
        replace = letter === 'I' ? attached || valueAt(++i)?.value || '{}' : attached || '{}';
        break;
      }
      if (!spec.valued?.includes(letter)) continue;
      const attached = v.slice(k + 1);
      const value = attached !== '' ? { value: attached, dynamic: false } : valueAt(++i);
      if (spec.shellString?.includes('-' + letter)) shellString = value ?? { value: '', dynamic: true };
      if (spec.envValued?.includes('-' + letter)) environment.push(value ?? { value: '', dynamic: true });
      break;
    }
  }
  // positionals come after the options; flock also takes `-c` after its lock file
  for (let p = 0; p < (spec.positional ?? 0) && i < args.length; p++, i++) {
    if (args[i]?.dynamic) return { index: i, dynamic: args[i], environment, options };
  }
  const next = args[i]?.value;
  if (spec.shellString && next !== undefined && spec.shellString.includes(next)) {
    shellString = args[i + 1] ?? { value: '', dynamic: true };
    i = args.length;
  }
  return { index: i, shellString, replace, environment, options };
}
