/**
 * Classic BPF as seccomp reads it: the few instructions a filter needs and their encoding as
 * `struct sock_filter` (u16 code, u8 jt, u8 jf, u32 k; little-endian, 8 bytes each).
 *
 * Pure: no I/O. The kernel only accepts programs whose jumps go forward and stay inside the program,
 * so {@link encode} checks that rather than letting the kernel refuse the load with a bare EINVAL; a
 * program that fails the check is a bug in the generator (`AOS_INTERNAL`).
 */
import { AgentOsError } from '../../../kernel/errors.js';

/** One instruction, `struct sock_filter`. */
export interface Instruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** Opcodes used by the generator (`linux/bpf_common.h`). */
export const OP = {
  /** `BPF_LD | BPF_W | BPF_ABS`: A ← the 32-bit word at offset k of `seccomp_data`. */
  ldAbsW: 0x20,
  /** `BPF_JMP | BPF_JEQ | BPF_K`: A == k ? jt : jf. */
  jeq: 0x15,
  /** `BPF_JMP | BPF_JGE | BPF_K`: A >= k (unsigned) ? jt : jf. */
  jge: 0x35,
  /** `BPF_JMP | BPF_JSET | BPF_K`: (A & k) != 0 ? jt : jf. */
  jset: 0x45,
  /** `BPF_ALU | BPF_AND | BPF_K`: A ← A & k. */
  and: 0x54,
  /** `BPF_RET | BPF_K`: return k. */
  ret: 0x06,
} as const;

/** Seccomp return values (`linux/seccomp.h`); the low 16 bits of `errno` carry the error number. */
export const SECCOMP_RET = {
  killProcess: 0x80000000,
  errno: 0x00050000,
  allow: 0x7fff0000,
} as const;

/** Offsets into `struct seccomp_data` (nr, arch, instruction pointer, six 64-bit args). */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  /** Offset of the low 32 bits of argument `i` (the data is little-endian on both supported arches). */
  argLow: (i: number): number => 16 + 8 * i,
  /** Size of `struct seccomp_data` in bytes. */
  size: 64,
} as const;

/** Longest program the kernel accepts (`BPF_MAXINSNS`). */
export const MAX_INSTRUCTIONS = 4096;

/** `A ← seccomp_data[offset]`. */
export const load = (offset: number): Instruction => ({ code: OP.ldAbsW, jt: 0, jf: 0, k: offset });
/** Conditional jump; `jt`/`jf` count instructions to skip after this one. */
export const jump = (code: number, k: number, jt: number, jf: number): Instruction => ({ code, jt, jf, k });
/** `A ← A & k`. */
export const and = (k: number): Instruction => ({ code: OP.and, jt: 0, jf: 0, k });
/** Return a seccomp verdict. */
export const ret = (k: number): Instruction => ({ code: OP.ret, jt: 0, jf: 0, k });

/** Bytes per encoded instruction. */
export const INSTRUCTION_BYTES = 8;

/**
 * Encodes a program as the bytes bwrap's `--seccomp` reads; throws on a program the kernel would
 * refuse (empty, too long, a field out of range, a jump past the end, or not ending in a return).
 */
export function encode(program: readonly Instruction[]): Uint8Array {
  if (program.length === 0 || program.length > MAX_INSTRUCTIONS) {
    throw new AgentOsError(
      'AOS_INTERNAL',
      `a seccomp program has 1 to ${MAX_INSTRUCTIONS} instructions, got ${program.length}`,
    );
  }
  const last = program[program.length - 1];
  if (last?.code !== OP.ret) throw new AgentOsError('AOS_INTERNAL', 'a seccomp program must end in a return');
  const bytes = new Uint8Array(program.length * INSTRUCTION_BYTES);
  const view = new DataView(bytes.buffer);
  program.forEach((ins, i) => {
    checkField(ins.code, 0xffff, 'code', i);
    checkField(ins.jt, 0xff, 'jt', i);
    checkField(ins.jf, 0xff, 'jf', i);
    checkField(ins.k, 0xffffffff, 'k', i);
    if (isJump(ins.code) && i + 1 + Math.max(ins.jt, ins.jf) >= program.length) {
      throw new AgentOsError('AOS_INTERNAL', `instruction ${i} jumps past the end of the program`);
    }
    const at = i * INSTRUCTION_BYTES;
    view.setUint16(at, ins.code, true);
    view.setUint8(at + 2, ins.jt);
    view.setUint8(at + 3, ins.jf);
    view.setUint32(at + 4, ins.k, true);
  });
  return bytes;
}

/** Decodes bytes written by {@link encode} (for tests and for inspecting a filter). */
export function decode(bytes: Uint8Array): Instruction[] {
  if (bytes.length % INSTRUCTION_BYTES !== 0) {
    throw new AgentOsError('AOS_INTERNAL', `a seccomp program is a multiple of 8 bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Instruction[] = [];
  for (let at = 0; at < bytes.length; at += INSTRUCTION_BYTES) {
    out.push({
      code: view.getUint16(at, true),
      jt: view.getUint8(at + 2),
      jf: view.getUint8(at + 3),
      k: view.getUint32(at + 4, true),
    });
  }
  return out;
}

function checkField(value: number, max: number, name: string, i: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new AgentOsError(
      'AOS_INTERNAL',
      `instruction ${i}: ${name} must be an integer from 0 to ${max}, got ${value}`,
    );
  }
}

/** True for `BPF_JMP` class instructions, the only ones whose jt/jf are read. */
export function isJump(code: number): boolean {
  return (code & 0x07) === 0x05;
}
