import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActionRequest } from '../types.js';
import { classify } from './index.js';

describe('classify', () => {
  it('gives actions without a classifier no facts and no risk of their own (policy decides, else medium)', () => {
    expect(classify({ agent: 'a', action: 'payroll.update', resource: 'employee/1042' })).toEqual({
      facts: {},
    });
    expect(classify({ agent: 'a', action: 'shell.spawn', args: { command: 'rm -rf /' } })).toEqual({
      facts: {},
    });
  });

  it('routes each action family to its classifier', () => {
    expect(classify({ agent: 'a', action: 'sql.query', args: { sql: 'SELECT 1' } }).facts).toHaveProperty(
      'sql.statements',
    );
    expect(classify({ agent: 'a', action: 'shell.exec', args: { command: 'ls' } }).facts).toHaveProperty(
      'shell.commands',
    );
    expect(classify({ agent: 'a', action: 'file.read', resource: '/x' }).facts).toHaveProperty('path');
    expect(classify({ agent: 'a', action: 'http.get', resource: 'https://x.com' }).facts).toHaveProperty(
      'url.host',
    );
  });

  it('fails closed on a request without a string action', () => {
    expect(classify({ agent: 'a' } as unknown as ActionRequest).risk).toBe('critical');
  });

  it('never throws on arbitrary requests, and fact values are plain JSON', () => {
    const action = fc.oneof(
      fc.constantFrom('sql.query', 'shell.exec', 'file.read', 'file.write', 'http.request', 'other.thing'),
      fc.string(),
    );
    const request = fc.record({
      agent: fc.string(),
      action,
      resource: fc.option(fc.oneof(fc.string(), fc.anything()), { nil: undefined }),
      args: fc.option(
        fc.oneof(
          fc.record(
            { sql: fc.string(), command: fc.string(), url: fc.string(), path: fc.string() },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(request, (r) => {
        const c = classify(r as ActionRequest);
        const classified = ['sql.', 'shell.exec', 'file.', 'http.'].some((p) => r.action.startsWith(p));
        if (classified || typeof r.action !== 'string')
          expect(['low', 'medium', 'high', 'critical']).toContain(c.risk);
        else expect(c.risk).toBeUndefined();
        for (const value of Object.values(c.facts)) {
          const plain =
            ['string', 'number', 'boolean'].includes(typeof value) ||
            (Array.isArray(value) && value.every((v) => typeof v === 'string'));
          expect(plain).toBe(true);
        }
        if (Object.keys(c.facts).some((k) => k.endsWith('.error'))) expect(c.risk).toBe('critical');
      }),
      { numRuns: 500 },
    );
  });
});
