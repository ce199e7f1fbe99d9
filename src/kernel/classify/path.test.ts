import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify, normalisePath } from './index.js';

const file = (action: string, resource: unknown, args?: Record<string, unknown>) =>
  classify({ agent: 'a', action, resource: resource as string, args });

describe('normalisePath', () => {
  it.each([
    ['/srv/../etc/passwd', '/etc/passwd'],
    ['/a/./b//c/', '/a/b/c'],
    ['../../', '/'],
    ['../../etc/shadow', '/etc/shadow'],
    ['/../../../etc', '/etc'],
    ['etc/passwd', '/etc/passwd'],
    ['./x', '/x'],
    ['/', '/'],
    ['//', '/'],
    ['///a///', '/a'],
    ['.', '/'],
    ['..', '/'],
    ['/a/b/../../..', '/'],
    ['/a/..b/c', '/a/..b/c'],
    ['/a/.../b', '/a/.../b'],
    ['/srv/%2e%2e/etc', '/srv/%2e%2e/etc'],
    ['/srv/..\\etc', '/srv/..\\etc'],
    ['/ünï/cødé/../x', '/ünï/x'],
  ])('%j → %j', (input, expected) => {
    expect(normalisePath(input)).toBe(expected);
  });

  it('agrees with node:path posix.resolve from / on random paths', () => {
    const segment = fc.oneof(
      fc.constantFrom('', '.', '..', '...', 'a', 'b', '.hidden', 'x..', ' ', '\\'),
      fc.string({ minLength: 1, maxLength: 4 }).filter((s) => !s.includes('/') && !s.includes('\0')),
    );
    const path = fc
      .tuple(fc.boolean(), fc.array(segment, { maxLength: 12 }), fc.boolean())
      .map(([abs, segs, trailing]) => (abs ? '/' : '') + segs.join('/') + (trailing ? '/' : ''));
    fc.assert(
      fc.property(path, (p) => {
        const expected = posix.resolve('/', p);
        expect(normalisePath(p)).toBe(expected);
        // for absolute input, posix.normalize agrees too (modulo the trailing slash it keeps)
        if (p.startsWith('/') && !p.startsWith('//')) {
          const normal = posix.normalize(p);
          expect(normalisePath(p)).toBe(normal.length > 1 ? normal.replace(/\/$/, '') : normal);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent and never leaves `.`, `..`, `//` or a trailing slash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (p) => {
        const n = normalisePath(p);
        expect(normalisePath(n)).toBe(n);
        expect(n.startsWith('/')).toBe(true);
        expect(n.split('/').slice(1)).not.toContain('..');
        expect(n.split('/').slice(1)).not.toContain('.');
        expect(n).not.toContain('//');
        if (n !== '/') expect(n.endsWith('/')).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('path classifier', () => {
  it('normalises the resource into the path fact and the resource', () => {
    const c = file('file.write', '/srv/app/../../etc/passwd');
    expect(c).toEqual({ facts: { path: '/etc/passwd' }, risk: 'medium', resource: '/etc/passwd' });
  });

  it.each([
    ['file.read', 'low'],
    ['file.list', 'low'],
    ['file.stat', 'low'],
    ['file.write', 'medium'],
    ['file.delete', 'medium'],
    ['file.chmod', 'medium'],
  ])('%s is %s risk', (action, risk) => {
    expect(file(action, '/tmp/x').risk).toBe(risk);
  });

  it('falls back to args.path when there is no resource', () => {
    expect(file('file.read', undefined, { path: 'a/../b' }).facts).toEqual({ path: '/b' });
  });

  it('refuses a resource and args.path that name different files', () => {
    const c = file('file.write', '/tmp/safe', { path: '/etc/passwd' });
    expect(c.risk).toBe('critical');
    expect(c.facts['path.error']).toBe('the resource and `args.path` name different paths');
    expect(c.resource).toBeNull();
    expect(file('file.write', '/tmp/./x', { path: '/tmp//x/' }).facts).toEqual({ path: '/tmp/x' });
  });

  it.each([
    ['a nul byte', '/etc/passwd\0.txt', 'path `/etc/passwd\\u0000.txt` contains a nul byte'],
    ['an empty path', '', 'path is empty'],
    ['a missing path', undefined, 'path is missing, not a string'],
    ['a number', 42, 'path is a number, not a string'],
    ['an object', { path: '/x' }, 'path is an object, not a string'],
    ['an array', ['/x'], 'path is an array, not a string'],
    ['input over 64 KiB', '/a'.repeat(40_000), 'path is longer than 65536 characters'],
  ])('fails closed on %s', (_label, resource, message) => {
    const c = file('file.read', resource);
    expect(c.risk).toBe('critical');
    expect(c.facts['path.error']).toBe(message);
    expect(c.resource).toBeNull();
  });

  it('never throws on arbitrary resources and args', () => {
    fc.assert(
      fc.property(fc.string(), fc.anything(), fc.anything(), (action, resource, args) => {
        const c = file('file.' + action, resource, args as Record<string, unknown>);
        expect(['low', 'medium', 'critical']).toContain(c.risk);
      }),
      { numRuns: 500 },
    );
  });
});
