/**
 * What the agent sandbox's seccomp filter refuses, and why (docs/sandbox.md). Everything not named here is
 * allowed: namespaces, a read-only root and dropped capabilities do the rest, and node, python, bash and git
 * must keep working.
 */
import type { SyscallName } from './syscalls.js';

/** Error numbers the filter returns (the same on x86_64 and aarch64). */
export const ERRNO = {
  EPERM: 1,
  ENOSYS: 38,
} as const;

/** What the filter does with one call. */
export type Action =
  { readonly kind: 'allow' } | { readonly kind: 'errno'; readonly errno: number } | { readonly kind: 'kill' };

/** The actions the policy uses. */
export const ALLOW: Action = { kind: 'allow' };
export const EPERM: Action = { kind: 'errno', errno: ERRNO.EPERM };
export const ENOSYS: Action = { kind: 'errno', errno: ERRNO.ENOSYS };
export const KILL: Action = { kind: 'kill' };

/**
 * A test on the low 32 bits of one argument, after `& mask` when a mask is given: equal to `value`, or
 * sharing any bit with it.
 */
export interface ArgTest {
  readonly arg: number;
  readonly test: 'equals' | 'any-bit';
  readonly value: number;
  readonly mask?: number;
}

/** One case of a conditional rule: `then` when every test of `when` holds. */
export interface Case {
  readonly when: readonly ArgTest[];
  readonly then: Action;
}

/** One rule: a syscall and its action, or the first case whose tests hold (`otherwise` when none does). */
export type Rule =
  | { readonly syscall: SyscallName; readonly action: Action; readonly why: string }
  | {
      readonly syscall: SyscallName;
      readonly cases: readonly Case[];
      readonly otherwise: Action;
      readonly why: string;
    };

/** Socket address families (`linux/socket.h`). */
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
/** Socket types; the low four bits of `socket`'s `type` (`SOCK_NONBLOCK`/`SOCK_CLOEXEC` sit above). */
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_TYPE_MASK = 0xf;
/** `TIOCSTI`: push a byte into a terminal's input queue. */
export const TIOCSTI = 0x5412;
/** `CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET`. */
export const CLONE_NEW_NAMESPACES =
  0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

const refuse = (why: string, ...names: SyscallName[]): Rule[] =>
  names.map((syscall) => ({ syscall, action: EPERM, why }));

/** A rule of one case on one argument. */
const when = (syscall: SyscallName, test: ArgTest, then: Action, otherwise: Action, why: string): Rule => ({
  syscall,
  cases: [{ when: [test], then }],
  otherwise,
  why,
});

/** TCP and UDP sockets of both IP families. */
const IP_SOCKETS: readonly Case[] = [AF_INET, AF_INET6].flatMap((family) =>
  [SOCK_STREAM, SOCK_DGRAM].map((type): Case => ({
    when: [
      { arg: 0, test: 'equals', value: family },
      { arg: 1, test: 'equals', value: type, mask: SOCK_TYPE_MASK },
    ],
    then: ALLOW,
  })),
);

/** The sandbox policy, in the order the filter checks it. */
export const SANDBOX_RULES: readonly Rule[] = [
  {
    syscall: 'socket',
    cases: [{ when: [{ arg: 0, test: 'equals', value: AF_UNIX }], then: ALLOW }, ...IP_SOCKETS],
    otherwise: EPERM,
    why: 'Unix sockets (the kernel gateways), and TCP/UDP that reach only the loopback-only network namespace (the in-sandbox relay to the egress proxy); no raw, packet, netlink or vsock sockets',
  },
  when('socketpair', { arg: 0, test: 'equals', value: AF_UNIX }, ALLOW, EPERM, 'Unix socket pairs only'),
  when(
    'clone',
    { arg: 0, test: 'any-bit', value: CLONE_NEW_NAMESPACES },
    EPERM,
    ALLOW,
    'threads and processes, but no new namespaces (a nested user namespace gives back capabilities)',
  ),
  {
    syscall: 'clone3',
    action: ENOSYS,
    why: 'its flags are behind a pointer the filter cannot read; ENOSYS makes glibc and runtimes use clone',
  },
  when(
    'ioctl',
    { arg: 1, test: 'equals', value: TIOCSTI },
    EPERM,
    ALLOW,
    'TIOCSTI types into the terminal outside the sandbox',
  ),
  ...refuse('entering or making namespaces', 'unshare', 'setns'),
  ...refuse('reading or writing other processes', 'ptrace', 'process_vm_readv', 'process_vm_writev'),
  ...refuse('kernel attack surface with no use to an agent', 'bpf', 'perf_event_open', 'userfaultfd'),
  ...refuse(
    'changing the mount tree',
    'mount',
    'umount2',
    'pivot_root',
    'move_mount',
    'open_tree',
    'fsopen',
    'fsconfig',
    'fsmount',
    'fspick',
    'mount_setattr',
  ),
  ...refuse('opening files by handle escapes bind mounts', 'open_by_handle_at'),
  {
    syscall: 'io_uring_setup',
    action: ENOSYS,
    why: 'io_uring bypasses this filter for the calls it runs; ENOSYS makes libuv and others fall back',
  },
  ...refuse('io_uring (never set up, so never used)', 'io_uring_enter', 'io_uring_register'),
  ...refuse('the kernel keyring is shared across the sandbox boundary', 'keyctl', 'add_key', 'request_key'),
  ...refuse(
    'loading kernel code',
    'init_module',
    'finit_module',
    'delete_module',
    'kexec_load',
    'kexec_file_load',
  ),
  ...refuse('the machine itself', 'reboot', 'swapon', 'swapoff'),
];
