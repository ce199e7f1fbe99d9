/**
 * Building the page from values, never from HTML strings: every text is a text node, so nothing the API
 * returns (a reason, a comment, an argument) can become markup.
 */

/** A child: an element, text, or nothing. */
export type Child = Node | string | number | false | null | undefined;

/** Attributes: `on*` functions become listeners, `true` a bare attribute, `false`/`undefined` nothing. */
export type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** Creates an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false && value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, ...children);
  return el;
}

/** Appends children, skipping empty ones. */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** The element with this id (the page's fixed landmarks); throws when the page lacks it. */
export function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

/** Pretty JSON in a `<pre>`, for requests, bodies and facts. */
export function json(value: unknown, label?: string): HTMLPreElement {
  return h(
    'pre',
    { class: 'json', ...(label ? { 'aria-label': label } : {}) },
    JSON.stringify(value, null, 2),
  );
}

/** A small coloured label for an effect, status or state. */
export function badge(text: string): HTMLSpanElement {
  return h('span', { class: `badge badge-${text.replace(/[^a-z_-]/gi, '')}` }, text.replace(/_/g, ' '));
}

/** A definition list from label → value pairs (empty values are left out). */
export function facts(pairs: readonly (readonly [string, Child])[]): HTMLDListElement {
  const dl = h('dl', { class: 'facts' });
  for (const [k, v] of pairs)
    if (v !== undefined && v !== '' && v !== null) append(dl, h('dt', {}, k), h('dd', {}, v));
  return dl;
}

/** An ISO time as the reader's local time, with the ISO value kept for machines. */
export function time(iso: string): HTMLTimeElement {
  const d = new Date(iso);
  return h('time', { datetime: iso, title: iso }, Number.isNaN(d.getTime()) ? iso : d.toLocaleString());
}
