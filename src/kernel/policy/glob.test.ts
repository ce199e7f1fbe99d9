import fc from 'fast-check';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { compileActionGlob, compileResourceGlob } from './glob.js';

const r = (glob: string, s: string) => compileResourceGlob(glob)(s);
const a = (glob: string, s: string) => compileActionGlob(glob)(s);

describe('resource globs', () => {
  it('`*` and `?` stay within a segment', () => {
    expect(r('employee/*', 'employee/1042')).toBe(true);
    expect(r('employee/*', 'employee/1042/ssn')).toBe(false);
    expect(r('employee/*/ssn', 'employee/1/ssn')).toBe(true);
    expect(r('file-?.txt', 'file-a.txt')).toBe(true);
    expect(r('file-?.txt', 'file-ab.txt')).toBe(false);
    expect(r('*', 'a/b')).toBe(false);
    expect(r('*.csv', 'x.csv')).toBe(true);
  });

  it('`**` crosses segments, and matches none', () => {
    expect(r('/prod/**', '/prod')).toBe(true);
    expect(r('/prod/**', '/prod/a/b')).toBe(true);
    expect(r('/prod/**', '/production')).toBe(false);
    expect(r('/prod/**', '/pro')).toBe(false);
    expect(r('**/.ssh/**', '/home/u/.ssh/id_rsa')).toBe(true);
    expect(r('/**/.ssh/**', '/home/u/.ssh/id_rsa')).toBe(true);
    expect(r('/**/.ssh/**', '/.ssh')).toBe(true);
    expect(r('a/**/b', 'a/b')).toBe(true);
    expect(r('a/**/b', 'a/x/y/b')).toBe(true);
    expect(r('a/**/b', 'a/xb')).toBe(false);
    expect(r('**', '')).toBe(true);
    expect(r('/**', '')).toBe(false);
    expect(r('/**', '/')).toBe(true);
    expect(r('/**', '/etc/passwd')).toBe(true);
    expect(r('https://api.example.com/**', 'https://api.example.com/v1/x')).toBe(true);
    expect(r('https://*.example.com/**', 'https://a.example.com/v1/x')).toBe(true);
    expect(r('https://*.example.com/**', 'https://evil.test/a.example.com/x')).toBe(false);
  });

  it('`..` and `.` are not special: a deny pattern still sees them', () => {
    expect(r('/prod/**', '/prod/../etc/passwd')).toBe(true);
    expect(r('/prod/*', '/prod/.env')).toBe(true);
  });

  it('braces, escapes, negation, literals', () => {
    expect(r('file/{a,b}', 'file/b')).toBe(true);
    expect(r('file/{a,b}', 'file/c')).toBe(false);
    expect(r('{/etc,/var/{log,run}}/**', '/var/run/x')).toBe(true);
    expect(r('{,/x}', '')).toBe(true);
    expect(r('a\\*b', 'a*b')).toBe(true);
    expect(r('a\\*b', 'axb')).toBe(false);
    expect(r('!*@acme.test', 'a@acme.test')).toBe(false);
    expect(r('!*@acme.test', 'a@gmail.example')).toBe(true);
    expect(r('(a)+[b]|c$^', '(a)+[b]|c$^')).toBe(true);
    expect(r('a.b', 'axb')).toBe(false);
    expect(r('http://[::1]/*', 'http://[::1]/x')).toBe(true);
  });

  it('rejects malformed patterns', () => {
    expect(() => compileResourceGlob('a{b')).toThrow(/without `}`/);
    expect(r('a}b', 'a}b')).toBe(true); // a lone `}` is literal
    expect(() => compileResourceGlob('a\\')).toThrow(/cannot end/);
  });

  // picomatch differs by design on `.`/`..` segments, trailing slashes, empty segments (a lone `*`
  // there needs a character) and a trailing `/**` after a wildcard; everywhere else the two must agree
  it('agrees with picomatch on ordinary paths', () => {
    const token = fc.constantFrom('a', 'b', '/', '*', '**', '?', '{a,b}', 'ab');
    const pattern = fc.array(token, { minLength: 1, maxLength: 6 }).map((t) => t.join(''));
    const subject = fc
      .array(fc.constantFrom('a', 'b', '/'), { maxLength: 8 })
      .map((t) => t.join(''))
      .filter((s) => s !== '' && !s.startsWith('/') && !s.endsWith('/') && !s.includes('//'));
    fc.assert(
      fc.property(pattern, subject, (p, s) => {
        fc.pre(
          !p.includes('//') &&
            !p.startsWith('/') &&
            !p.endsWith('/') &&
            !p.endsWith('/**') &&
            !/\*\*\*|[^/]\*\*|\*\*[^/]/.test(p),
        );
        const ours = r(p, s);
        const theirs = picomatch.makeRe(p, { dot: true }).test(s);
        expect(ours, `${p} ~ ${s}`).toBe(theirs);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('action globs', () => {
  it('read dots as separators', () => {
    expect(a('hr.*.read', 'hr.records.read')).toBe(true);
    expect(a('hr.*.read', 'hr.records.all.read')).toBe(false);
    expect(a('mcp.**', 'mcp.github.create_issue')).toBe(true);
    expect(a('mcp.**', 'mcp')).toBe(true);
    expect(a('mcp.**', 'mcpx.a')).toBe(false);
    expect(a('*.*.delete', 'svc.obj.delete')).toBe(true);
    expect(a('k.{get,list}', 'k.list')).toBe(true);
    expect(a('sql.*', 'sql.query')).toBe(true);
    expect(a('sql.*', 'sql')).toBe(false);
    expect(a('payments.transfer', 'payments.transfer')).toBe(true);
    expect(a('payments.transfer', 'paymentsXtransfer')).toBe(false);
  });
});
