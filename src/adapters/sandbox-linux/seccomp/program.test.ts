/**
 * The generated programs, run on a small classic-BPF interpreter over random `seccomp_data`: the verdicts
 * must be the ones the rules intend. (test/e2e/sandbox-seccomp.test.ts proves the kernel reads the encoding
 * the same way.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Instruction } from './bpf.js';
import { MAX_INSTRUCTIONS, OP, SECCOMP_DATA, SECCOMP_RET, decode, encode, isJump } from './bpf.js';
import type { Action, ArgTest, Rule } from './policy.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  ALLOW,
  SOCK_DGRAM,
  SOCK_STREAM,
  ENOSYS,
  EPERM,
  ERRNO,
  KILL,
  SANDBOX_RULES,
  TIOCSTI,
} from './policy.js';
import { actionValue, compile, sandboxFilter } from './program.js';
import type { Arch, SyscallName } from './syscalls.js';
import { ARCHES, AUDIT_ARCH, SYSCALL_NAMES, X32_SYSCALL_BIT, syscallNumber } from './syscalls.js';

/** `struct seccomp_data`, with each argument as its low and high 32-bit words. */
interface Data {
  readonly nr: number;
  readonly arch: number;
  readonly args: readonly (readonly [low: number, high: number])[];
}

/** Reads the 32-bit word at `offset` of `seccomp_data` as the kernel lays it out (little-endian). */
function word(data: Data, offset: number): number {
  if (offset % 4 !== 0 || offset < 0 || offset >= SECCOMP_DATA.size) throw new Error(`bad offset ${offset}`);
  if (offset === 0) return data.nr >>> 0;
  if (offset === 4) return data.arch >>> 0;
  if (offset < 16) return 0; // instruction pointer
  const arg = data.args[Math.floor((offset - 16) / 8)] ?? [0, 0];
  return (offset % 8 === 0 ? arg[0] : arg[1]) >>> 0;
}

/** A classic-BPF interpreter for the instructions seccomp programs use; throws on anything else. */
function run(program: readonly Instruction[], data: Data): number {
  let a = 0;
  for (let pc = 0; pc < program.length;) {
    const ins = program[pc];
    if (!ins) throw new Error(`pc ${pc} out of range`);
    if (isJump(ins.code) && pc + 1 + Math.max(ins.jt, ins.jf) >= program.length) throw new Error('jump out');
    switch (ins.code) {
      case OP.ldAbsW:
        a = word(data, ins.k);
        pc += 1;
        break;
      case OP.jeq:
        pc += 1 + (a === ins.k >>> 0 ? ins.jt : ins.jf);
        break;
      case OP.jge:
        pc += 1 + (a >= ins.k >>> 0 ? ins.jt : ins.jf);
        break;
      case OP.jset:
        pc += 1 + ((a & ins.k) !== 0 ? ins.jt : ins.jf);
        break;
      case OP.and:
        a = (a & ins.k) >>> 0;
        pc += 1;
        break;
      case OP.ret:
        return ins.k >>> 0;
      default:
        throw new Error(`unexpected opcode ${ins.code}`);
    }
  }
  throw new Error('fell off the end');
}

/** The intended verdict, read straight from the rules. */
function intended(rules: readonly Rule[], arch: Arch, data: Data): number {
  if (data.arch >>> 0 !== AUDIT_ARCH[arch]) return SECCOMP_RET.killProcess;
  if (arch === 'x86_64' && data.nr >>> 0 >= X32_SYSCALL_BIT) return SECCOMP_RET.killProcess;
  const rule = rules.find((r) => syscallNumber(r.syscall, arch) === data.nr >>> 0);
  if (!rule) return SECCOMP_RET.allow;
  if ('action' in rule) return actionValue(rule.action);
  const holds = (t: ArgTest): boolean => {
    const raw = (data.args[t.arg] ?? [0, 0])[0] >>> 0;
    const v = t.mask === undefined ? raw : (raw & t.mask) >>> 0;
    return t.test === 'any-bit' ? (v & t.value) !== 0 : v === t.value >>> 0;
  };
  const hit = rule.cases.find((c) => c.when.every(holds));
  return actionValue(hit ? hit.then : rule.otherwise);
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const archArb = fc.constantFrom(...ARCHES);
const argsArb = fc.array(fc.tuple(u32, u32), { minLength: 6, maxLength: 6 });
/** Random data for a program built for `arch`: mostly its own arch and the numbers the rules name. */
const dataArb = (arch: Arch): fc.Arbitrary<Data> =>
  fc.record({
    arch: fc.oneof(fc.constant(AUDIT_ARCH[arch]), fc.constantFrom(...Object.values(AUDIT_ARCH)), u32),
    nr: fc.oneof(
      fc.constantFrom(...SYSCALL_NAMES.map((n) => syscallNumber(n, arch))),
      fc.integer({ min: 0, max: 600 }),
      fc.integer({ min: 0, max: 600 }).map((n) => n + X32_SYSCALL_BIT),
      u32,
    ),
    args: fc.oneof(
      argsArb,
      // the values the conditional rules test for, so both branches are taken
      argsArb.chain((args) =>
        fc
          .constantFrom(
            AF_UNIX,
            AF_INET,
            AF_INET6,
            0x80001,
            0x802,
            3,
            TIOCSTI,
            0x10000000,
            0x00020000,
            0x003d0f00,
          )
          .chain((v) =>
            fc.nat({ max: 5 }).map((i) => args.map((a, j) => (j === i ? ([v, a[1]] as const) : a))),
          ),
      ),
    ),
  });

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.constant(ALLOW),
  fc.constant(KILL),
  fc.integer({ min: 1, max: 4095 }).map((errno): Action => ({ kind: 'errno', errno })),
);
/** A test, mostly on the small values the data generator favours so that cases both hold and fail. */
const testArb: fc.Arbitrary<ArgTest> = fc
  .record({
    arg: fc.nat({ max: 5 }),
    test: fc.constantFrom('equals' as const, 'any-bit' as const),
    value: fc.oneof(u32, fc.constantFrom(1, 2, 3, 10)),
    mask: fc.option(fc.constantFrom(0xf, 0xff, 0xffffffff), { nil: undefined }),
  })
  .map(({ arg, test, value, mask }): ArgTest =>
    mask === undefined ? { arg, test, value } : { arg, test, value, mask },
  );
const ruleArb = (syscall: SyscallName): fc.Arbitrary<Rule> =>
  fc.oneof(
    actionArb.map((action): Rule => ({ syscall, action, why: 'test' })),
    fc
      .record({
        cases: fc.array(
          fc.record({ when: fc.array(testArb, { minLength: 1, maxLength: 3 }), then: actionArb }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        otherwise: actionArb,
      })
      .map(({ cases, otherwise }): Rule => ({ syscall, cases, otherwise, why: 'test' })),
  );
const rulesArb: fc.Arbitrary<Rule[]> = fc
  .uniqueArray(fc.constantFrom(...SYSCALL_NAMES), { maxLength: SYSCALL_NAMES.length })
  .chain((names) => fc.tuple(...names.map(ruleArb)));

const errno = (n: number): number => actionValue({ kind: 'errno', errno: n });

describe('seccomp program', () => {
  it.each(ARCHES)('the sandbox filter for %s gives the intended verdict on random calls', (arch) => {
    const program = decode(sandboxFilter(arch));
    fc.assert(
      fc.property(dataArb(arch), (data) => {
        expect(run(program, data)).toBe(intended(SANDBOX_RULES, arch, data));
      }),
      { numRuns: 3000 },
    );
  });

  it('any rule set compiles to a program that does what its rules say', () => {
    fc.assert(
      fc.property(rulesArb, archArb, (rules, arch) => {
        const program = decode(encode(compile(rules, arch)));
        fc.assert(
          fc.property(dataArb(arch), (data) => {
            expect(run(program, data)).toBe(intended(rules, arch, data));
          }),
          { numRuns: 30 },
        );
      }),
      { numRuns: 200 },
    );
  });

  it('refuses what the sandbox must refuse, on both arches', () => {
    for (const arch of ARCHES) {
      const program = decode(sandboxFilter(arch));
      const call = (name: SyscallName, ...lows: number[]): number =>
        run(program, {
          arch: AUDIT_ARCH[arch],
          nr: syscallNumber(name, arch),
          args: lows.map((l) => [l, 0] as const),
        });
      expect(call('socket', AF_INET, SOCK_STREAM, 0)).toBe(SECCOMP_RET.allow);
      expect(call('socket', AF_INET, SOCK_STREAM | 0x80000 | 0x800, 0)).toBe(SECCOMP_RET.allow); // CLOEXEC|NONBLOCK
      expect(call('socket', AF_INET6, SOCK_DGRAM, 0)).toBe(SECCOMP_RET.allow);
      expect(call('socket', AF_INET, 3, 1)).toBe(errno(ERRNO.EPERM)); // SOCK_RAW, ICMP
      expect(call('socket', AF_INET6, 3, 58)).toBe(errno(ERRNO.EPERM)); // SOCK_RAW, ICMPv6
      expect(call('socket', AF_INET, 5, 0)).toBe(errno(ERRNO.EPERM)); // SOCK_SEQPACKET
      expect(call('socket', 17, 3, 0)).toBe(errno(ERRNO.EPERM)); // AF_PACKET
      expect(call('socket', 16, 3, 0)).toBe(errno(ERRNO.EPERM)); // AF_NETLINK
      expect(call('socket', 40, 1, 0)).toBe(errno(ERRNO.EPERM)); // AF_VSOCK
      expect(call('socketpair', AF_INET, SOCK_STREAM, 0)).toBe(errno(ERRNO.EPERM));
      expect(call('socket', AF_UNIX, 1, 0)).toBe(SECCOMP_RET.allow);
      expect(call('socketpair', AF_UNIX, 1, 0)).toBe(SECCOMP_RET.allow);
      expect(call('clone', 0x10000000 | 17)).toBe(errno(ERRNO.EPERM)); // CLONE_NEWUSER | SIGCHLD
      expect(call('clone', 0x003d0f00)).toBe(SECCOMP_RET.allow); // glibc's pthread_create flags
      expect(call('clone', 17)).toBe(SECCOMP_RET.allow); // fork
      expect(call('clone3')).toBe(errno(ERRNO.ENOSYS));
      expect(call('io_uring_setup')).toBe(errno(ERRNO.ENOSYS));
      expect(call('ioctl', 0, TIOCSTI)).toBe(errno(ERRNO.EPERM));
      expect(call('ioctl', 0, 0x541b)).toBe(SECCOMP_RET.allow); // FIONREAD
      for (const name of [
        'ptrace',
        'bpf',
        'perf_event_open',
        'mount',
        'unshare',
        'setns',
        'keyctl',
      ] as const) {
        expect(call(name)).toBe(errno(ERRNO.EPERM));
      }
      // read(2) on aarch64 is 63, write(2) on x86_64 is 1: not named, so allowed
      expect(run(program, { arch: AUDIT_ARCH[arch], nr: arch === 'x86_64' ? 1 : 63, args: [] })).toBe(
        SECCOMP_RET.allow,
      );
      const foreign = arch === 'x86_64' ? AUDIT_ARCH.aarch64 : AUDIT_ARCH.x86_64;
      expect(run(program, { arch: foreign, nr: 1, args: [] })).toBe(SECCOMP_RET.killProcess);
      expect(run(program, { arch: 0x40000003, nr: 1, args: [] })).toBe(SECCOMP_RET.killProcess); // i386
    }
    const x86 = decode(sandboxFilter('x86_64'));
    expect(run(x86, { arch: AUDIT_ARCH.x86_64, nr: X32_SYSCALL_BIT + 1, args: [] })).toBe(
      SECCOMP_RET.killProcess,
    );
  });

  it('uses the documented errno and actions', () => {
    expect(SANDBOX_RULES.some((r) => 'action' in r && r.action === ENOSYS)).toBe(true);
    expect(SANDBOX_RULES.some((r) => 'action' in r && r.action === EPERM)).toBe(true);
    expect(actionValue(EPERM)).toBe(0x00050001);
    expect(actionValue(KILL)).toBe(0x80000000);
  });
});

describe('BPF encoding', () => {
  const insArb: fc.Arbitrary<Instruction> = fc.record({
    code: fc.constantFrom(OP.ldAbsW, OP.ret, 0x04, 0x54),
    jt: fc.constant(0),
    jf: fc.constant(0),
    k: u32,
  });
  it('decodes what it encodes, 8 little-endian bytes an instruction', () => {
    fc.assert(
      fc.property(fc.array(insArb, { maxLength: 50 }), u32, (body, k) => {
        const program = [...body, { code: OP.ret, jt: 0, jf: 0, k }];
        const bytes = encode(program);
        expect(bytes.length).toBe(program.length * 8);
        expect(decode(bytes)).toEqual(program);
        const view = new DataView(bytes.buffer);
        expect(view.getUint32(bytes.length - 4, true)).toBe(k);
      }),
    );
  });

  it('the sandbox filter starts by checking the arch and is well within the kernel limit', () => {
    for (const arch of ARCHES) {
      const program = decode(sandboxFilter(arch));
      expect(program[0]).toEqual({ code: OP.ldAbsW, jt: 0, jf: 0, k: SECCOMP_DATA.arch });
      expect(program[1]?.k).toBe(AUDIT_ARCH[arch]);
      expect(program.length).toBeLessThan(MAX_INSTRUCTIONS / 10);
    }
  });

  it('refuses programs the kernel would refuse', () => {
    const r = (k: number): Instruction => ({ code: OP.ret, jt: 0, jf: 0, k });
    expect(() => encode([])).toThrow(/1 to 4096/);
    expect(() => encode([{ code: OP.ldAbsW, jt: 0, jf: 0, k: 0 }])).toThrow(/end in a return/);
    expect(() => encode([{ code: OP.jeq, jt: 1, jf: 0, k: 0 }, r(0)])).toThrow(/jumps past the end/);
    expect(() => encode([{ code: OP.ret, jt: 0, jf: 0, k: 2 ** 32 }])).toThrow(/k must be/);
    expect(() => encode(Array.from({ length: MAX_INSTRUCTIONS + 1 }, () => r(0)))).toThrow(/got 4097/);
    expect(() => compile([...SANDBOX_RULES, { syscall: 'bpf', action: ALLOW, why: '' }], 'x86_64')).toThrow(
      /`bpf` twice/,
    );
    expect(() => decode(new Uint8Array(7))).toThrow(/multiple of 8/);
  });
});
