/**
 * Fuzzing the daemon over real HTTP: random methods, paths, headers, content types and bodies — JSON of every
 * shape, near-valid requests with one field wrong, bytes that are not JSON — sent by an authenticated agent,
 * a person and nobody. No input may get a 5xx or take the daemon down, and every refusal has a code.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExampleNode, type Daemon } from '../support/daemon.js';

const node = new ExampleNode('agentos-fuzz-');
let daemon: Daemon;
const secrets: string[] = [];

beforeAll(async () => {
  secrets.push(
    node.credential('payroll-bot'),
    node.token('fiona@acme.test', 'approver'),
    'aosa_' + 'x'.repeat(43),
  );
  daemon = await node.serve();
});

afterAll(async () => {
  await daemon.stop('SIGKILL');
  node.remove();
});

const paths = fc.oneof(
  fc.constantFrom(
    '/v1/actions',
    '/v1/actions/act_nothing',
    '/v1/actions/act_nothing/outcome',
    '/v1/approvals',
    '/v1/approvals?mine=true',
    '/v1/approvals/apr_nothing/approve',
    '/v1/approvals/apr_nothing/deny',
    '/v1/signals',
    '/v1/org',
    '/v1/policies',
    '/healthz',
  ),
  fc.string().map((s) => '/v1/' + encodeURIComponent(s)),
  fc.string().map((s) => `/v1/actions/${encodeURIComponent(s)}?wait=${encodeURIComponent(s)}`),
);

/** A request that is valid but for one field. */
const nearlyValid = fc
  .record({
    agent: fc.oneof(fc.constant('payroll-bot'), fc.string(), fc.integer(), fc.constant(null)),
    action: fc.oneof(fc.constant('payroll.update'), fc.string(), fc.constant('a..b'), fc.array(fc.string())),
    resource: fc.oneof(fc.constant('employee/1'), fc.string(), fc.integer()),
    args: fc.oneof(fc.object(), fc.string(), fc.array(fc.anything())),
    context: fc.oneof(fc.object(), fc.constant(null)),
  })
  .map((r) => JSON.stringify(r));

const bodies = fc.oneof(
  nearlyValid,
  fc.json(),
  fc.anything().map((v) => {
    try {
      return JSON.stringify(v) ?? 'null';
    } catch {
      return 'null';
    }
  }),
  fc.string(),
  fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constant('{"__proto__": {"admin": true}, "agent": "payroll-bot", "action": "x.y"}'),
  fc.constant('['.repeat(5000) + ']'.repeat(5000)),
);

describe('the API under random input', () => {
  it('never answers 5xx, always with a coded error, and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        paths,
        fc.option(fc.constantFrom(...secrets, 'garbage', ''), { nil: undefined }),
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', undefined),
        bodies,
        async (method, path, secret, type, body) => {
          const headers: Record<string, string> = {};
          if (secret !== undefined) headers.authorization = `Bearer ${secret}`;
          if (type !== undefined) headers['content-type'] = type;
          const res = await fetch(daemon.url + path, {
            method,
            headers,
            ...(method === 'GET' || method === 'DELETE' ? {} : { body }),
          });
          const text = await res.text();
          expect(res.status, `${method} ${path} → ${text}`).toBeLessThan(500);
          if (res.status >= 400) {
            const error = (JSON.parse(text) as { error?: { code?: string } }).error;
            expect(error?.code, text).toMatch(/^AOS_[A-Z_]+$/);
          }
        },
      ),
      { numRuns: 400 },
    );
    const health = await fetch(daemon.url + '/healthz');
    expect(health.status).toBe(200);
  });
});
