import { svg } from './dom.js';

// The AS paths toward a prefix: columns by distance to the origin, the
// viewing nodes on the left, the origin on the right; best paths drawn bold.

export function asGraph(graph) {
  const layer = new Map();
  const out = new Map(graph.vertices.map((v) => [v.asn, []]));
  for (const e of graph.edges) out.get(e.from)?.push(e.to);
  const depth = (asn, seen = new Set()) => {
    if (layer.has(asn)) return layer.get(asn);
    if (seen.has(asn)) return 0;
    seen.add(asn);
    const next = out.get(asn) ?? [];
    const d = next.length ? 1 + Math.max(...next.map((w) => depth(w, seen))) : 0;
    layer.set(asn, d);
    return d;
  };
  graph.vertices.forEach((v) => depth(v.asn));
  const columns = Math.max(0, ...layer.values()) + 1;
  const byColumn = Array.from({ length: columns }, () => []);
  for (const v of graph.vertices) byColumn[columns - 1 - layer.get(v.asn)].push(v);
  const rows = Math.max(1, ...byColumn.map((c) => c.length));
  const colW = 190;
  const rowH = 62;
  const width = Math.max(360, columns * colW);
  const height = rows * rowH + 20;
  const pos = new Map();
  byColumn.forEach((col, c) => col.forEach((v, r) => {
    const y = 10 + (height - 20) * ((r + 0.5) / col.length);
    pos.set(v.asn, { x: colW / 2 + c * colW, y });
  }));
  const edges = graph.edges.map((e) => {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    return svg('line', { x1: a.x + 58, y1: a.y, x2: b.x - 62, y2: b.y, class: e.best ? 'edge edge-best' : 'edge', 'marker-end': e.best ? 'url(#arrow-best)' : 'url(#arrow)' },
      svg('title', {}, `AS${e.from} → AS${e.to}: ${e.paths} path${e.paths === 1 ? '' : 's'}`));
  });
  const vertices = graph.vertices.map((v) => {
    const p = pos.get(v.asn);
    return svg('g', { class: `vertex${v.origin ? ' vertex-origin' : ''}${v.viewpoint ? ' vertex-viewpoint' : ''}` },
      svg('rect', { x: p.x - 58, y: p.y - 19, width: 116, height: 38, rx: 8 }),
      svg('text', { x: p.x, y: p.y - 3, class: 'vertex-asn' }, `AS${v.asn}`),
      svg('text', { x: p.x, y: p.y + 12, class: 'vertex-label' }, shorten(v.label ?? '')));
  });
  const marker = (id) => svg('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }));
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'as-graph', role: 'img', 'aria-label': 'AS paths toward the prefix' },
    svg('defs', {}, marker('arrow'), marker('arrow-best')), edges, vertices);
}

function shorten(text) {
  return text.length > 20 ? `${text.slice(0, 19)}…` : text;
}
