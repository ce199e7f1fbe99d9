/**
 * Syscall numbers of the calls the filter names, per architecture, and the audit arch values the kernel
 * puts in `seccomp_data.arch`. A test checks every number against libseccomp's resolver.
 */

/** Architectures the filter is generated for. */
export type Arch = 'x86_64' | 'aarch64';

/** Every architecture the generator supports. */
export const ARCHES: readonly Arch[] = ['x86_64', 'aarch64'];

/** `AUDIT_ARCH_*` (`linux/audit.h`): EM_* | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH: Readonly<Record<Arch, number>> = {
  x86_64: 0xc000003e,
  aarch64: 0xc00000b7,
};

/** On x86_64, syscalls of the x32 ABI carry this bit (`__X32_SYSCALL_BIT`). */
export const X32_SYSCALL_BIT = 0x40000000;

/** `[x86_64, aarch64]` numbers of each syscall the filter names. */
const TABLE = {
  socket: [41, 198],
  socketpair: [53, 199],
  ioctl: [16, 29],
  clone: [56, 220],
  clone3: [435, 435],
  unshare: [272, 97],
  setns: [308, 268],
  ptrace: [101, 117],
  process_vm_readv: [310, 270],
  process_vm_writev: [311, 271],
  bpf: [321, 280],
  perf_event_open: [298, 241],
  userfaultfd: [323, 282],
  mount: [165, 40],
  umount2: [166, 39],
  pivot_root: [155, 41],
  move_mount: [429, 429],
  open_tree: [428, 428],
  fsopen: [430, 430],
  fsconfig: [431, 431],
  fsmount: [432, 432],
  fspick: [433, 433],
  mount_setattr: [442, 442],
  open_by_handle_at: [304, 265],
  io_uring_setup: [425, 425],
  io_uring_enter: [426, 426],
  io_uring_register: [427, 427],
  keyctl: [250, 219],
  add_key: [248, 217],
  request_key: [249, 218],
  init_module: [175, 105],
  finit_module: [313, 273],
  delete_module: [176, 106],
  kexec_load: [246, 104],
  kexec_file_load: [320, 294],
  reboot: [169, 142],
  swapon: [167, 224],
  swapoff: [168, 225],
} as const satisfies Record<string, readonly [number, number]>;

/** A syscall the filter names. */
export type SyscallName = keyof typeof TABLE;

/** Every syscall in the table, in table order. */
export const SYSCALL_NAMES = Object.keys(TABLE) as SyscallName[];

/** The number of `name` on `arch`. */
export function syscallNumber(name: SyscallName, arch: Arch): number {
  const [x86, arm] = TABLE[name];
  return arch === 'x86_64' ? x86 : arm;
}
