/**
 * The console's entry: sign in with a token, then a page per `#/<name>` route. Pages talk only to the
 * public HTTP API (`api.ts`); see docs/console.md.
 */
import { api, ApiError, clearToken, setToken, token } from './api.js';
import { byId, h, replace } from './dom.js';
import type { Page, PageContext } from './page.js';
import { agentsPage } from './pages/agents.js';
import { inboxPage } from './pages/inbox.js';
import { ledgerPage } from './pages/ledger.js';
import { orgPage } from './pages/org.js';
import { policyPage } from './pages/policy.js';
import type { Me } from './types.js';

const PAGES: Readonly<Record<string, { title: string; page: Page }>> = {
  inbox: { title: 'Approvals', page: inboxPage },
  agents: { title: 'Agents', page: agentsPage },
  ledger: { title: 'Ledger', page: ledgerPage },
  org: { title: 'Organisation', page: orgPage },
  policy: { title: 'Policy', page: policyPage },
};

let me: Me | undefined;
let leave: AbortController | undefined;

function say(message: string): void {
  const status = byId('status');
  status.textContent = message;
  status.classList.add('shown');
  window.setTimeout(() => {
    if (status.textContent === message) status.classList.remove('shown');
  }, 3000);
}

function signInForm(error?: string): void {
  byId('nav').hidden = true;
  replace(byId('who'));
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help',
  });
  const form = h(
    'form',
    { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'hint' },
      'A token from ',
      h('code', {}, 'agentos token create --person <id> --role <role>'),
      '. It is kept in this tab only (session storage) and sent to this daemon alone.',
    ),
    error ? h('p', { class: 'error', role: 'alert' }, error) : null,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    void start();
  });
  replace(byId('main'), form);
  input.focus();
}

function signOut(): void {
  clearToken();
  me = undefined;
  leave?.abort();
  location.hash = '';
  signInForm();
  say('Signed out');
}

async function start(): Promise<void> {
  if (!token()) return signInForm();
  try {
    me = await api<Me>('GET', '/v1/me');
  } catch (e) {
    clearToken();
    return signInForm(e instanceof ApiError ? e.message : String(e));
  }
  const who = me;
  replace(
    byId('who'),
    h(
      'span',
      { id: 'whoami' },
      h('strong', {}, who.name ?? who.id),
      ' ',
      h(
        'span',
        { class: 'muted' },
        who.kind === 'person' ? `${who.id} · ${who.role ?? ''}` : `agent ${who.id}`,
      ),
    ),
    h('button', { type: 'button', onclick: signOut }, 'Sign out'),
  );
  byId('nav').hidden = false;
  if (!location.hash.startsWith('#/')) location.hash = '#/inbox';
  else void route();
}

async function route(): Promise<void> {
  if (!me) return;
  const name = location.hash.slice(2).split('?')[0] ?? '';
  const entry = PAGES[name] ?? PAGES.inbox;
  if (!entry) return;
  leave?.abort();
  leave = new AbortController();
  byId('status').classList.remove('shown');
  for (const a of byId('nav').querySelectorAll('a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${entry.title} · Agent OS`;
  const main = byId('main');
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  const ctx: PageContext = { me, say, signal: leave.signal };
  try {
    await entry.page(main, ctx);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signInForm(e.message);
    replace(
      main,
      h('h1', {}, entry.title),
      h(
        'p',
        { class: 'error', role: 'alert' },
        e instanceof ApiError ? `${e.code}: ${e.message}` : String(e),
      ),
    );
  }
}

window.addEventListener('hashchange', () => {
  if (location.hash.startsWith('#/')) void route();
});
void start();
