import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOrg } from '../org/load.js';
import type { IdSource } from '../ports.js';
import { compilePolicies } from './compile.js';
import { PolicyEngine } from './engine.js';

const org = parseOrg(
  `apiVersion: agentos/v1
kind: Organization
metadata: { name: t }
departments:
  - { id: fin, name: Finance }
  - { id: fin-pay, name: Payroll, parent: fin }
  - { id: ops, name: Ops }
people:
  - { id: boss@t.test, name: Boss, department: fin }
  - { id: gina@t.test, name: Gina, department: fin-pay, manager: boss@t.test }
agents:
  - { id: pay-bot, owner: gina@t.test, department: fin-pay, role: clerk, autonomy: 3 }
  - { id: ops-bot, owner: boss@t.test, department: ops, autonomy: 3 }
`,
  'org.yaml',
);

const policies = compilePolicies([
  {
    file: 'fin.yaml',
    text: `apiVersion: agentos/v1
kind: Policy
metadata: { name: fin }
scope: { department: fin }
rules:
  - { id: pay, effect: allow, action: "payments.*" }
  - id: big
    effect: require_approval
    action: payments.transfer
    when: { args.amount: { gt: 10000 } }
    reason: large payments need approval
    approval: { route: manager, levels: 2, quorum: "2 of 3", timeout: 4h }
  - { id: other, effect: deny, action: "hr.*" }
risk:
  - { id: big-risk, action: payments.transfer, when: { args.amount: { gt: 10000 } }, level: high }
---
apiVersion: agentos/v1
kind: Policy
metadata: { name: ops }
scope: { department: ops }
rules:
  - { id: anything, effect: allow }
`,
  },
]);

let n = 0;
const ids: IdSource = { next: (prefix) => `${prefix}_${++n}` };
const engine = new PolicyEngine(policies, org, { ids });

describe('PolicyEngine', () => {
  it('passes the approval block of the deciding rule along', () => {
    const d = engine.decide({ agent: 'pay-bot', action: 'payments.transfer', args: { amount: 20000 } });
    expect(d).toMatchObject({
      effect: 'require_approval',
      rules: ['fin/big'],
      reason: 'large payments need approval',
      risk: 'high',
      approvers: [],
      approval: { route: 'manager', levels: 2, quorum: 2, of: 3, timeoutMs: 4 * 3_600_000, rule: 'fin/big' },
    });
  });

  it('gives every decision its own id', () => {
    const a = engine.decide({ agent: 'pay-bot', action: 'payments.refund' });
    const b = engine.decide({ agent: 'pay-bot', action: 'payments.refund' });
    expect(a.decisionId).not.toBe(b.decisionId);
    expect(a.decisionId).toMatch(/^dec_/);
  });

  it('explains: documents in scope and not, every rule with why, the risk and the decision', () => {
    const x = engine.explain({ agent: 'pay-bot', action: 'payments.transfer', args: { amount: 20000 } });
    expect(x.contract).toEqual({ ok: true });
    expect(x.documents).toEqual([
      { name: 'fin', file: 'fin.yaml', scope: 'department: fin', inScope: true },
      { name: 'ops', file: 'fin.yaml', scope: 'department: ops', inScope: false },
    ]);
    expect(x.riskRules).toEqual([
      expect.objectContaining({ rule: 'fin/big-risk', effect: 'risk:high', outcome: 'matched' }),
    ]);
    expect(x.risk).toBe('high');
    expect(x.rules.map((r) => [r.rule, r.outcome])).toEqual([
      ['fin/pay', 'matched'],
      ['fin/big', 'matched'],
      ['fin/other', 'not-matched'],
    ]);
    expect(x.rules[2]?.why).toBe('action `payments.transfer` does not match `hr.*`');
    expect(x.rules[0]?.place).toEqual({ file: 'fin.yaml', line: 6, col: 5 });
    expect(x.decision.effect).toBe('require_approval');
  });

  it('explains a condition that does not hold with the value it saw', () => {
    const x = engine.explain({ agent: 'pay-bot', action: 'payments.transfer', args: { amount: 5 } });
    expect(x.rules.find((r) => r.rule === 'fin/big')?.why).toBe(
      'condition `args.amount gt 10000` does not hold (value: 5)',
    );
    expect(x.decision.effect).toBe('allow');
  });

  it('explains a broken contract', () => {
    const x = engine.explain({ agent: 'ghost', action: 'payments.transfer' });
    expect(x.contract).toMatchObject({ ok: false, rule: 'contract.unknown-agent' });
    expect(x.decision).toMatchObject({ effect: 'deny', rules: ['contract.unknown-agent'] });
  });

  it('decides the same whether explaining or not', () => {
    const reqs = [
      { agent: 'pay-bot', action: 'payments.transfer', args: { amount: 20000 } },
      { agent: 'pay-bot', action: 'hr.read' },
      { agent: 'pay-bot', action: 'x.y' },
      { agent: 'ops-bot', action: 'x.y' },
      { agent: 'pay-bot', action: 'payments.transfer', args: { amount: '1' } },
    ];
    for (const r of reqs) {
      const { decisionId: _a, ...d } = engine.decide(r);
      const { decisionId: _b, ...e } = engine.explain(r).decision;
      expect(e).toEqual(d);
    }
  });

  it('keeps its per-action index bounded whatever action names arrive', () => {
    for (let i = 0; i < 10_000; i++) engine.decide({ agent: 'ops-bot', action: `random.action${i}` });
    expect(engine.decide({ agent: 'ops-bot', action: 'x.y' }).effect).toBe('allow');
  });

  it('never throws, whatever the request', () => {
    const agent = fc.constantFrom('pay-bot', 'ops-bot', 'ghost', '');
    const action = fc.oneof(
      fc.constantFrom('payments.transfer', 'sql.query', 'shell.exec', 'file.read', 'http.get'),
      fc.string(),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({
            agent,
            action,
            resource: fc.option(fc.string(), { nil: undefined }),
            args: fc.option(fc.dictionary(fc.string(), fc.anything()), { nil: undefined }),
          }),
        ),
        (req) => {
          const d = engine.decide(req as never);
          expect(['allow', 'deny', 'require_approval']).toContain(d.effect);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('treats a resource no classifier could establish as unknown: restricting patterns apply, allowing ones do not', () => {
    const set = compilePolicies([
      {
        file: 'files.yaml',
        text: `apiVersion: agentos/v1
kind: Policy
metadata: { name: files }
scope: { org: true }
rules:
  - { id: read-anything, effect: allow, action: file.read }
  - { id: write-workspace, effect: allow, action: file.write, resource: "/workspace/**" }
  - { id: no-keys, effect: deny, action: "file.*", resource: "/**/.ssh/**" }
`,
      },
    ]);
    const e = new PolicyEngine(set, org, { ids });
    // the agent shows one path in `resource` and hides another in args.path: the path classifier refuses
    const lying = {
      agent: 'ops-bot',
      action: 'file.read',
      resource: '/home/u/.ssh/id_rsa',
      args: { path: '/workspace/x' },
    };
    expect(e.decide(lying)).toMatchObject({ effect: 'deny', rules: ['files/no-keys'], risk: 'critical' });
    const write = {
      agent: 'ops-bot',
      action: 'file.write',
      resource: '/workspace/safe',
      args: { path: '/etc/passwd' },
    };
    // an unknown resource may be a key file: every restricting pattern applies
    expect(e.decide(write)).toMatchObject({ effect: 'deny', rules: ['files/no-keys'], risk: 'critical' });
    const x = e.explain(write);
    expect(x.rules.find((r) => r.rule === 'files/write-workspace')?.why).toMatch(/the resource is unknown/);
    // an honest request is decided on its normalised path
    expect(e.decide({ agent: 'ops-bot', action: 'file.write', resource: '/workspace/a/../b' }).effect).toBe(
      'allow',
    );
    expect(e.decide({ agent: 'ops-bot', action: 'file.read', resource: '/home/u/x/../.ssh/id' }).effect).toBe(
      'deny',
    );
  });

  it('treats an unclassified resource with `.`/`..` segments as unknown', () => {
    const set = compilePolicies([
      {
        file: 'hr.yaml',
        text: `apiVersion: agentos/v1
kind: Policy
metadata: { name: hr }
scope: { org: true }
rules:
  - { id: records, effect: allow, action: hr.read, resource: "employee/*" }
  - { id: any-record, effect: allow, action: hr.list }
  - { id: no-ssn, effect: deny, action: "hr.*", resource: "employee/*/ssn" }
`,
      },
    ]);
    const e = new PolicyEngine(set, org, { ids });
    expect(e.decide({ agent: 'ops-bot', action: 'hr.read', resource: 'employee/1042' }).effect).toBe('allow');
    expect(e.decide({ agent: 'ops-bot', action: 'hr.read', resource: 'employee/..' }).effect).toBe('deny');
    expect(e.decide({ agent: 'ops-bot', action: 'hr.list', resource: 'employee/1/../1/ssn' })).toMatchObject({
      effect: 'deny',
      rules: ['hr/no-ssn'],
    });
    expect(e.decide({ agent: 'ops-bot', action: 'hr.list', resource: 'employee/v1.2/x' }).effect).toBe(
      'allow',
    );
  });
});
