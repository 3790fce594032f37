// Building DOM nodes without innerHTML: every value from the API becomes text,
// never markup, so nothing a source says can run as script on the page.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** h('div', { class: 'x' }, child, 'text', [more]) */
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export async function api(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = body.error ?? {};
    throw new Error(e.hint ? `${e.message} (${e.hint})` : e.message ?? `HTTP ${res.status}`);
  }
  return body;
}

export function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function badge(text, kind) {
  return h('span', { class: `badge badge-${kind ?? text}` }, text);
}

export function table(headers, rows, options = {}) {
  // Each cell carries its column's name, so that a phone can show rows as labelled cards.
  for (const row of rows) [...row.children].forEach((td, i) => { if (headers[i] && td.colSpan === 1) td.dataset.label = headers[i]; });
  return h('div', { class: 'table-wrap' },
    h('table', { class: options.class },
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))),
      h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, options.empty ?? 'nothing to show')))));
}
