/**
 * The ledger explorer: records filtered by type, agent and episode, oldest first, page by page; each
 * record opens to its body and hashes. On top, the verification of the whole chain (`GET
 * /v1/ledger/verify`, what `agentos audit verify` checks).
 */
import { api } from '../api.js';
import { append, badge, facts, h, json, replace, time } from '../dom.js';
import type { PageContext } from '../page.js';
import type { LedgerRecord, VerifyResult } from '../types.js';

const TYPES = [
  'action.requested',
  'action.decided',
  'action.completed',
  'action.failed',
  'action.held',
  'approval.requested',
  'approval.voted',
  'approval.granted',
  'approval.denied',
  'approval.expired',
  'signal.stop',
  'signal.cont',
  'signal.kill',
  'org.changed',
  'policy.changed',
  'credential.created',
  'credential.revoked',
  'key.rotated',
  'access.denied',
  'checkpoint',
];

/** The ledger page. */
export async function ledgerPage(main: HTMLElement, _ctx: PageContext): Promise<void> {
  const verify = h(
    'section',
    { class: 'card verify', id: 'verify', 'aria-label': 'Chain verification' },
    'Verifying…',
  );
  const type = h(
    'select',
    { id: 'f-type', name: 'type' },
    h('option', { value: '' }, 'any type'),
    ...TYPES.map((t) => h('option', { value: t }, t)),
  );
  const agent = h('input', { id: 'f-agent', name: 'agent', type: 'text', maxlength: 256 });
  const episode = h('input', { id: 'f-episode', name: 'episode', type: 'text', maxlength: 256 });
  const list = h('ol', { class: 'records', id: 'records' });
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const count = h('span', { class: 'muted', id: 'count' });
  const form = h(
    'form',
    { class: 'toolbar', 'aria-label': 'Filter records' },
    h('label', { for: 'f-type' }, 'Type'),
    type,
    h('label', { for: 'f-agent' }, 'Agent'),
    agent,
    h('label', { for: 'f-episode' }, 'Episode'),
    episode,
    h('button', { type: 'submit', class: 'primary' }, 'Filter'),
    h('button', { type: 'button', onclick: () => void runVerify() }, 'Verify again'),
  );
  replace(main, h('div', { class: 'heading' }, h('h1', {}, 'Ledger'), count), verify, form, list, more);

  let next: number | undefined;
  let shown = 0;
  const load = async (fresh: boolean) => {
    const q = new URLSearchParams({ limit: '200' });
    if (type.value) q.set('type', type.value);
    if (agent.value.trim()) q.set('agent', agent.value.trim());
    if (episode.value.trim()) q.set('episode', episode.value.trim());
    if (!fresh && next !== undefined) q.set('after', String(next));
    const page = await api<{ records: LedgerRecord[]; next?: number }>('GET', `/v1/ledger?${q.toString()}`);
    if (fresh) {
      replace(list);
      shown = 0;
    }
    append(list, ...page.records.map(item));
    shown += page.records.length;
    next = page.next;
    more.hidden = next === undefined;
    count.textContent = `${shown} record${shown === 1 ? '' : 's'}${next === undefined ? '' : ' (more below)'}`;
  };
  const runVerify = async () => {
    replace(verify, 'Verifying…');
    const v = await api<VerifyResult>('GET', '/v1/ledger/verify');
    if (v.ok) {
      replace(
        verify,
        badge('verified'),
        ` Chain verified: ${v.records} records, ${v.checkpoints} signed checkpoints` +
          ` (${v.uncovered} not yet covered by a signature); MACs ${v.checked.macs ? 'checked' : 'not checked'},` +
          ` signatures ${v.checked.signatures ? 'checked' : 'not checked'}.`,
      );
    } else {
      replace(verify, badge('broken'), ` ${v.at}: ${v.problem}: ${v.message}`);
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void load(true);
  });
  more.addEventListener('click', () => void load(false));
  await Promise.all([runVerify(), load(true)]);
}

function summary(r: LedgerRecord): string {
  const b = r.body;
  const parts: string[] = [];
  for (const k of ['agent', 'action', 'approval', 'person', 'verdict', 'effect', 'by', 'what', 'comment']) {
    const v = b[k];
    if (typeof v === 'string') parts.push(`${k} ${v}`);
  }
  return parts.join(' · ');
}

function item(r: LedgerRecord): HTMLLIElement {
  return h(
    'li',
    { 'data-type': r.type },
    h(
      'details',
      {},
      h(
        'summary',
        {},
        h('span', { class: 'seq' }, `${r.stream}/${r.seq}`),
        ' ',
        time(r.time),
        ' ',
        h('span', { class: 'type' }, r.type),
        ' ',
        h('span', { class: 'muted' }, summary(r)),
      ),
      facts([
        ['Record', `${r.stream}/${r.seq}`],
        ['Time', r.time],
        ['Key', r.keyId],
        ['Previous MAC', h('code', { class: 'hash' }, r.prev)],
        ['MAC', h('code', { class: 'hash' }, r.mac)],
      ]),
      json(r.body, 'record body'),
    ),
  );
}
