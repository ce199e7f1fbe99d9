/**
 * The approvals inbox: every pending approval, live (`GET /v1/events`), with the full request, the
 * decision and why it needs approval, who is asked at which level and quorum, and until when. People
 * who may vote approve or deny with a comment; a refusal (e.g. separation of duties) is shown on the card.
 */
import { api, ApiError, follow } from '../api.js';
import { append, badge, facts, h, json, replace, time } from '../dom.js';
import { can, type PageContext } from '../page.js';
import type { Approval } from '../types.js';

/** The inbox page. */
export async function inboxPage(main: HTMLElement, ctx: PageContext): Promise<void> {
  const list = h('div', { class: 'cards', id: 'approvals', 'aria-live': 'polite' });
  const live = h('span', { class: 'live', id: 'live' }, 'connecting…');
  const mineOnly = h('input', { type: 'checkbox', id: 'mine' });
  replace(
    main,
    h(
      'div',
      { class: 'heading' },
      h('h1', {}, 'Approvals'),
      live,
      h('label', { class: 'inline' }, mineOnly, ' Only those asked of me'),
    ),
    list,
  );
  const approvals = new Map<string, Approval>();
  const render = () => {
    const shown = [...approvals.values()]
      .filter((a) => a.status === 'pending' && (!mineOnly.checked || a.approvers.includes(ctx.me.id)))
      .sort((a, b) => (a.expiresAt < b.expiresAt ? -1 : 1));
    // INVARIANT: a card being typed into is kept, not rebuilt, so a live update never eats a comment
    const keep = new Map<string, Element>();
    for (const el of list.querySelectorAll('[data-approval]'))
      keep.set(el.getAttribute('data-approval') ?? '', el);
    replace(list);
    if (shown.length === 0)
      append(list, h('p', { class: 'muted', id: 'empty' }, 'Nothing waits for approval.'));
    for (const a of shown) {
      const old = keep.get(a.id);
      append(
        list,
        old && old.getAttribute('data-version') === version(a) ? old : card(a, ctx, approvals, render),
      );
    }
  };
  mineOnly.addEventListener('change', render);
  // The snapshot (pending only) and the stream meet without a gap: each time the stream (re)connects,
  // the server has subscribed it before answering, so a snapshot taken then misses nothing. Events that
  // arrive while it loads are held and replayed over it in order, so the last word on each approval wins.
  let held: Approval[] | undefined;
  const snapshot = async () => {
    held = [];
    let pending: Approval[] | undefined;
    try {
      pending = (await api<{ approvals: Approval[] }>('GET', '/v1/approvals')).approvals;
    } finally {
      // a failed snapshot keeps what was shown; the held events still apply
      const replay = held;
      held = undefined;
      if (pending) approvals.clear();
      for (const a of [...(pending ?? []), ...replay]) approvals.set(a.id, a);
      render();
    }
  };
  // one snapshot at a time: a reconnect during a slow snapshot takes a fresh one after it
  let loading = snapshot();
  await loading;
  void follow(
    (e) => {
      if (e.event !== 'approval') return;
      const a = e.data as Approval;
      if (held) {
        held.push(a);
        return;
      }
      const known = approvals.has(a.id);
      approvals.set(a.id, a);
      if (!known && a.status === 'pending')
        ctx.say(`New approval for ${a.agent}: ${a.request?.action ?? a.action}`);
      render();
    },
    (connected) => {
      live.textContent = connected ? '● live' : 'reconnecting…';
      live.classList.toggle('on', connected);
      if (!connected) return;
      loading = loading.catch(() => undefined).then(snapshot);
      loading.catch((err: unknown) => ctx.say(`Approvals not refreshed: ${String(err)}`));
    },
    ctx.signal,
  );
}

const version = (a: Approval) => `${a.status}:${a.level}:${a.votes.length}:${a.expiresAt}`;

function card(a: Approval, ctx: PageContext, all: Map<string, Approval>, render: () => void): HTMLElement {
  const r = a.request;
  const d = a.decision;
  const asked = a.approvers.includes(ctx.me.id);
  const comment = h('textarea', { id: `comment-${a.id}`, rows: 2, maxlength: 4000 });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const vote = async (verdict: 'approve' | 'deny', button: HTMLButtonElement) => {
    error.hidden = true;
    button.disabled = true;
    try {
      const next = await api<Approval>('POST', `/v1/approvals/${encodeURIComponent(a.id)}/${verdict}`, {
        ...(comment.value.trim() ? { comment: comment.value.trim() } : {}),
      });
      all.set(next.id, { ...a, ...next });
      ctx.say(`${verdict === 'approve' ? 'Approved' : 'Denied'}: ${a.id} is ${next.status}`);
      render();
    } catch (e) {
      error.textContent = e instanceof ApiError ? `${e.code}: ${e.message}` : String(e);
      error.hidden = false;
      button.disabled = false;
    }
  };
  const approve = h('button', { type: 'button', class: 'primary' }, 'Approve');
  const deny = h('button', { type: 'button', class: 'danger' }, 'Deny');
  approve.addEventListener('click', () => void vote('approve', approve));
  deny.addEventListener('click', () => void vote('deny', deny));
  const title = `${r?.action ?? 'action'} on ${r?.resource ?? '(no resource)'}`;
  return h(
    'article',
    {
      class: 'card approval',
      'data-approval': a.id,
      'data-version': version(a),
      'aria-label': `Approval ${a.id}`,
    },
    h(
      'header',
      {},
      h('h2', {}, title),
      badge(d?.risk ?? 'unknown'),
      asked ? h('span', { class: 'badge badge-asked' }, 'asked of you') : null,
    ),
    h('p', { class: 'reason' }, d?.reason ?? ''),
    facts([
      ['Agent', a.agent],
      ['Rules', d?.rules.join(', ')],
      ['Approvers', a.approvers.join(', ')],
      ['Level', `${a.level} of ${a.levels}`],
      ['Quorum', a.quorum === undefined ? undefined : `${a.quorum} of ${a.approvers.length}`],
      ['Deadline', time(a.expiresAt)],
      [
        'Votes',
        a.votes.map((v) => `${v.person} ${v.verdict}${v.comment ? ` (“${v.comment}”)` : ''}`).join('; '),
      ],
      ['Approval', h('code', {}, a.id)],
      ['Action', h('code', {}, a.action)],
    ]),
    h('details', {}, h('summary', {}, 'Full request'), json(r ?? {}, 'request')),
    can(ctx, 'approvals.vote')
      ? h(
          'div',
          { class: 'vote' },
          h('label', { for: `comment-${a.id}` }, 'Comment (recorded with your vote)'),
          comment,
          h('div', { class: 'buttons' }, approve, deny),
          error,
        )
      : h('p', { class: 'muted' }, 'Your role may read approvals but not vote.'),
  );
}
