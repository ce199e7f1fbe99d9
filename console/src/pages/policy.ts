/**
 * The policy page: type or paste an ActionRequest and see the decision and its explanation under the
 * policy and org in force (`POST /v1/explain`): nothing is recorded or executed.
 */
import { api, ApiError } from '../api.js';
import { badge, facts, h, json, replace } from '../dom.js';
import type { PageContext } from '../page.js';
import type { ExplainView, RuleTrace } from '../types.js';

const SAMPLE = {
  agent: 'payroll-bot',
  action: 'payroll.update',
  resource: 'employee/1042',
  args: { salary: 250000 },
};

/** The policy page. */
export async function policyPage(main: HTMLElement, _ctx: PageContext): Promise<void> {
  const input = h('textarea', {
    id: 'request',
    rows: 10,
    spellcheck: 'false',
    'aria-describedby': 'request-help',
  });
  input.value = JSON.stringify(SAMPLE, null, 2);
  const out = h('section', { id: 'explanation', 'aria-live': 'polite', 'aria-label': 'Explanation' });
  const form = h(
    'form',
    { class: 'card', 'aria-label': 'Explain an action request' },
    h('label', { for: 'request' }, 'ActionRequest (JSON)'),
    input,
    h(
      'p',
      { id: 'request-help', class: 'hint' },
      'Decided under the policy and org in force; nothing is recorded or run.',
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Explain'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void explain(input.value, out);
  });
  replace(
    main,
    h('div', { class: 'heading' }, h('h1', {}, 'Policy')),
    h('div', { class: 'split' }, form, out),
  );
  return Promise.resolve();
}

async function explain(text: string, out: HTMLElement): Promise<void> {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (e) {
    replace(out, h('p', { class: 'error', role: 'alert' }, `not JSON: ${String(e)}`));
    return;
  }
  try {
    const v = await api<ExplainView>('POST', '/v1/explain', request);
    const x = v.explanation;
    const d = x.decision;
    replace(
      out,
      h(
        'div',
        { class: 'card' },
        h('h2', {}, 'Decision ', badge(d.effect)),
        h('p', { class: 'reason' }, d.reason),
        facts([
          ['Rules', d.rules.join(', ') || '(none)'],
          ['Risk', d.risk],
          ['Constraints', d.constraints?.join(', ')],
          ['Contract', x.contract.ok ? 'holds' : `${x.contract.rule ?? ''}: ${x.contract.reason ?? ''}`],
          [
            'Approval',
            v.route?.levels
              .map((l, i) => `level ${i + 1}: ${l.quorum} of ${l.approvers.join(', ')}`)
              .join('; '),
          ],
          ['In force', `org v${v.versions.org}, policy v${v.versions.policy}`],
        ]),
      ),
      h('h3', {}, 'Documents'),
      h(
        'ul',
        { class: 'docs' },
        ...x.documents.map((doc) =>
          h(
            'li',
            { class: doc.inScope ? '' : 'muted' },
            h('code', {}, doc.name),
            ` ${doc.scope} · ${doc.inScope ? 'in scope' : 'not in scope'}`,
          ),
        ),
      ),
      rules('Rules', x.rules),
      x.riskRules.length ? rules('Risk rules', x.riskRules) : null,
      h('details', {}, h('summary', {}, 'Classification facts'), json(x.classification)),
    );
  } catch (e) {
    replace(
      out,
      h(
        'p',
        { class: 'error', role: 'alert' },
        e instanceof ApiError ? `${e.code}: ${e.message}` : String(e),
      ),
    );
  }
}

function rules(title: string, list: readonly RuleTrace[]): HTMLElement {
  return h(
    'section',
    {},
    h('h3', {}, title),
    h(
      'table',
      { class: 'grid' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Rule', 'Effect', 'Outcome', 'Why', 'Where'].map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        {},
        ...list.map((r) =>
          h(
            'tr',
            { class: r.outcome === 'matched' ? 'matched' : '' },
            h('td', {}, h('code', {}, r.rule)),
            h('td', {}, r.effect),
            h('td', {}, badge(r.outcome)),
            h('td', { class: 'small' }, r.why),
            h(
              'td',
              { class: 'small', title: r.place.file },
              `${r.place.file.split('/').pop() ?? r.place.file}:${r.place.line}:${r.place.col}`,
            ),
          ),
        ),
      ),
    ),
  );
}
