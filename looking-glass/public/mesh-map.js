import { svg } from './dom.js';

// The mesh as a graph: garages on a circle, one line per tunnel, colored by
// state (up, lossy, down) with its latency; offline garages greyed out. A
// tunnel no agent reports on is drawn from the BGP sessions across it.

const SIZE = 600;
const RADIUS = 215;

export function meshMap(mesh, { selected, onSelect }) {
  const n = mesh.nodes.length;
  const pos = new Map(mesh.nodes.map((node, i) => {
    const angle = (2 * Math.PI * i) / n - Math.PI / 2;
    return [node.name, { x: SIZE / 2 + RADIUS * Math.cos(angle), y: SIZE / 2 + RADIUS * Math.sin(angle) }];
  }));
  const links = mesh.links.filter((l) => pos.has(l.a) && pos.has(l.b)).map((l) => {
    const a = pos.get(l.a);
    const b = pos.get(l.b);
    const state = l.state !== 'up' ? l.state : l.loss >= 0.01 ? 'lossy' : 'up';
    // A link known only from BGP sessions has no measured latency or loss to show.
    const label = l.state !== 'up' ? l.state
      : l.knownFrom === 'sessions' ? 'BGP up'
        : `${l.latencyMs ?? '?'} ms${l.loss > 0 ? ` · ${(l.loss * 100).toFixed(1)}% loss` : ''}`;
    // Long chords all cross the middle of the circle: label them nearer one end.
    const t = Math.hypot(a.x - b.x, a.y - b.y) > RADIUS * 1.2 ? 0.3 : 0.5;
    const mx = a.x + (b.x - a.x) * t;
    const my = a.y + (b.y - a.y) * t;
    return svg('g', { class: `link link-${state}` },
      svg('title', {}, `${l.a} ↔ ${l.b}: ${label}`),
      svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y }),
      l.state === 'up' ? svg('text', { x: mx, y: my - 4, class: 'link-label' }, label) : null);
  });
  const nodes = mesh.nodes.map((node) => {
    const p = pos.get(node.name);
    const state = !node.online ? 'offline' : node.reporting ? 'online' : 'silent';
    const below = p.y > SIZE / 2;
    return svg('g', {
      class: `node node-${state}${node.name === selected ? ' node-selected' : ''}`,
      tabindex: 0, role: 'button', 'data-node': node.name,
      'aria-label': `${node.name}, ${state}`,
      onclick: () => onSelect(node.name),
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') onSelect(node.name); },
    },
      svg('title', {}, `${node.name} (AS${node.asn}, ${node.location ?? ''}) ${state}`),
      svg('circle', { cx: p.x, cy: p.y, r: 20 }),
      svg('text', { x: p.x, y: p.y + 5, class: 'node-initial' }, initials(node.name)),
      svg('text', { x: p.x, y: below ? p.y + 43 : p.y - 44, class: 'node-label' }, node.name),
      svg('text', { x: p.x, y: below ? p.y + 58 : p.y - 29, class: 'node-sub' }, `AS${node.asn}`));
  });
  return svg('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, class: 'mesh-map', role: 'img', 'aria-label': 'map of the mesh' }, links, nodes);
}

/** "aalto-garage" → "AG", "bergen" → "BE". */
function initials(name) {
  const parts = name.split(/[-_.]/).filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[1][0] : name.slice(0, 2)).toUpperCase();
}
