import { svg } from './dom.js';

// The AS paths toward a prefix: columns by distance to the origin, the
// viewing nodes on the left, the origin on the right; best paths drawn bold.

export function asGraph(graph) {
  // Columns by hop distance to the origin (breadth-first against the edges):
  // paths seen from different nodes may disagree and even form cycles, so an
  // edge that does not run left to right is drawn as an arc below the boxes.
  const into = new Map(graph.vertices.map((v) => [v.asn, []]));
  for (const e of graph.edges) into.get(e.to)?.push(e.from);
  const distance = new Map(graph.vertices.filter((v) => v.origin).map((v) => [v.asn, 0]));
  const queue = [...distance.keys()];
  while (queue.length) {
    const at = queue.shift();
    for (const from of into.get(at) ?? []) {
      if (!distance.has(from)) { distance.set(from, distance.get(at) + 1); queue.push(from); }
    }
  }
  const far = Math.max(0, ...distance.values());
  const columns = far + 1;
  const byColumn = Array.from({ length: columns }, () => []);
  for (const v of graph.vertices) byColumn[far - (distance.get(v.asn) ?? far)].push(v);
  const rows = Math.max(1, ...byColumn.map((c) => c.length));
  const colW = 190;
  const rowH = 62;
  const width = Math.max(360, columns * colW);
  const height = rows * rowH + 60;
  const pos = new Map();
  byColumn.forEach((col, c) => col.forEach((v, r) => {
    pos.set(v.asn, { x: colW / 2 + c * colW, y: 10 + (rows * rowH) * ((r + 0.5) / col.length), column: c });
  }));
  // Best paths drawn last, on top.
  const edges = [...graph.edges].sort((x, y) => Number(x.best) - Number(y.best)).map((e) => {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    const attrs = { class: e.best ? 'edge edge-best' : 'edge', 'marker-end': e.best ? 'url(#arrow-best)' : 'url(#arrow)', fill: 'none' };
    const title = svg('title', {}, `AS${e.from} → AS${e.to}: ${e.paths} path${e.paths === 1 ? '' : 's'}`);
    if (a.column < b.column) return svg('line', { ...attrs, x1: a.x + 58, y1: a.y, x2: b.x - 62, y2: b.y }, title);
    const dip = Math.max(a.y, b.y) + 45;
    return svg('path', { ...attrs, class: `${attrs.class} edge-back`, d: `M ${a.x} ${a.y + 19} Q ${(a.x + b.x) / 2} ${dip} ${b.x} ${b.y + 23}` }, title);
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
