import { ago, api, badge, h, replace, table } from './dom.js';
import { asGraph } from './as-graph.js';
import { meshMap } from './mesh-map.js';

// The looking-glass page: every section reads the JSON API (the same one
// documented for scripts) and is redrawn from scratch when its data changes.

const REFRESH_MS = 20_000;
const state = { mesh: null, members: null, selected: null, plane: 'production', asLabels: new Map() };
const $ = (id) => document.getElementById(id);

function layout() {
  const section = (id, title, ...body) => h('section', { id, class: 'card' }, h('h2', {}, title), ...body);
  replace($('app'),
    h('header', { class: 'top' },
      h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◉'), h('h1', { id: 'mesh-name' }, 'garagenet looking glass')),
      h('nav', {}, ['map', 'lookup', 'routes', 'sessions', 'changes', 'experiments', 'members', 'probe'].map((s) => h('a', { href: `#${s}` }, s)))),
    h('div', { id: 'summary', class: 'summary' }),
    h('div', { class: 'grid' },
      section('map', 'Mesh map', h('div', { id: 'map-body' }), legend()),
      section('sessions', 'BGP sessions', h('div', { class: 'controls' }, nodeSelect('session-node'), planeTabs()), h('div', { id: 'sessions-body' }), h('h3', {}, 'Kernel table against BGP'), h('div', { id: 'ribfib-body' }))),
    section('lookup', 'Route lookup', lookupForm(), h('div', { id: 'lookup-body', 'aria-live': 'polite' })),
    section('routes', 'Routes by neighbor, origin AS or community', routesForm(), h('div', { id: 'routes-body', 'aria-live': 'polite' })),
    h('div', { class: 'grid' },
      section('experiments', 'Experiments', h('div', { id: 'experiments-body' })),
      section('changes', 'Recent route changes', h('div', { id: 'changes-body' }))),
    section('members', 'Members', h('div', { id: 'members-body' })),
    section('probe', 'Ping and traceroute', probeForm(), h('div', { id: 'probe-body', 'aria-live': 'polite' })),
    h('footer', {}, 'Read-only view of the mesh. The same data as JSON: ', h('a', { href: '/api/v1' }, '/api/v1'), ' · ', h('a', { href: '/metrics' }, 'metrics')));
}

function legend() {
  const item = (cls, text) => h('span', { class: `legend-item ${cls}` }, text);
  return h('div', { class: 'legend' }, item('lg-up', 'tunnel up'), item('lg-lossy', 'loss ≥ 1%'), item('lg-down', 'down'), item('lg-offline', 'garage offline'));
}

function nodeSelect(id, { all } = {}) {
  return h('select', { id, class: 'node-select', 'aria-label': 'node' }, all ? h('option', { value: '' }, 'every node') : null);
}

function planeSelect(id) {
  return h('select', { id, 'aria-label': 'plane' }, h('option', { value: 'production' }, 'production'), h('option', { value: 'experimental' }, 'experimental'));
}

function planeTabs() {
  return h('div', { class: 'tabs', role: 'tablist' }, ['production', 'experimental'].map((p) =>
    h('button', { type: 'button', role: 'tab', class: 'tab', 'data-plane': p, 'aria-selected': String(p === state.plane), onclick: () => { state.plane = p; showSessions(); } }, p)));
}

function lookupForm() {
  return h('form', { id: 'lookup-form', class: 'form', onsubmit: (e) => { e.preventDefault(); lookup(); } },
    h('label', {}, 'Address or prefix', h('input', { id: 'lookup-target', name: 'target', required: true, placeholder: 'an address or a prefix', autocomplete: 'off', spellcheck: 'false' })),
    h('label', {}, 'Plane', planeSelect('lookup-plane')),
    h('label', {}, 'At', nodeSelect('lookup-node', { all: true })),
    h('button', { type: 'submit' }, 'Look up'));
}

// Placeholders show the syntax; loadMesh puts in an AS of this mesh.
const FILTERS = [
  ['neighbor', 'from neighbor', 'a neighbor from the sessions table'],
  ['originAsn', 'origin AS', 'an AS number'],
  ['community', 'community', 'asn:value'],
  ['largeCommunity', 'large community', 'global:local1:local2'],
];

function routesForm() {
  return h('form', { id: 'routes-form', class: 'form', onsubmit: (e) => { e.preventDefault(); listRoutes(); } },
    h('label', {}, 'At', nodeSelect('routes-node')),
    h('label', {}, 'Plane', planeSelect('routes-plane')),
    h('label', {}, 'Routes', h('select', { id: 'routes-filter', onchange: () => { $('routes-value').placeholder = FILTERS.find((f) => f[0] === $('routes-filter').value)[2]; } },
      FILTERS.map(([value, label]) => h('option', { value }, label)))),
    h('label', {}, 'Value', h('input', { id: 'routes-value', required: true, placeholder: FILTERS[0][2], autocomplete: 'off', spellcheck: 'false' })),
    h('button', { type: 'submit' }, 'List'));
}

/** Fills the route-list form (from a clicked AS, community or neighbor) and runs it. */
function showRoutes(filter, value, { node, plane } = {}) {
  $('routes-filter').value = filter;
  $('routes-value').value = value;
  if (node) $('routes-node').value = node;
  if (plane) $('routes-plane').value = plane;
  void listRoutes();
  $('routes').scrollIntoView({ behavior: 'smooth', block: 'start' });
}

async function listRoutes() {
  const node = $('routes-node').value;
  const plane = $('routes-plane').value;
  const filter = $('routes-filter').value;
  const q = new URLSearchParams({ node, plane, [filter]: $('routes-value').value.trim(), limit: '100' });
  replace($('routes-body'), h('p', { class: 'muted' }, 'listing…'));
  try {
    const list = await api(`/api/v1/routes?${q}`);
    replace($('routes-body'),
      h('p', { class: 'muted' }, `${list.routes.length}${list.truncated ? '+' : ''} path${list.routes.length === 1 ? '' : 's'} at ${list.node} in the ${list.plane} plane`),
      table(['prefix', 'AS path', 'next hop', 'communities', 'validation'], list.routes.map((route) => h('tr', { class: route.best ? 'best' : 'alt' },
        h('td', { class: 'mono' }, route.prefix, route.best ? h('span', { class: 'best-mark', title: 'best path' }, ' ★') : null),
        h('td', {}, asPath(route.asPath, { node: list.node, plane: list.plane })),
        h('td', { class: 'mono' }, route.nextHop, h('div', { class: 'muted' }, `via ${route.neighbor}`)),
        h('td', {}, communities(route, { node: list.node, plane: list.plane })),
        h('td', {}, validationBadge(route.validation)))), { class: 'routes', empty: 'no matching routes' }),
      list.truncated ? h('p', { class: 'muted' }, 'the first 100 are shown') : null);
  } catch (err) {
    replace($('routes-body'), failure(err));
  }
}

function validationBadge(v) {
  return badge(v, v === 'valid' ? 'up' : v === 'invalid' ? 'down' : 'unknown');
}

function probeForm() {
  return h('form', { id: 'probe-form', class: 'form', onsubmit: (e) => { e.preventDefault(); probe(); } },
    h('label', {}, 'From', nodeSelect('probe-node')),
    h('label', {}, 'Plane', planeSelect('probe-plane')),
    h('label', {}, 'Mesh address', h('input', { id: 'probe-target', required: true, placeholder: 'an address inside the mesh', autocomplete: 'off', spellcheck: 'false' })),
    h('label', {}, 'Probe', h('select', { id: 'probe-kind' }, h('option', { value: 'ping' }, 'ping'), h('option', { value: 'traceroute' }, 'traceroute'))),
    h('button', { type: 'submit' }, 'Run'));
}

function failure(err) {
  return h('p', { class: 'error', role: 'alert' }, err.message);
}

/** An AS path whose hops, given where it was seen, link to the routes they originate there. */
function asPath(path, at) {
  if (path.length === 0) return h('span', { class: 'muted' }, 'local');
  return h('span', { class: 'aspath' }, path.map((asn) => {
    const label = state.asLabels.get(asn);
    const body = [`AS${asn}`, label ? h('small', {}, label) : null];
    return at
      ? h('button', { type: 'button', class: 'asn chip', title: `routes originated by AS${asn} at ${at.node}`, onclick: () => showRoutes('originAsn', String(asn), at) }, body)
      : h('span', { class: 'asn', title: label ?? '' }, body);
  }));
}

function communities(route, at) {
  const chips = [...route.communities.map((c) => ['community', c]), ...route.largeCommunities.map((c) => ['largeCommunity', c])];
  if (chips.length === 0) return h('span', { class: 'muted' }, '—');
  return chips.map(([filter, c]) => h('button', {
    type: 'button', class: 'community chip', title: `${c.meaning ?? 'no known meaning'}: routes with it at ${at.node}`,
    onclick: () => showRoutes(filter, c.value, at),
  }, c.value, c.meaning ? h('small', {}, c.meaning) : null));
}

// ---- sections --------------------------------------------------------------

async function loadMesh() {
  try {
    state.mesh = await api('/api/v1/mesh');
  } catch (err) {
    replace($('map-body'), failure(err));
    return;
  }
  const mesh = state.mesh;
  $('mesh-name').textContent = `${mesh.meshName} · looking glass`;
  state.selected ??= mesh.nodes.find((n) => n.online)?.name ?? mesh.nodes[0]?.name;
  for (const n of mesh.nodes) state.asLabels.set(n.asn, n.name);
  const example = mesh.nodes.find((n) => n.online) ?? mesh.nodes[0];
  if (example) {
    // Examples from this mesh itself, never from elsewhere.
    $('probe-target').placeholder = example.loopbacks.production;
    $('lookup-target').placeholder = `${example.loopbacks.production}, or a prefix`;
    FILTERS.find((f) => f[0] === 'originAsn')[2] = String(example.asn);
    $('routes-value').placeholder = FILTERS.find((f) => f[0] === $('routes-filter').value)[2];
  }
  for (const id of ['session-node', 'lookup-node', 'probe-node', 'routes-node']) {
    const select = $(id);
    const keep = select.value;
    const options = [...select.options].filter((o) => o.value === '');
    replace(select, options, mesh.nodes.map((n) => h('option', { value: n.name, disabled: id === 'probe-node' && !n.online }, `${n.name}${n.online ? '' : ' (offline)'}`)));
    select.value = keep || (id === 'lookup-node' ? '' : state.selected);
  }
  const up = mesh.links.filter((l) => l.state === 'up').length;
  const online = mesh.nodes.filter((n) => n.online).length;
  replace($('summary'),
    stat(`${online}/${mesh.nodes.length}`, 'garages online'),
    stat(`${up}/${mesh.links.length}`, 'tunnels up'),
    h('span', { id: 'stat-experiments' }),
    stat(`${Math.round(mesh.registryAgeMs / 1000)} s`, 'data age'));
  drawMap();
}

function stat(value, label) {
  return h('span', { class: 'stat' }, h('b', {}, value), ' ', label);
}

function drawMap() {
  replace($('map-body'),
    meshMap(state.mesh, { selected: state.selected, onSelect: (name) => { state.selected = name; $('session-node').value = name; drawMap(); showSessions(); } }),
    state.mesh.links.length === 0 ? h('p', { class: 'muted center' }, 'no tunnel reports from the garages yet')
      : state.mesh.links.every((l) => l.knownFrom === 'sessions') ? h('p', { class: 'muted center' }, 'tunnels known from BGP sessions: the garages report no latency or loss yet')
        : null);
}

async function showSessions() {
  const node = $('session-node').value || state.selected;
  if (!node) return;
  for (const tab of document.querySelectorAll('.tab')) tab.setAttribute('aria-selected', String(tab.dataset.plane === state.plane));
  try {
    const { sessions } = await api(`/api/v1/nodes/${encodeURIComponent(node)}/sessions?plane=${state.plane}`);
    replace($('sessions-body'), table(['neighbor', 'AS', 'state', 'up for', 'received', 'accepted', 'sent'], sessions.map((s) =>
      h('tr', {},
        h('td', {}, h('button', { type: 'button', class: 'link', title: `routes from ${s.neighbor} at ${node}`, onclick: () => showRoutes('neighbor', s.neighbor, { node, plane: state.plane }) }, s.neighbor), h('div', { class: 'muted mono' }, s.neighborAddress)),
        h('td', { class: 'mono' }, s.neighborAsn),
        h('td', {}, badge(s.state, s.state === 'established' ? 'up' : 'down')),
        h('td', {}, s.since ? ago(s.since) : '—'),
        h('td', { class: 'num' }, s.prefixesReceived),
        h('td', { class: 'num' }, s.prefixesAccepted),
        h('td', { class: 'num' }, s.prefixesAdvertised))), { empty: 'no sessions in this plane', class: 'sessions' }));
  } catch (err) {
    replace($('sessions-body'), failure(err));
  }
  try {
    const cmp = await api(`/api/v1/nodes/${encodeURIComponent(node)}/rib-fib?plane=${state.plane}`);
    const diffs = [
      ...cmp.missingFromFib.map((d) => ['missing from kernel', d]),
      ...cmp.extraInFib.map((d) => ['only in kernel', d]),
      ...cmp.nextHopMismatch.map((d) => ['next hop differs', d]),
    ];
    const counted = cmp.counts.missingFromFib + cmp.counts.extraInFib + cmp.counts.nextHopMismatch;
    replace($('ribfib-body'),
      h('p', { class: 'ribfib-summary' }, cmp.agrees ? badge('agrees', 'up') : badge('differs', 'down'), ` ${cmp.ribRoutes} best routes, ${cmp.fibRoutes} kernel routes`,
        h('span', { class: 'muted', title: cmp.checkedAt }, ` · checked ${ago(cmp.checkedAt)} ago`)),
      counted > diffs.length ? h('p', { class: 'muted' }, `${counted} differences, the first ${diffs.length} listed`) : null,
      diffs.length ? table(['difference', 'prefix', 'BGP next hop', 'kernel next hop'], diffs.map(([kind, d]) =>
        h('tr', {}, h('td', {}, kind), h('td', { class: 'mono' }, d.prefix), h('td', { class: 'mono' }, d.ribNextHop ?? '—'), h('td', { class: 'mono' }, d.fibNextHop ?? '—')))) : null);
  } catch (err) {
    replace($('ribfib-body'), failure(err));
  }
}

async function lookup() {
  const target = $('lookup-target').value.trim();
  const plane = $('lookup-plane').value;
  const node = $('lookup-node').value;
  const q = new URLSearchParams({ plane, target, ...(node ? { node } : {}) });
  replace($('lookup-body'), h('p', { class: 'muted' }, 'looking up…'));
  try {
    const [result, paths] = await Promise.all([api(`/api/v1/lookup?${q}`), api(`/api/v1/as-paths?${new URLSearchParams({ plane, target })}`)]);
    const rows = result.results.flatMap((r) => r.error
      ? [h('tr', {}, h('td', {}, h('b', {}, r.node)), h('td', { colspan: 6, class: 'muted' }, r.error))]
      : r.routes.length === 0
        ? [h('tr', {}, h('td', {}, h('b', {}, r.node)), h('td', { colspan: 6, class: 'muted' }, 'no route'))]
        : r.routes.map((route, i) => h('tr', { class: route.best ? 'best' : 'alt' },
          h('td', {}, i === 0 ? h('b', {}, r.node) : ''),
          h('td', { class: 'mono' }, route.prefix, route.best ? h('span', { class: 'best-mark', title: 'best path' }, ' ★') : null),
          h('td', {}, asPath(route.asPath, { node: r.node, plane: result.plane })),
          h('td', { class: 'mono' }, route.nextHop, h('div', { class: 'muted' }, `via ${route.neighbor}`)),
          h('td', {}, communities(route, { node: r.node, plane: result.plane })),
          h('td', {}, validationBadge(route.validation)),
          h('td', { class: 'muted' }, route.since ? ago(route.since) : '—'))));
    const alternatives = result.results.reduce((n, r) => n + (r.routes ? Math.max(0, r.routes.length - 1) : 0), 0);
    const routes = table(['node', 'prefix', 'AS path', 'next hop', 'communities', 'validation', 'age'], rows, { class: 'routes best-only' });
    const toggle = h('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false', onclick: () => {
      const all = routes.querySelector('table').classList.toggle('best-only') === false;
      toggle.setAttribute('aria-pressed', String(all));
      toggle.textContent = all ? 'best paths only' : `show ${alternatives} other paths`;
    } }, `show ${alternatives} other paths`);
    replace($('lookup-body'),
      h('div', { class: 'lookup-head' }, h('p', { class: 'muted' }, `${result.target} in the ${result.plane} plane · best paths`), alternatives ? toggle : null),
      routes,
      paths.graph.edges.length ? h('div', { class: 'as-graph-wrap' }, h('h3', {}, 'AS paths toward ', paths.prefixes.join(', ')), asGraph(paths.graph)) : null);
  } catch (err) {
    replace($('lookup-body'), failure(err));
  }
}

async function probe() {
  const q = new URLSearchParams({ node: $('probe-node').value, plane: $('probe-plane').value, target: $('probe-target').value.trim() });
  const kind = $('probe-kind').value;
  replace($('probe-body'), h('p', { class: 'muted' }, `running ${kind}…`));
  try {
    const { result } = await api(`/api/v1/${kind}?${q}`);
    if (result.kind === 'ping') {
      replace($('probe-body'), h('p', {}, `${result.received}/${result.sent} replies`, result.rttMs.length ? ` · rtt ${result.rttMs.join(' / ')} ms` : ''));
    } else {
      replace($('probe-body'), table(['hop', 'node', 'address', 'rtt'], result.hops.map((hop) =>
        h('tr', {}, h('td', { class: 'num' }, hop.ttl), h('td', {}, hop.node ?? '*'), h('td', { class: 'mono' }, hop.address ?? '*'), h('td', { class: 'num' }, hop.rttMs === undefined ? '*' : `${hop.rttMs} ms`)))),
      h('p', {}, result.reached ? badge('reached', 'up') : badge('not reached', 'down')));
    }
  } catch (err) {
    replace($('probe-body'), failure(err));
  }
}

async function loadChanges() {
  try {
    const { changes, withoutChangeLog } = await api('/api/v1/changes?limit=12');
    const missing = withoutChangeLog.length > 0 ? `no route-change log from ${withoutChangeLog.join(', ')}` : null;
    replace($('changes-body'), changes.length === 0 && missing ? h('p', { class: 'muted' }, missing) : [table(['when', 'node', 'plane', 'change', 'prefix', 'AS path'], changes.map((c) =>
      h('tr', {},
        h('td', { class: 'muted when', title: c.time }, `${ago(c.time)} ago`),
        h('td', {}, c.node),
        h('td', {}, c.plane),
        h('td', {}, badge(c.kind, c.kind === 'announce' ? 'up' : 'down')),
        h('td', { class: 'mono' }, c.prefix),
        h('td', { class: 'mono' }, c.asPath?.length ? c.asPath.map((asn) => `AS${asn}`).join(' ') : c.neighbor === 'local' ? 'local' : '—'))), { empty: 'no recent changes' }),
      missing ? h('p', { class: 'muted' }, missing) : null]);
  } catch (err) {
    replace($('changes-body'), failure(err));
  }
}

async function loadExperiments() {
  try {
    const { experiments } = await api('/api/v1/experiments');
    for (const e of experiments) state.asLabels.set(e.asn, `experiment ${e.name}`);
    const active = experiments.filter((e) => e.state === 'active').length;
    const slot = $('stat-experiments');
    if (slot) replace(slot, stat(`${active}`, `active experiment${active === 1 ? '' : 's'}`));
    replace($('experiments-body'), experiments.length === 0 ? h('p', { class: 'muted' }, 'no experiments') : experiments.map((e) =>
      h('article', { class: 'experiment', 'data-experiment': e.name },
        h('header', {}, h('h3', {}, e.name), badge(e.state, e.state === 'active' ? 'up' : 'down')),
        h('p', {}, e.description),
        h('dl', {},
          h('dt', {}, 'owner'), h('dd', {}, e.owner),
          h('dt', {}, 'AS'), h('dd', { class: 'mono' }, e.asn),
          h('dt', {}, 'allocation'), h('dd', { class: 'mono' }, e.allocations.join(', ')),
          h('dt', {}, 'attached at'), h('dd', {}, e.attachedAt.join(', ')),
          h('dt', {}, 'limits'), h('dd', {}, limits(e.limits)),
          e.expiresAt ? [h('dt', {}, 'expires'), h('dd', { title: e.expiresAt }, e.expiresAt.slice(0, 10))] : null),
        e.audit.length ? h('details', {}, h('summary', {}, `audit log (${e.audit.length})`), h('ul', { class: 'audit' }, e.audit.map((a) =>
          h('li', {}, h('span', { class: 'muted' }, `${ago(a.time)} ago · ${a.node} · `), h('b', {}, a.kind), ' ', a.detail)))) : null)));
  } catch (err) {
    replace($('experiments-body'), failure(err));
  }
}

function limits(l) {
  return [
    `${l.maxPrefixes} prefixes`,
    l.maxAsPathLength === undefined ? null : `AS path ≤ ${l.maxAsPathLength}`,
    `${l.maxUpdatesPerMinute} updates/min`,
    l.bandwidthMbit === undefined ? null : `${l.bandwidthMbit} Mbit/s`,
  ].filter(Boolean).join(' · ');
}

async function loadMembers() {
  try {
    const m = await api('/api/v1/members');
    const orgName = new Map(m.organizations.map((o) => [o.name, o.description || o.name]));
    replace($('members-body'),
      table(['garage', 'organization', 'AS', 'loopbacks', 'endpoint', 'status'], m.nodes.map((n) =>
        h('tr', {},
          h('td', {}, h('b', {}, n.name), h('div', { class: 'muted' }, n.location ?? '')),
          h('td', {}, orgName.get(n.organization) ?? n.organization),
          h('td', { class: 'mono' }, n.asn),
          h('td', { class: 'mono' }, n.loopbacks.production, h('br'), n.loopbacks.experimental),
          h('td', { class: 'mono' }, n.endpoints.length ? n.endpoints.join(' ') : h('span', { class: 'muted' }, 'not public')),
          h('td', {}, badge(n.online ? 'online' : 'offline', n.online ? 'up' : 'down'))))),
      h('details', {}, h('summary', {}, `allocations and route authorizations (${m.allocations.length})`),
        table(['prefix', 'plane', 'holder', 'purpose', 'origin AS', 'max length'], m.allocations.map((a) => {
          const auth = m.authorizations.find((x) => x.prefix === a.prefix && x.plane === a.plane);
          return h('tr', {}, h('td', { class: 'mono' }, a.prefix), h('td', {}, a.plane), h('td', {}, a.holder.name), h('td', {}, a.purpose), h('td', { class: 'mono' }, auth?.originAsn ?? '—'), h('td', { class: 'num' }, auth?.maxLength ?? '—'));
        }))));
  } catch (err) {
    replace($('members-body'), failure(err));
  }
}

async function refresh() {
  await loadMesh();
  await Promise.all([showSessions(), loadChanges(), loadExperiments()]);
}

layout();
$('session-node').addEventListener('change', () => { state.selected = $('session-node').value; drawMap(); showSessions(); });
await Promise.all([refresh(), loadMembers()]);
setInterval(() => { if (document.visibilityState === 'visible') void refresh(); }, REFRESH_MS);
