/**
 * Compiles the sandbox policy to a classic BPF seccomp program for one architecture.
 *
 * Shape: a foreign `seccomp_data.arch` (e.g. i386 via `int 0x80`) kills the process, as does an x32 call
 * on x86_64, since syscall numbers mean something else there; then one short block per rule, each ending
 * in a return; everything else is allowed. Pure: no I/O.
 */
import { AgentOsError } from '../../../kernel/errors.js';
import type { Instruction } from './bpf.js';
import { OP, SECCOMP_DATA, SECCOMP_RET, and, encode, jump, load, ret } from './bpf.js';
import type { Action, Case, Rule } from './policy.js';
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
    const block = [...rule.cases.flatMap(caseBlock), ret(actionValue(rule.otherwise))];
    if (block.length > 255) {
      throw new AgentOsError('AOS_INTERNAL', `seccomp rule for \`${rule.syscall}\` is too long to jump over`);
    }
    program.push(jump(OP.jeq, nr, 0, block.length), ...block);
  }
  program.push(ret(SECCOMP_RET.allow));
  return program;
}

/** One case: each test falls through to the next when it holds and skips to the next case when not. */
function caseBlock(c: Case): Instruction[] {
  const tests = c.when.map((t) => [
    load(SECCOMP_DATA.argLow(t.arg)),
    ...(t.mask === undefined ? [] : [and(t.mask >>> 0)]),
    { op: t.test === 'equals' ? OP.jeq : OP.jset, k: t.value >>> 0 },
  ]);
  const length = tests.reduce((n, t) => n + t.length, 0) + 1;
  const out: Instruction[] = [];
  for (const test of tests) {
    for (const part of test) {
      if ('op' in part) out.push(jump(part.op, part.k, 0, length - out.length - 1));
      else out.push(part);
    }
  }
  out.push(ret(actionValue(c.then)));
  return out;
}

/** The sandbox's filter for `arch`, as the bytes to hand bwrap on its `--seccomp` descriptor. */
export function sandboxFilter(arch: Arch): Uint8Array {
  return encode(compile(SANDBOX_RULES, arch));
}
