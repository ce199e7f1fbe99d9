/**
 * The seccomp architecture of this process, when the sandbox supports it.
 */
import type { Arch } from './seccomp/syscalls.js';

/** The filter architecture for Node's `process.arch`, or undefined where no filter is generated. */
export function hostArch(nodeArch: string = process.arch): Arch | undefined {
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'aarch64';
  return undefined;
}
