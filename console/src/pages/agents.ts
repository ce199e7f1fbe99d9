/**
 * Agents: each one's state (active, stopped, killed, suspended when its owner left) and why, its owner,
 * department and autonomy, with pause (`stop`), resume (`cont`) and kill buttons (`POST /v1/signals`).
 * A kill asks for confirmation first: it cannot be undone from here.
 */
import { api, ApiError } from '../api.js';
import { badge, h, replace } from '../dom.js';
import type { PageContext } from '../page.js';
import type { Agent } from '../types.js';

const AUTONOMY = ['0 observe', '1 assisted', '2 supervised', '3 autonomous'];

/** The agents page. */
export async function agentsPage(main: HTMLElement, ctx: PageContext): Promise<void> {
  const body = h('tbody', {});
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const reason = h('input', { id: 'signal-reason', type: 'text', maxlength: 4000, placeholder: 'optional' });
  replace(
    main,
    h('div', { class: 'heading' }, h('h1', {}, 'Agents')),
    h(
      'div',
      { class: 'toolbar' },
      h('label', { for: 'signal-reason' }, 'Reason for a signal (recorded)'),
      reason,
    ),
    error,
    h(
      'table',
      { class: 'grid', id: 'agents' },
      h('caption', { class: 'sr-only' }, 'Agents and their state'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Agent', 'State', 'Owner', 'Department', 'Autonomy', 'Why', 'Signal'].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      body,
    ),
  );
  const load = async () => {
    const { agents } = await api<{ agents: Agent[] }>('GET', '/v1/agents');
    replace(body, ...agents.map((a) => row(a)));
  };
  const signal = async (a: Agent, name: 'stop' | 'cont' | 'kill') => {
    if (
      name === 'kill' &&
      !window.confirm(`Kill ${a.id}? Its actions are refused and its credentials revoked.`)
    )
      return;
    error.hidden = true;
    try {
      await api('POST', '/v1/signals', {
        signal: name,
        scope: 'agent',
        target: a.id,
        ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
      });
      ctx.say(`${a.id}: ${name === 'stop' ? 'paused' : name === 'cont' ? 'resumed' : 'killed'}`);
      await load();
    } catch (e) {
      error.textContent = e instanceof ApiError ? `${e.code}: ${e.message}` : String(e);
      error.hidden = false;
    }
  };
  const row = (a: Agent) => {
    const button = (label: string, name: 'stop' | 'cont' | 'kill', cls = '') =>
      h(
        'button',
        { type: 'button', class: cls, 'aria-label': `${label} ${a.id}`, onclick: () => void signal(a, name) },
        label,
      );
    return h(
      'tr',
      { 'data-agent': a.id },
      h(
        'th',
        { scope: 'row' },
        h('code', {}, a.id),
        a.description ? h('div', { class: 'muted small' }, a.description) : null,
      ),
      h('td', { 'data-state': a.state }, badge(a.state)),
      h('td', {}, a.owner),
      h('td', {}, a.department, a.role ? h('div', { class: 'muted small' }, `role ${a.role}`) : null),
      h(
        'td',
        {},
        AUTONOMY[a.autonomy] ?? String(a.autonomy),
        h('div', { class: 'muted small' }, `ceiling ${a.riskCeiling}`),
      ),
      h('td', { class: 'small' }, a.reason ?? ''),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'buttons nowrap' },
          a.signal?.signal === 'stop' ? button('Resume', 'cont') : button('Pause', 'stop'),
          a.state === 'killed' ? null : button('Kill', 'kill', 'danger'),
        ),
      ),
    );
  };
  await load();
}
