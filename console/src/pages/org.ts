/**
 * The org chart: the departments as a tree with their approvers, people and agents, and which policy
 * documents apply to each department and agent (scope inheritance down the tree).
 */
import { api } from '../api.js';
import { append, badge, h, replace } from '../dom.js';
import type { PageContext } from '../page.js';
import type { DocumentRef, OrgView } from '../types.js';

type Department = OrgView['departments'][number];

/** The org page. */
export async function orgPage(main: HTMLElement, _ctx: PageContext): Promise<void> {
  const org = await api<OrgView>('GET', '/v1/org');
  const children = new Map<string | undefined, Department[]>();
  for (const d of org.departments) {
    const list = children.get(d.parent) ?? [];
    list.push(d);
    children.set(d.parent, list);
  }
  const names = new Map(org.people.map((p) => [p.id, p.name]));
  const person = (id: string) => h('span', { title: id }, names.get(id) ?? id);
  const people = (ids: readonly string[]) => {
    const out: (Node | string)[] = [];
    ids.forEach((id, i) => out.push(...(i > 0 ? [', '] : []), person(id)));
    return out;
  };
  const docs = (list: readonly DocumentRef[]) =>
    h(
      'ul',
      { class: 'docs' },
      ...list.map((p) =>
        h('li', {}, h('code', {}, p.name), h('span', { class: 'muted small' }, ` ${p.scope} · ${p.file}`)),
      ),
    );
  const tree = (parent: string | undefined): HTMLUListElement | null => {
    const list = children.get(parent);
    if (!list) return null;
    return h(
      'ul',
      { class: parent === undefined ? 'tree' : undefined },
      ...list.map((d) =>
        h(
          'li',
          { 'data-department': d.id },
          h(
            'div',
            { class: 'dept' },
            h('h3', {}, d.name, ' ', h('code', { class: 'small' }, d.id)),
            d.description ? h('p', { class: 'small' }, d.description) : null,
            h(
              'p',
              { class: 'small' },
              'Approvers: ',
              ...(d.effectiveApprovers.length ? people(d.effectiveApprovers) : ['none']),
              d.approvers.length === 0 && d.effectiveApprovers.length
                ? h('span', { class: 'muted' }, ' (inherited)')
                : null,
            ),
            peopleIn(d.id),
            agentsIn(d.id),
            h('details', {}, h('summary', {}, `Policies (${d.policies.length})`), docs(d.policies)),
          ),
          tree(d.id),
        ),
      ),
    );
  };
  const peopleIn = (dept: string) => {
    const list = org.people.filter((p) => p.department === dept);
    if (list.length === 0) return null;
    return h(
      'p',
      { class: 'small' },
      'People: ',
      ...list.flatMap((p, i) => [
        i > 0 ? ', ' : '',
        h('span', { title: p.id, class: p.active ? '' : 'inactive' }, p.name),
        p.roles.length ? h('span', { class: 'muted' }, ` [${p.roles.join(', ')}]`) : '',
        p.active ? '' : h('span', { class: 'muted' }, ' (inactive)'),
      ]),
    );
  };
  const agentsIn = (dept: string) => {
    const list = org.agents.filter((a) => a.department === dept);
    if (list.length === 0) return null;
    const ul = h('ul', { class: 'agents' });
    for (const a of list) {
      append(
        ul,
        h(
          'li',
          {},
          h('code', {}, a.id),
          ' ',
          badge(a.state),
          h(
            'span',
            { class: 'muted small' },
            ` owner ${names.get(a.owner) ?? a.owner} · autonomy ${a.autonomy}`,
          ),
          a.policies
            ? h('details', {}, h('summary', {}, `Policies (${a.policies.length})`), docs(a.policies))
            : null,
        ),
      );
    }
    return ul;
  };
  replace(
    main,
    h(
      'div',
      { class: 'heading' },
      h('h1', {}, `Organisation: ${org.name}`),
      h('span', { class: 'muted' }, `org v${org.version} · policy v${org.policy}`),
    ),
    org.description ? h('p', {}, org.description) : null,
    h('section', { 'aria-label': 'Departments' }, tree(undefined)),
  );
}
