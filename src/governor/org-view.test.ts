/**
 * The console's view of the org on the example organisation and its real policies: lifecycle states from
 * standing signals and the contract (a kill wins over everything, an owner who left suspends), and the
 * documents that apply to departments and agents by scope inheritance.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FsSourceReader } from '../adapters/fs-source.js';
import { UlidSource } from '../adapters/ids.js';
import { parseOrg } from '../kernel/org/load.js';
import { compilePolicies } from '../kernel/policy/compile.js';
import { PolicyEngine } from '../kernel/policy/engine.js';
import { agentViews, orgView } from './org-view.js';
import { readPolicySources } from './policy-workspace.js';
import { boardOf } from './signal-board.js';
import type { StandingSignal } from './store.js';

const example = fileURLToPath(new URL('../../examples/onboarding', import.meta.url));
const reader = new FsSourceReader();
const org = parseOrg(await reader.read(join(example, 'org.yaml')), 'org.yaml');
const engine = new PolicyEngine(
  compilePolicies(await readPolicySources(reader, [join(example, 'policies')])),
  org,
  { ids: new UlidSource() },
);
const signal = (s: Partial<StandingSignal>): StandingSignal => ({
  scope: 'agent',
  target: '',
  signal: 'stop',
  by: 'olivia@acme.test',
  time: '2026-01-01T00:00:00.000Z',
  ...s,
});
const states = (signals: StandingSignal[]) =>
  Object.fromEntries(agentViews(org, boardOf(signals)).map((a) => [a.id, a.state]));

describe('agent states', () => {
  it('are active, or suspended when the owner left, with nothing standing', () => {
    expect(states([])).toEqual({
      'identity-bot': 'active',
      'access-bot': 'active',
      'hardware-bot': 'active',
      'payroll-bot': 'active',
      'training-bot': 'active',
      'planner-bot': 'active',
      'legacy-sync-bot': 'suspended',
    });
  });

  it('follow a department stop down the tree, and a kill wins over a stop and a suspension', () => {
    const s = states([
      signal({ scope: 'department', target: 'it' }),
      signal({ scope: 'agent', target: 'access-bot', signal: 'kill' }),
      signal({ scope: 'agent', target: 'legacy-sync-bot', signal: 'kill' }),
    ]);
    expect(s).toMatchObject({
      'identity-bot': 'stopped',
      'hardware-bot': 'stopped',
      'access-bot': 'killed',
      'legacy-sync-bot': 'killed',
      'payroll-bot': 'active',
    });
  });

  it('say why', () => {
    const views = agentViews(org, boardOf([signal({ scope: 'all', target: '*', reason: 'incident 7' })]));
    const hardware = views.find((a) => a.id === 'hardware-bot');
    expect(hardware?.reason).toBe(
      'stopped by olivia@acme.test (on everything, 2026-01-01T00:00:00.000Z): incident 7',
    );
    const legacy = views.find((a) => a.id === 'legacy-sync-bot');
    expect(legacy).toMatchObject({ state: 'suspended', contractRule: 'contract.owner-inactive' });
    expect(views.find((a) => a.id === 'planner-bot')).toMatchObject({
      state: 'stopped',
      contractRule: 'contract.autonomy-observe',
    });
  });
});

describe('policies in scope', () => {
  const view = orgView(engine, boardOf([]));
  const names = (list: readonly { name: string }[] | undefined) => list?.map((d) => d.name).sort();

  it('apply to a department from the org and every department up its tree', () => {
    const dept = (id: string) => view.departments.find((d) => d.id === id);
    expect(names(dept('exec')?.policies)).toEqual(['org-baseline']);
    expect(names(dept('it-hardware')?.policies)).toEqual(['it', 'it-hardware', 'org-baseline']);
    expect(dept('it-hardware')?.effectiveApprovers).toEqual(['ivan@acme.test']);
    expect(dept('it-hardware')?.approvers).toEqual([]);
  });

  it('apply to an agent with its agent-scoped documents too', () => {
    const agent = (id: string) => view.agents.find((a) => a.id === id);
    expect(names(agent('access-bot')?.policies)).toEqual(['app-access', 'it', 'org-baseline']);
    expect(names(agent('identity-bot')?.policies)).toEqual(['it', 'org-baseline']);
  });
});
