import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatProblem, isAgentOsError } from '../errors.js';
import type { AgentOsError } from '../errors.js';
import { parseOrg } from './load.js';

const HEAD = 'apiVersion: agentos/v1\nkind: Organization\nmetadata: { name: t }\n';

/** The error parseOrg throws for `text` (fails the test when it loads). */
function failure(text: string): AgentOsError {
  try {
    parseOrg(text, 'org.yaml');
  } catch (e) {
    if (isAgentOsError(e)) return e;
    throw e;
  }
  throw new Error('expected the org to be rejected');
}

/** Every problem of `text` as `file:line:col: message`. */
function problems(text: string): string[] {
  const e = failure(text);
  expect(e.code).toBe('AOS_ORG_INVALID');
  return e.problems.map(formatProblem);
}

const SAMPLE = `apiVersion: agentos/v1
kind: Organization
metadata: { name: acme }
departments:
  - { id: hr, name: Human Resources, approvers: [dana@acme.test] }
  - { id: hr-payroll, name: Payroll, parent: hr }
people:
  - { id: dana@acme.test, name: Dana, department: hr, manager: erin@acme.test, roles: [approver] }
  - { id: gina@acme.test, name: Gina, department: hr-payroll, manager: dana@acme.test, active: true }
agents:
  - { id: payroll-bot, owner: gina@acme.test, department: hr-payroll, role: payroll-clerk,
      autonomy: 2, riskCeiling: medium }
`;

describe('parseOrg: the sample', () => {
  it('reports the sample’s manager `erin@acme.test`, who is not in people', () => {
    expect(problems(SAMPLE)).toEqual([
      'org.yaml:8:64: person `dana@acme.test` names manager `erin@acme.test`, who is not in people',
    ]);
  });

  it('loads the sample once erin is in people, with defaults filled in', () => {
    const org = parseOrg(
      SAMPLE.replace('people:\n', 'people:\n  - { id: erin@acme.test, name: Erin }\n'),
      'org.yaml',
    );
    expect(org.name).toBe('acme');
    expect([...org.departments.keys()]).toEqual(['hr', 'hr-payroll']);
    expect([...org.people.keys()]).toEqual(['erin@acme.test', 'dana@acme.test', 'gina@acme.test']);
    expect(org.departments.get('hr')?.approvers).toEqual(['dana@acme.test']);
    expect(org.departments.get('hr-payroll')?.approvers).toEqual([]);
    expect(org.people.get('erin@acme.test')).toMatchObject({ roles: [], active: true });
    expect(org.people.get('dana@acme.test')).toMatchObject({
      manager: 'erin@acme.test',
      roles: ['approver'],
    });
    expect(org.agents.get('payroll-bot')).toMatchObject({
      owner: 'gina@acme.test',
      department: 'hr-payroll',
      role: 'payroll-clerk',
      autonomy: 2,
      riskCeiling: 'medium',
    });
    expect(org.ancestry('hr-payroll')).toEqual(['hr-payroll', 'hr']);
    expect(org.ancestry('hr')).toEqual(['hr']);
    expect(org.ancestry('nowhere')).toEqual([]);
  });

  it('defaults riskCeiling to medium and keeps descriptions and labels', () => {
    const org = parseOrg(
      `${HEAD.replace('{ name: t }', '{ name: t, description: test org, labels: { tier: gold } }')}` +
        'departments: [{ id: d, name: D, description: does things }]\n' +
        'people: [{ id: p, name: P }]\n' +
        'agents: [{ id: a, owner: p, department: d, autonomy: 3, description: an agent }]\n',
      'org.yaml',
    );
    expect(org.description).toBe('test org');
    expect(org.labels).toEqual({ tier: 'gold' });
    expect(org.departments.get('d')?.description).toBe('does things');
    expect(org.agents.get('a')).toMatchObject({
      riskCeiling: 'medium',
      description: 'an agent',
      autonomy: 3,
    });
  });

  it('loads the onboarding example, including an agent whose owner has left', () => {
    const text = readFileSync(new URL('../../../examples/onboarding/org.yaml', import.meta.url), 'utf8');
    const org = parseOrg(text, 'org.yaml');
    expect(org.agents.get('legacy-sync-bot')?.owner).toBe('sam@acme.test');
    expect(org.people.get('sam@acme.test')?.active).toBe(false);
    expect(org.ancestry('finance-payroll')).toEqual(['finance-payroll', 'finance', 'exec']);
  });
});

describe('parseOrg: problems, all at once, each at its place', () => {
  it('reports a wrong apiVersion and kind', () => {
    expect(problems('apiVersion: agentos/v2\nkind: Organisation\nmetadata: { name: t }\n')).toEqual([
      'org.yaml:1:13: `apiVersion` must be one of agentos/v1, got `agentos/v2`',
      'org.yaml:2:7: `kind` must be one of Organization, got `Organisation`',
    ]);
  });

  it('reports shape problems and reference problems together', () => {
    const text =
      HEAD +
      'departments:\n' +
      '  - { id: HR, name: Human Resources, colour: blue }\n' +
      'people:\n' +
      '  - { id: dana@t, name: Dana, department: HR, active: yes }\n' +
      'agents:\n' +
      '  - { id: bot, owner: dana@t, department: HR, autonomy: 5, riskCeiling: extreme }\n' +
      '  - { id: bot2, owner: ghost@t, department: HR }\n' +
      '  - { id: bot3, owner: dana@t, department: HR, autonomy: 1.5 }\n' +
      '  - { id: bot4, owner: dana@t, department: HR, autonomy: two }\n';
    expect(problems(text)).toEqual([
      'org.yaml:5:11: `departments[0].id`: must be lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit, got `HR`',
      'org.yaml:5:38: unknown field `colour` in `departments[0]`',
      'org.yaml:7:55: `people[0].active` must be a boolean, got `yes`',
      'org.yaml:9:57: `agents[0].autonomy` must be one of 0, 1, 2, 3, got `5`',
      'org.yaml:9:73: `agents[0].riskCeiling` must be one of low, medium, high, critical, got `extreme`',
      'org.yaml:10:5: missing required field `autonomy` in `agents[1]`',
      'org.yaml:10:24: agent `bot2` names owner `ghost@t`, who is not in people',
      'org.yaml:11:58: `agents[2].autonomy` must be one of 0, 1, 2, 3, got `1.5`',
      'org.yaml:12:58: `agents[3].autonomy` must be one of 0, 1, 2, 3, got `two`',
    ]);
  });

  it('reports malformed ids and empty names', () => {
    const text =
      HEAD +
      'departments: [{ id: "", name: "" }]\n' +
      'people: [{ id: " dana", name: Dana, roles: [Approver] }]\n' +
      'agents: [{ id: Payroll Bot, owner: " dana", department: "", autonomy: 1 }]\n';
    expect(problems(text)).toEqual([
      'org.yaml:4:21: `departments[0].id`: must be lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit, got ``',
      'org.yaml:4:31: `departments[0].name`: must not be empty',
      'org.yaml:5:16: `people[0].id`: must be a non-empty id without control characters or surrounding spaces, got ` dana`',
      'org.yaml:5:45: `people[0].roles[0]`: must be lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit, got `Approver`',
      'org.yaml:6:16: `agents[0].id`: must be lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit, got `Payroll Bot`',
      'org.yaml:6:57: `agents[0].department`: must not be empty',
    ]);
  });

  it('reports duplicate ids, and an agent with the id of a person', () => {
    const text =
      HEAD +
      'departments:\n' +
      '  - { id: hr, name: HR }\n' +
      '  - { id: hr, name: HR again }\n' +
      'people:\n' +
      '  - { id: dana@t, name: Dana }\n' +
      '  - { id: ops-bot, name: Ops Desk }\n' +
      '  - { id: dana@t, name: Dana again }\n' +
      'agents:\n' +
      '  - { id: bot, owner: dana@t, department: hr, autonomy: 1 }\n' +
      '  - { id: bot, owner: dana@t, department: hr, autonomy: 1 }\n' +
      '  - { id: ops-bot, owner: dana@t, department: hr, autonomy: 1 }\n';
    expect(problems(text)).toEqual([
      'org.yaml:6:11: department `hr` is defined more than once (see line 5)',
      'org.yaml:10:11: person `dana@t` is defined more than once (see line 8)',
      'org.yaml:13:11: agent `bot` is defined more than once (see line 12)',
      'org.yaml:14:11: agent `ops-bot` has the same id as a person (see line 9)',
    ]);
  });

  it('reports every dangling reference, and an inactive approver', () => {
    const text =
      HEAD +
      'departments:\n' +
      '  - { id: hr, name: HR, parent: nowhere, approvers: [ghost@t, sam@t, dana@t, bot] }\n' +
      'people:\n' +
      '  - { id: dana@t, name: Dana, department: sales, manager: erin@t }\n' +
      '  - { id: sam@t, name: Sam, active: false }\n' +
      'agents:\n' +
      '  - { id: bot, owner: nobody@t, department: ops, autonomy: 2 }\n' +
      '  - { id: bot2, owner: bot, department: hr, autonomy: 2 }\n';
    expect(problems(text)).toEqual([
      'org.yaml:5:33: department `hr` names parent `nowhere`, which is not in departments',
      'org.yaml:5:54: department `hr` names approver `ghost@t`, who is not in people',
      'org.yaml:5:63: department `hr` names approver `sam@t`, who is inactive and can approve nothing',
      'org.yaml:5:78: department `hr` names approver `bot`, which is an agent, not a person',
      'org.yaml:7:43: person `dana@t` names department `sales`, which is not in departments',
      'org.yaml:7:59: person `dana@t` names manager `erin@t`, who is not in people',
      'org.yaml:10:23: agent `bot` names owner `nobody@t`, who is not in people',
      'org.yaml:10:45: agent `bot` names department `ops`, which is not in departments',
      'org.yaml:11:24: agent `bot2` names owner `bot`, which is an agent, not a person',
    ]);
  });

  it('loads an agent whose owner is inactive (the contract suspends it at run time)', () => {
    const org = parseOrg(
      HEAD +
        'departments: [{ id: it, name: IT }]\n' +
        'people: [{ id: sam@t, name: Sam, active: false }]\n' +
        'agents: [{ id: old-bot, owner: sam@t, department: it, autonomy: 3 }]\n',
      'org.yaml',
    );
    expect(org.people.get('sam@t')?.active).toBe(false);
    expect(org.agents.has('old-bot')).toBe(true);
  });

  it('reports cycles of length 1, 2 and 3 once each, naming the members', () => {
    const text =
      HEAD +
      'departments:\n' +
      '  - { id: self, name: Self, parent: self }\n' +
      '  - { id: a, name: A, parent: b }\n' +
      '  - { id: b, name: B, parent: a }\n' +
      '  - { id: tail, name: Tail, parent: z }\n' +
      '  - { id: y, name: Y, parent: z }\n' +
      '  - { id: x, name: X, parent: y }\n' +
      '  - { id: z, name: Z, parent: x }\n' +
      'people:\n' +
      '  - { id: me@t, name: Me, manager: me@t }\n' +
      '  - { id: p@t, name: P, manager: q@t }\n' +
      '  - { id: q@t, name: Q, manager: r@t }\n' +
      '  - { id: r@t, name: R, manager: p@t }\n' +
      '  - { id: u@t, name: U, manager: v@t }\n' +
      '  - { id: v@t, name: V, manager: u@t }\n';
    expect(problems(text)).toEqual([
      'org.yaml:5:37: department `self` is its own parent',
      'org.yaml:6:31: department cycle: `a` → `b` → `a`',
      'org.yaml:9:31: department cycle: `y` → `z` → `x` → `y`',
      'org.yaml:13:36: person `me@t` is their own manager',
      'org.yaml:14:34: manager cycle: `p@t` → `q@t` → `r@t` → `p@t`',
      'org.yaml:17:34: manager cycle: `u@t` → `v@t` → `u@t`',
    ]);
  });

  it('reports YAML syntax problems as AOS_YAML_SYNTAX, with places', () => {
    const e = failure(HEAD + 'departments: [{ id: a, name: A }\npeople: []\n');
    expect(e.code).toBe('AOS_YAML_SYNTAX');
    expect(e.problems.length).toBeGreaterThan(0);
    expect(e.problems.every((p) => p.place?.file === 'org.yaml' && p.place.line >= 4)).toBe(true);
    const dup = failure(HEAD + 'people: []\npeople: []\n');
    expect(dup.code).toBe('AOS_YAML_SYNTAX');
    expect(dup.problems.map(formatProblem)).toEqual(['org.yaml:5:1: yaml: map keys must be unique']);
  });

  it('reports an empty file, a second document and a document that is not a mapping', () => {
    expect(problems('# nothing here\n')).toEqual(['org.yaml:1:1: the organisation file is empty']);
    expect(problems(HEAD + '---\n' + HEAD)).toEqual([
      'org.yaml:5:1: an organisation file holds exactly one document',
    ]);
    expect(problems('- just\n- a list\n')).toEqual([
      'org.yaml:1:1: `(document)` must be an object, got `["just","a list"]`',
    ]);
  });

  it('names the first problem in the message and counts the rest', () => {
    const e = failure(HEAD + 'people: [{ id: a, name: A, manager: x }, { id: b, name: B, manager: c }]\n');
    expect(e.message).toBe('org.yaml:4:37: person `a` names manager `x`, who is not in people (and 1 more)');
  });
});

/** Runs parseOrg and checks the only way it may fail: an AgentOsError whose problems all have places. */
function loadsOrFailsWell(text: string): ReturnType<typeof parseOrg> | undefined {
  try {
    return parseOrg(text, 'org.yaml');
  } catch (e) {
    expect(isAgentOsError(e)).toBe(true);
    const err = e as AgentOsError;
    expect(['AOS_YAML_SYNTAX', 'AOS_ORG_INVALID']).toContain(err.code);
    expect(err.problems.length).toBeGreaterThan(0);
    for (const p of err.problems) {
      expect(p.place?.file).toBe('org.yaml');
      expect(p.message).not.toMatch(/\n/);
    }
    return undefined;
  }
}

describe('parseOrg: properties', () => {
  it('never throws anything but an AgentOsError on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'grapheme' }),
          fc.string().map((s) => HEAD + s),
        ),
        (text) => {
          loadsOrFailsWell(text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws anything but an AgentOsError on arbitrary JSON-ish data written as YAML', () => {
    const doc = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(
        fc.constantFrom('apiVersion', 'kind', 'metadata', 'departments', 'people', 'agents', 'x'),
        fc.jsonValue(),
      ),
    );
    fc.assert(
      fc.property(doc, (value) => {
        loadsOrFailsWell(stringify(value));
      }),
      { numRuns: 200 },
    );
  });

  it('either loads an org whose references all resolve, or reports why', () => {
    const org = fc
      .record({ departments: fc.nat(4), people: fc.nat(3), agents: fc.nat(3) })
      .chain((n) => orgDocument(n.departments, n.people, n.agents));
    let loadedAgents = 0;
    let rejected = 0;
    fc.assert(
      fc.property(org, (value) => {
        const loaded = loadsOrFailsWell(stringify(value));
        if (!loaded) {
          rejected++;
          return;
        }

        loadedAgents += loaded.agents.size;
        for (const a of loaded.agents.values()) {
          expect(loaded.people.has(a.owner)).toBe(true);
          expect(loaded.ancestry(a.department)[0]).toBe(a.department);
        }
        for (const d of loaded.departments.values()) {
          const chain = loaded.ancestry(d.id);
          expect(new Set(chain).size).toBe(chain.length);
          expect(loaded.departments.get(chain[chain.length - 1] ?? '')?.parent).toBeUndefined();
          for (const approver of d.approvers) expect(loaded.people.get(approver)?.active).toBe(true);
        }
        for (const person of loaded.people.values()) {
          // the manager chain resolves and ends
          let steps = 0;
          for (let m = person.manager; m !== undefined; m = loaded.people.get(m)?.manager) {
            expect(loaded.people.has(m)).toBe(true);
            expect(++steps).toBeLessThanOrEqual(loaded.people.size);
          }
        }
      }),
      { numRuns: 300 },
    );
    // the generator must reach the loaded branch, or the checks above prove nothing
    expect(loadedAgents).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });
});

/** Mostly `good`, sometimes `bad`: generated orgs then both load and fail, and failures are rarely many at once. */
function mostly<T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: good, weight: 15 }, { arbitrary: bad, weight: 1 });
}

function oneOf(ids: readonly string[], fallback: string): fc.Arbitrary<string> {
  return ids.length > 0 ? fc.constantFrom(...ids) : fc.constant(fallback);
}

/** One of `ids` or none (an undefined field, which YAML leaves out). */
function noneOr(ids: readonly string[]): fc.Arbitrary<string | undefined> {
  return fc.constantFrom<string | undefined>(undefined, ...ids);
}

/**
 * An org document of `d` departments, `p` people and `a` agents whose references mostly point at earlier
 * entries (so mostly valid), with occasional bad ids, dangling references, cycles and bad values.
 */
function orgDocument(d: number, p: number, a: number): fc.Arbitrary<unknown> {
  const depts = Array.from({ length: d }, (_, i) => `d${i}`);
  const people = Array.from({ length: p }, (_, i) => `p${i}@t`);
  const anyDept = mostly(oneOf(depts, 'ghost'), fc.constantFrom('ghost', 'D0', ''));
  const anyPerson = mostly(oneOf(people, 'ghost@t'), fc.constantFrom('ghost@t', 'a0', ' x'));
  const department = (id: string, i: number) =>
    fc.record(
      {
        id: mostly(fc.constant(id), oneOf(depts, 'Bad')),
        name: mostly(fc.constant('D'), fc.constant('')),
        // an earlier department, so no cycle, unless bad
        parent: mostly(noneOr(depts.slice(0, i)), anyDept),
        approvers: fc.array(anyPerson, { maxLength: 2 }),
      },
      { requiredKeys: ['id', 'name'] },
    );
  const person = (id: string, i: number) =>
    fc.record(
      {
        id: mostly(fc.constant(id), oneOf(people, ' bad')),
        name: fc.constant('P'),
        department: anyDept,
        manager: mostly(noneOr(people.slice(0, i)), anyPerson),
        active: mostly(fc.constant(true), fc.constant(false)),
      },
      { requiredKeys: ['id', 'name'] },
    );
  const agent = (i: number) =>
    fc.record(
      {
        id: mostly(fc.constant(`a${i}`), fc.constantFrom('a0', 'Bot', 'p0@t')),
        owner: anyPerson,
        department: anyDept,
        autonomy: mostly(fc.constantFrom<unknown>(0, 1, 2, 3), fc.constantFrom<unknown>(4, -1, 1.5, '2')),
        riskCeiling: mostly(fc.constantFrom('low', 'medium', 'high', 'critical'), fc.constant('extreme')),
      },
      { requiredKeys: ['id', 'owner', 'department', 'autonomy'] },
    );
  return fc.record({
    apiVersion: fc.constant('agentos/v1'),
    kind: fc.constant('Organization'),
    metadata: fc.constant({ name: 'gen' }),
    departments: fc.tuple(...depts.map(department)),
    people: fc.tuple(...people.map(person)),
    agents: fc.tuple(...Array.from({ length: a }, (_, i) => agent(i))),
  });
}
