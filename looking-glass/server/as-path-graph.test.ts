import { describe, expect, it } from 'vitest';
import { buildAsGraph } from './as-path-graph.js';

describe('buildAsGraph', () => {
  it('joins the paths seen from every node into one graph toward the origin, collapsing prepends', () => {
    const g = buildAsGraph([
      { node: 'a', asn: 1, paths: [{ asPath: [2, 9, 9, 9], best: true }, { asPath: [3, 9], best: false }] },
      { node: 'b', asn: 2, paths: [{ asPath: [9], best: true }] },
    ], new Map([[9, 'origin']]));
    expect(g.edges).toEqual([
      { from: 1, to: 2, paths: 1, best: true },
      { from: 2, to: 9, paths: 2, best: true },
      { from: 1, to: 3, paths: 1, best: false },
      { from: 3, to: 9, paths: 1, best: false },
    ]);
    expect(g.vertices.find((v) => v.asn === 9)).toEqual({ asn: 9, label: 'origin', origin: true, viewpoint: false });
    expect(g.vertices.filter((v) => v.viewpoint).map((v) => v.asn)).toEqual([1, 2]);
  });
});
