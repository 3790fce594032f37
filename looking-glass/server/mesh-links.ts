import type { MeshSnapshot } from '../sources/cache.js';
import type { TunnelStatus } from '../sources/types.js';

/** One line on the map: a pair of garages and what is known of the tunnel between them. */
export interface MeshLink {
  a: string;
  b: string;
  state: TunnelStatus['state'];
  /**
   * `tunnels`: the agents' tunnel-health reports (latency and loss).
   * `sessions`: no agent reported the tunnel, but the route daemons hold BGP
   * sessions across it; up when one of them is established. Such a link has
   * no latency or loss: nothing measured them.
   */
  knownFrom: 'tunnels' | 'sessions';
  latencyMs?: number;
  loss?: number;
  reportedBy: string[];
}

const RANK = { up: 0, connecting: 1, down: 2 } as const;

const pairKey = (x: string, y: string): [string, string, string] => {
  const [a, b] = x < y ? [x, y] : [y, x];
  return [a, b, `${a}|${b}`];
};

/**
 * One link per pair of nodes. From both ends' tunnel reports: down if either
 * end says so, the worse loss, the mean latency. A pair no agent reports on
 * but whose route daemons peer with each other is still drawn, from the
 * sessions, so the map is not empty while agents offer no tunnel health.
 */
export function meshLinks(snap: MeshSnapshot): MeshLink[] {
  const links = new Map<string, MeshLink & { latencies: number[] }>();
  for (const [name, node] of snap.nodes) {
    for (const t of node.tunnels ?? []) {
      const [a, b, key] = pairKey(name, t.peer);
      const link = links.get(key) ?? { a, b, state: 'up' as const, knownFrom: 'tunnels' as const, loss: 0, reportedBy: [], latencies: [] };
      if (RANK[t.state] > RANK[link.state]) link.state = t.state;
      link.loss = Math.max(link.loss ?? 0, t.loss);
      if (t.latencyMs !== undefined && t.state === 'up') link.latencies.push(t.latencyMs);
      link.reportedBy.push(name);
      links.set(key, link);
    }
  }
  const fromTunnels = new Set(links.keys());
  const byAsn = nodesByUniqueAsn(snap);
  for (const [name, node] of snap.nodes) {
    for (const s of node.sessions ?? []) {
      // Sessions to experiment routers or unknown ASNs are not garage-to-garage tunnels.
      const peer = byAsn.get(s.neighborAsn);
      if (peer === undefined || peer === name) continue;
      const [a, b, key] = pairKey(name, peer);
      if (fromTunnels.has(key)) continue;
      const link = links.get(key) ?? { a, b, state: 'down' as const, knownFrom: 'sessions' as const, reportedBy: [], latencies: [] };
      if (s.state === 'established') link.state = 'up';
      if (!link.reportedBy.includes(name)) link.reportedBy.push(name);
      links.set(key, link);
    }
  }
  return [...links.values()].map(({ latencies, ...link }) => ({
    ...link,
    ...(latencies.length > 0 && link.state === 'up' ? { latencyMs: Math.round((latencies.reduce((x, y) => x + y, 0) / latencies.length) * 10) / 10 } : {}),
  }));
}

/** Registry nodes by ASN, leaving out ASNs that more than one node uses (a session to one of them names no single garage). */
function nodesByUniqueAsn(snap: MeshSnapshot): Map<number, string> {
  const byAsn = new Map<number, string | null>();
  for (const n of snap.registry.nodes) byAsn.set(n.asn, byAsn.has(n.asn) ? null : n.name);
  return new Map([...byAsn].filter((e): e is [number, string] => e[1] !== null));
}
