/** One node's view of the paths toward a prefix. */
export interface PathsAtNode {
  readonly node: string;
  readonly asn: number;
  readonly paths: readonly { readonly asPath: readonly number[]; readonly best: boolean }[];
}

export interface AsGraph {
  readonly vertices: readonly { readonly asn: number; readonly label?: string; readonly origin: boolean; readonly viewpoint: boolean }[];
  readonly edges: readonly { readonly from: number; readonly to: number; readonly paths: number; readonly best: boolean }[];
}

/**
 * The AS-level graph of every path toward a prefix as seen from every node:
 * each path starts at the viewing node's AS and ends at the origin. Prepends
 * collapse into one vertex; an edge remembers how many paths use it and
 * whether any of them is a best path.
 */
export function buildAsGraph(views: readonly PathsAtNode[], labels: ReadonlyMap<number, string>): AsGraph {
  const vertices = new Map<number, { asn: number; label?: string; origin: boolean; viewpoint: boolean }>();
  const edges = new Map<string, { from: number; to: number; paths: number; best: boolean }>();
  const vertex = (asn: number) => {
    let v = vertices.get(asn);
    if (!v) {
      const label = labels.get(asn);
      v = { asn, ...(label === undefined ? {} : { label }), origin: false, viewpoint: false };
      vertices.set(asn, v);
    }
    return v;
  };
  for (const view of views) {
    vertex(view.asn).viewpoint = true;
    for (const path of view.paths) {
      const hops = [view.asn, ...path.asPath].filter((asn, i, all) => i === 0 || all[i - 1] !== asn);
      vertex(hops[hops.length - 1]!).origin = true;
      for (let i = 0; i + 1 < hops.length; i++) {
        vertex(hops[i + 1]!);
        const key = `${hops[i]}>${hops[i + 1]}`;
        const edge = edges.get(key) ?? { from: hops[i]!, to: hops[i + 1]!, paths: 0, best: false };
        edge.paths++;
        edge.best ||= path.best;
        edges.set(key, edge);
      }
    }
  }
  return { vertices: [...vertices.values()], edges: [...edges.values()] };
}
