/**
 * Every syscall number in our table, checked against libseccomp's own tables through `scmp_sys_resolver`
 * (Debian package `seccomp`; CI installs it). One shell runs all the look-ups, so this takes a blink.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ARCHES, SYSCALL_NAMES, syscallNumber } from './syscalls.js';

const resolver = spawnSync('scmp_sys_resolver', ['-a', 'x86_64', 'read'], { encoding: 'utf8' });
const haveResolver = resolver.status === 0;
if (!haveResolver && !process.env['CI']) {
  console.warn(
    'skipping the libseccomp check: `scmp_sys_resolver` is not installed (apt-get install seccomp)',
  );
}

describe('syscall table', () => {
  // INVARIANT: CI installs the resolver, so there the check runs or fails, never skips
  it.skipIf(!haveResolver && !process.env['CI'])('matches libseccomp on x86_64 and aarch64', () => {
    const script =
      'for a in $ARCHES; do for n in $NAMES; do echo "$a $n $(scmp_sys_resolver -a $a $n)"; done; done';
    const r = spawnSync('sh', ['-c', script], {
      encoding: 'utf8',
      env: { ...process.env, ARCHES: ARCHES.join(' '), NAMES: SYSCALL_NAMES.join(' ') },
    });
    expect(r.status, r.stderr).toBe(0);
    const theirs = r.stdout.trim().split('\n');
    const ours = ARCHES.flatMap((a) => SYSCALL_NAMES.map((n) => `${a} ${n} ${syscallNumber(n, a)}`));
    expect(theirs).toEqual(ours);
    expect(theirs.length).toBe(2 * SYSCALL_NAMES.length);
  });
});
