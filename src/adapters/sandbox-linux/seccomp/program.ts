/**
 * Compiles the sandbox policy to a classic BPF seccomp program for one architecture.
 *
 * Shape: a foreign `seccomp_data.arch` (e.g. i386 via `int 0x80`) kills the process, as does an x32 call
 * on x86_64, since syscall numbers mean something else there; then one short block per rule, each ending
 * in a return; everything else is allowed. Pure: no I/O.
 */
import { AgentOsError } from '../../../kernel/errors.js';
import type { Instruction } from './bpf.js';
import { OP, SECCOMP_DATA, SECCOMP_RET, encode, jump, load, ret } from './bpf.js';
import type { Action, Rule } from './policy.js';
import { SANDBOX_RULES } from './policy.js';
import type { Arch } from './syscalls.js';
import { AUDIT_ARCH, X32_SYSCALL_BIT, syscallNumber } from './syscalls.js';

/** The seccomp return value of an action. */
export function actionValue(action: Action): number {
  switch (action.kind) {
    case 'allow':
      return SECCOMP_RET.allow;
    case 'kill':
      return SECCOMP_RET.killProcess;
    case 'errno':
      return (SECCOMP_RET.errno | (action.errno & 0xffff)) >>> 0;
  }
}

/** Compiles rules to a program for `arch`; a syscall named twice is a bug in the rules. */
export function compile(rules: readonly Rule[], arch: Arch): Instruction[] {
  const seen = new Set<string>();
  const program: Instruction[] = [
    load(SECCOMP_DATA.arch),
    jump(OP.jeq, AUDIT_ARCH[arch], 1, 0),
    ret(SECCOMP_RET.killProcess),
    load(SECCOMP_DATA.nr),
  ];
  if (arch === 'x86_64') program.push(jump(OP.jge, X32_SYSCALL_BIT, 0, 1), ret(SECCOMP_RET.killProcess));
  for (const rule of rules) {
    if (seen.has(rule.syscall)) {
      throw new AgentOsError('AOS_INTERNAL', `seccomp rules name \`${rule.syscall}\` twice`);
    }
    seen.add(rule.syscall);
    const nr = syscallNumber(rule.syscall, arch);
    if ('action' in rule) {
      program.push(jump(OP.jeq, nr, 0, 1), ret(actionValue(rule.action)));
      continue;
    }
    // INVARIANT: the block ends in returns, so A (now an argument) is never read as the syscall number
    program.push(
      jump(OP.jeq, nr, 0, 4),
      load(SECCOMP_DATA.argLow(rule.when.arg)),
      jump(rule.when.test === 'equals' ? OP.jeq : OP.jset, rule.when.value >>> 0, 0, 1),
      ret(actionValue(rule.then)),
      ret(actionValue(rule.otherwise)),
    );
  }
  program.push(ret(SECCOMP_RET.allow));
  return program;
}

/** The sandbox's filter for `arch`, as the bytes to hand bwrap on its `--seccomp` descriptor. */
export function sandboxFilter(arch: Arch): Uint8Array {
  return encode(compile(SANDBOX_RULES, arch));
}
