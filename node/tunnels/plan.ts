/**
 * The tunnels a node should have, and the smallest set of changes that gets
 * there from the tunnels it has: a peer that joins, leaves, moves or rotates
 * its key touches only its own interface. Pure: no I/O, so every case is a
 * unit test; node/tunnels/apply.ts carries the changes out.
 */
export interface TunnelSpec {
  /** The peer's node name: the key tunnels are matched by. */
  peer: string;
  interfaceName: string;
  listenPort: number;
  peerPublicKey: string;
  /** host:port, or null when the peer is behind NAT and dials us. */
  endpoint: string | null;
  /** Seconds between keepalives (we are behind NAT), 0 for none. */
  keepalive: number;
  /** Addresses on our end of the tunnel, CIDR. */
  addresses: string[];
}

export type TunnelChange =
  | { kind: 'create'; spec: TunnelSpec }
  | { kind: 'delete'; spec: TunnelSpec }
  /** The interface itself must change (name, port, addresses): remove it and make it anew. */
  | { kind: 'recreate'; from: TunnelSpec; spec: TunnelSpec }
  /** The peer rotated its key: swap it in one `wg set`. */
  | { kind: 'replace-key'; from: TunnelSpec; spec: TunnelSpec }
  /** Only the endpoint or keepalive moved: update the peer in place, the session survives. */
  | { kind: 'update-peer'; from: TunnelSpec; spec: TunnelSpec };

function sameInterface(a: TunnelSpec, b: TunnelSpec): boolean {
  return a.interfaceName === b.interfaceName && a.listenPort === b.listenPort && a.addresses.join(',') === b.addresses.join(',');
}

/**
 * Compares what is with what should be, peer by peer. Throws if the desired
 * list names a peer, an interface or a port twice (a bug upstream that
 * would make two tunnels fight over one resource).
 */
export function planTunnelChanges(current: TunnelSpec[], desired: TunnelSpec[]): TunnelChange[] {
  for (const key of ['peer', 'interfaceName', 'listenPort'] as const) {
    const seen = new Set<unknown>();
    for (const spec of desired) {
      if (seen.has(spec[key])) throw new Error(`desired tunnels name ${key} ${String(spec[key])} twice`);
      seen.add(spec[key]);
    }
  }
  const now = new Map(current.map((spec) => [spec.peer, spec]));
  const wanted = new Set(desired.map((spec) => spec.peer));
  const changes: TunnelChange[] = [];
  // Deletions first: they free names and ports that a new tunnel may take.
  for (const spec of current) if (!wanted.has(spec.peer)) changes.push({ kind: 'delete', spec });
  for (const spec of desired) {
    const from = now.get(spec.peer);
    if (from === undefined) changes.push({ kind: 'create', spec });
    else if (!sameInterface(from, spec)) changes.push({ kind: 'recreate', from, spec });
    else if (from.peerPublicKey !== spec.peerPublicKey) changes.push({ kind: 'replace-key', from, spec });
    else if (from.endpoint !== spec.endpoint || from.keepalive !== spec.keepalive) changes.push({ kind: 'update-peer', from, spec });
  }
  return changes;
}
