import { formatPrefix, parsePrefix } from '../../../common/prefix.js';
import type { Allocation, Authorization, Experiment, MeshNode, Organization, Plane, RegistryView, RouteChange, TunnelStatus } from '../types.js';
import { emptyNode, InProcessMesh, type InProcessNode } from './in-process-mesh.js';
import type { RouteAttributes } from './route-table.js';

/**
 * A small mesh of six garages with real-looking routing, built the way the
 * route daemons would compute it: each garage announces its loopbacks and LAN,
 * every neighbor re-advertises its shortest path (with loop detection), and
 * the best path is the shortest. Two garages behind NAT have no direct tunnel,
 * one garage is offline, one experiment is active and one suspended. Used by
 * the tests and, with `fullTable`, by the benchmark.
 */
export interface SampleMeshOptions {
  /** Milliseconds since the epoch that "now" is; fixed in tests. */
  readonly now?: number;
  /** Adds a full table to one node's experimental plane, as from a researcher's router replaying one. */
  readonly fullTable?: { readonly node: string; readonly routes: number; readonly seed?: number };
}

export const MESH_COMMUNITIES: Readonly<Record<string, string>> = {
  '64512:100': 'experiment route (rate-limited on shared tunnels)',
  '64512:200': 'garage LAN',
  '64512:300': 'node loopback',
};

export const MESH_LARGE_COMMUNITIES: Readonly<Record<string, string>> = {
  '4200000000:1:1': 'originated in Finland',
  '4200000000:1:2': 'originated in Norway',
  '4200000000:1:3': 'originated in Denmark',
  '4200000000:1:4': 'originated in the Netherlands',
  '4200000000:1:5': 'originated in Germany',
};

interface Garage {
  readonly name: string;
  readonly org: Organization;
  readonly location: string;
  readonly country: number;
  readonly online: boolean;
  readonly behindNat: boolean;
}

const GARAGES: readonly Garage[] = [
  { name: 'aalto-garage', org: { name: 'aalto', description: 'Aalto University' }, location: 'Espoo', country: 1, online: true, behindNat: false },
  { name: 'bergen-lab', org: { name: 'uib', description: 'University of Bergen' }, location: 'Bergen', country: 2, online: true, behindNat: false },
  { name: 'cph-makerspace', org: { name: 'kea', description: 'Copenhagen School of Design and Technology' }, location: 'Copenhagen', country: 3, online: true, behindNat: false },
  { name: 'delft-shed', org: { name: 'tulp', description: 'Tulp Networks B.V.' }, location: 'Delft', country: 4, online: true, behindNat: true },
  { name: 'eindhoven-lab', org: { name: 'ehv', description: 'Gemeente Eindhoven' }, location: 'Eindhoven', country: 4, online: true, behindNat: true },
  { name: 'freiburg-garage', org: { name: 'unifr', description: 'Universität Freiburg' }, location: 'Freiburg', country: 5, online: false, behindNat: false },
];

const EXPERIMENT_ASN = 4200100001;
const EXPERIMENT_ROUTER = 'anycast-study-r1';
const MINUTE = 60_000;

export function buildSampleMesh(options: SampleMeshOptions = {}): InProcessMesh {
  const now = options.now ?? Date.now();
  const iso = (ms: number): string => new Date(ms).toISOString();
  const nodes: MeshNode[] = GARAGES.map((g, i) => ({
    name: g.name,
    organization: g.org.name,
    asn: 4200000101 + i,
    wireguardPublicKey: Buffer.alloc(32, i + 1).toString('base64'),
    loopbacks: { production: `10.96.0.${i + 1}`, experimental: `10.192.0.${i + 1}` },
    endpoints: [g.behindNat ? `192.168.${i}.10:51820` : `198.51.100.${10 + i}:51820`],
    endpointPublic: !g.behindNat && i % 2 === 0,
    online: g.online,
    ...(g.online ? { onlineSince: iso(now - 26 * 3600_000) } : {}),
    location: g.location,
  }));
  const asnOf = new Map(nodes.map((n) => [n.name, n.asn]));
  const allocations: Allocation[] = nodes.flatMap((n, i) => [
    { prefix: `${n.loopbacks.production}/32`, plane: 'production', holder: { kind: 'node', name: n.name }, purpose: 'loopback' },
    { prefix: `10.97.${i + 1}.0/24`, plane: 'production', holder: { kind: 'node', name: n.name }, purpose: 'garage' },
    { prefix: `${n.loopbacks.experimental}/32`, plane: 'experimental', holder: { kind: 'node', name: n.name }, purpose: 'loopback' },
  ]);
  allocations.push(
    { prefix: '10.200.0.0/22', plane: 'experimental', holder: { kind: 'experiment', name: 'anycast-study' }, purpose: 'experiment' },
    { prefix: '10.200.4.0/24', plane: 'experimental', holder: { kind: 'experiment', name: 'flap-damping' }, purpose: 'experiment' },
  );
  const authorizations: Authorization[] = allocations.map((a) => ({
    prefix: a.prefix,
    maxLength: a.purpose === 'experiment' ? 24 : Number(a.prefix.split('/')[1]),
    originAsn: a.holder.kind === 'node' ? asnOf.get(a.holder.name)! : a.holder.name === 'anycast-study' ? EXPERIMENT_ASN : EXPERIMENT_ASN + 1,
    plane: a.plane,
  }));
  const experiments: Experiment[] = [
    {
      name: 'anycast-study',
      owner: 'aalto',
      description: 'Anycast catchment of a BIRD-based prototype router across the mesh',
      asn: EXPERIMENT_ASN,
      allocations: ['10.200.0.0/22'],
      attachedAt: ['aalto-garage'],
      state: 'active',
      limits: { maxPrefixes: 8, maxAsPathLength: 6, maxUpdatesPerMinute: 120, bandwidthMbit: 50 },
      createdAt: iso(now - 6 * 24 * 3600_000),
      expiresAt: iso(now + 24 * 24 * 3600_000),
      audit: [
        { time: iso(now - 42 * MINUTE), node: 'aalto-garage', kind: 'unauthorized-prefix', prefix: '10.201.0.0/24', detail: 'origin AS4200100001 is not authorized for 10.201.0.0/24 in the experimental plane' },
        { time: iso(now - 17 * MINUTE), node: 'aalto-garage', kind: 'as-path-too-long', prefix: '10.200.2.0/24', detail: 'AS path of 9 hops exceeds the limit of 6' },
      ],
    },
    {
      name: 'flap-damping',
      owner: 'tulp',
      description: 'Route flap damping parameters under real churn',
      asn: EXPERIMENT_ASN + 1,
      allocations: ['10.200.4.0/24'],
      attachedAt: ['delft-shed'],
      state: 'suspended',
      limits: { maxPrefixes: 4, maxAsPathLength: 4, maxUpdatesPerMinute: 30, bandwidthMbit: 10 },
      createdAt: iso(now - 2 * 24 * 3600_000),
      audit: [{ time: iso(now - 3 * 3600_000), node: 'delft-shed', kind: 'update-rate', prefix: '10.200.4.0/24', detail: '312 updates in one minute, limit 30: experiment suspended' }],
    },
  ];
  const view: RegistryView = {
    meshName: 'garagenet sample mesh',
    generatedAt: iso(now),
    pools: [
      { plane: 'production', prefix: '10.96.0.0/12' },
      { plane: 'production', prefix: 'fd00:96::/32' },
      { plane: 'experimental', prefix: '10.192.0.0/11' },
      { plane: 'experimental', prefix: 'fd00:c0::/32' },
    ],
    organizations: GARAGES.map((g) => g.org),
    nodes,
    allocations,
    authorizations,
    experiments,
  };

  // Tunnels: every pair of online garages, except the two behind NAT.
  const up = (a: Garage, b: Garage): boolean => a.online && b.online && !(a.behindNat && b.behindNat);
  const state = new Map<string, InProcessNode>(nodes.map((n) => [n.name, emptyNode()]));
  GARAGES.forEach((a, i) =>
    GARAGES.forEach((b, j) => {
      if (i === j || (a.behindNat && b.behindNat)) return;
      const tunnel: TunnelStatus = up(a, b)
        ? { peer: b.name, state: 'up', latencyMs: 4 + ((i + j) * 7 + i * j * 3) % 29, loss: i + j === 3 ? 0.02 : 0, lastHandshake: iso(now - 40_000) }
        : { peer: b.name, state: 'down', loss: 1 };
      state.get(a.name)!.tunnels.push(tunnel);
    }),
  );

  const neighbors = (name: string): string[] => state.get(name)!.tunnels.filter((t) => t.state === 'up').map((t) => t.peer);
  const pathFrom = shortestPaths(nodes.map((n) => n.name), neighbors);
  for (const plane of ['production', 'experimental'] as Plane[]) {
    for (const origin of allocations.filter((a) => a.plane === plane && a.holder.kind === 'node')) {
      const community = origin.purpose === 'garage' ? '64512:200' : '64512:300';
      const country = GARAGES.find((g) => g.name === origin.holder.name)!.country;
      const base = { origin: 'igp' as const, communities: [community], largeCommunities: [`4200000000:1:${country}`] };
      for (const at of nodes.filter((n) => state.has(n.name))) {
        const table = state.get(at.name)!.tables[plane];
        const prefix = parsePrefix(origin.prefix);
        if (at.name === origin.holder.name) {
          table.announce(prefix, { ...base, neighbor: at.name, nextHop: '0.0.0.0', asPath: [], localPref: 100 }, now - 3 * 3600_000);
          continue;
        }
        for (const via of neighbors(at.name)) {
          const path = pathFrom(via, origin.holder.name);
          if (!path || path.includes(at.name)) continue;
          const nextHop = nodes.find((n) => n.name === via)!.loopbacks[plane];
          table.announce(prefix, { ...base, neighbor: via, nextHop, asPath: path.map((p) => asnOf.get(p)!), localPref: 100 }, now - 2 * 3600_000 - path.length * MINUTE);
        }
      }
    }
  }
  announceExperiment(state, nodes, pathFrom, now);
  addSessions(state, nodes, now);
  addChanges(state, nodes, now);
  for (const [name, node] of state) {
    for (const plane of ['production', 'experimental'] as Plane[]) {
      for (const best of node.tables[plane].bestRoutes()) {
        if (best.attributes.asPath.length > 0) node.fib[plane].set(formatPrefix(best.prefix), best.attributes.nextHop);
      }
    }
    // One garage whose kernel disagrees with its route daemon, as after a failed batch.
    if (name === 'bergen-lab') {
      node.fib.production.delete('10.97.4.0/24');
      node.fib.production.set('10.97.99.0/24', '10.96.0.3');
    }
  }
  if (options.fullTable) addFullTable(state.get(options.fullTable.node)!, options.fullTable.routes, options.fullTable.seed ?? 1, now);
  const mesh = new InProcessMesh(view, state);
  for (const g of GARAGES) if (!g.online) mesh.setReachable(g.name, false);
  return mesh;
}

/** Shortest paths over the up tunnels, by breadth-first search, ties broken by name. */
function shortestPaths(names: string[], neighbors: (name: string) => string[]): (from: string, to: string) => string[] | undefined {
  const cache = new Map<string, Map<string, string[]>>();
  return (from, to) => {
    let paths = cache.get(from);
    if (!paths) {
      paths = new Map([[from, []]]);
      const queue = [from];
      while (queue.length > 0) {
        const at = queue.shift()!;
        for (const next of neighbors(at).sort()) {
          if (paths.has(next) || !names.includes(next)) continue;
          paths.set(next, [...paths.get(at)!, next]);
          queue.push(next);
        }
      }
      cache.set(from, paths);
    }
    const path = paths.get(to);
    // The AS path as `from` would send it: from itself to the origin.
    return path && [from, ...path];
  };
}

function announceExperiment(
  state: Map<string, InProcessNode>,
  nodes: MeshNode[],
  pathFrom: (from: string, to: string) => string[] | undefined,
  now: number,
): void {
  const attachedAt = 'aalto-garage';
  const asnOf = new Map(nodes.map((n) => [n.name, n.asn]));
  for (const prefix of ['10.200.0.0/24', '10.200.1.0/24']) {
    const attributes: RouteAttributes = {
      neighbor: EXPERIMENT_ROUTER, nextHop: '10.200.0.1', asPath: [EXPERIMENT_ASN], origin: 'igp', localPref: 100,
      communities: ['64512:100'], largeCommunities: ['4200000000:1:1'],
    };
    state.get(attachedAt)!.tables.experimental.announce(parsePrefix(prefix), attributes, now - 30 * MINUTE);
    for (const node of nodes) {
      if (node.name === attachedAt) continue;
      for (const via of state.get(node.name)!.tunnels.filter((t) => t.state === 'up').map((t) => t.peer)) {
        const path = pathFrom(via, attachedAt);
        if (!path || path.includes(node.name)) continue;
        state.get(node.name)!.tables.experimental.announce(
          parsePrefix(prefix),
          { ...attributes, neighbor: via, nextHop: nodes.find((n) => n.name === via)!.loopbacks.experimental, asPath: [...path.map((p) => asnOf.get(p)!), EXPERIMENT_ASN] },
          now - 29 * MINUTE,
        );
      }
    }
  }
}

function addSessions(state: Map<string, InProcessNode>, nodes: MeshNode[], now: number): void {
  for (const node of nodes) {
    const own = state.get(node.name)!;
    for (const tunnel of own.tunnels) {
      const peer = nodes.find((n) => n.name === tunnel.peer)!;
      for (const plane of ['production', 'experimental'] as Plane[]) {
        const received = own.tables[plane].filter((a) => a.neighbor === peer.name, 1_000_000).entries.length;
        let advertised = 0;
        for (const best of own.tables[plane].bestRoutes()) if (best.attributes.neighbor !== peer.name) advertised++;
        const established = tunnel.state === 'up';
        own.sessions.push({
          plane, neighbor: peer.name, neighborAddress: peer.loopbacks[plane], neighborAsn: peer.asn,
          state: established ? 'established' : 'active',
          ...(established ? { since: new Date(now - 2 * 3600_000 - (peer.asn % 97) * MINUTE).toISOString() } : {}),
          prefixesReceived: established ? received : 0, prefixesAccepted: established ? received : 0, prefixesAdvertised: established ? advertised : 0,
        });
      }
    }
  }
  state.get('aalto-garage')!.sessions.push({
    plane: 'experimental', neighbor: EXPERIMENT_ROUTER, neighborAddress: '10.200.0.1', neighborAsn: EXPERIMENT_ASN, state: 'established',
    since: new Date(now - 31 * MINUTE).toISOString(), prefixesReceived: 4, prefixesAccepted: 2, prefixesAdvertised: 0,
  });
}

function addChanges(state: Map<string, InProcessNode>, nodes: MeshNode[], now: number): void {
  // A LAN prefix that flapped a few times, seen from every garage that has it.
  for (const node of nodes) {
    const own = state.get(node.name)!;
    const best = own.tables.production.lookup(parsePrefix('10.97.4.0/24'))[0];
    if (!best || best.attributes.asPath.length === 0) continue;
    const changes: RouteChange[] = [];
    for (let i = 0; i < 3; i++) {
      const base = { plane: 'production' as const, node: node.name, prefix: '10.97.4.0/24', neighbor: best.attributes.neighbor };
      changes.push({ ...base, time: new Date(now - (10 + i * 7) * MINUTE).toISOString(), kind: 'announce', asPath: best.attributes.asPath });
      changes.push({ ...base, time: new Date(now - (12 + i * 7) * MINUTE).toISOString(), kind: 'withdraw' });
    }
    own.changes.push(...changes);
  }
  state.get('aalto-garage')!.changes.unshift(
    { time: new Date(now - 30 * MINUTE).toISOString(), plane: 'experimental', node: 'aalto-garage', kind: 'announce', prefix: '10.200.1.0/24', neighbor: EXPERIMENT_ROUTER, asPath: [EXPERIMENT_ASN] },
  );
  for (const own of state.values()) own.changes.sort((a, b) => b.time.localeCompare(a.time));
}

/**
 * A full-table replay: `count` distinct IPv4 prefixes (60% /24, the rest /16
 * to /23) with about one attribute set per five routes, AS paths of 2 to 7
 * hops over 60,000 origin ASNs, from the experiment's router. Deterministic.
 */
function addFullTable(node: InProcessNode, count: number, seed: number, now: number): void {
  let s = seed >>> 0 || 1;
  const random = (): number => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
  const table = node.tables.experimental;
  const attributeIds: number[] = [];
  const sets = Math.max(1, Math.floor(count / 5));
  for (let i = 0; i < sets; i++) {
    const hops = 2 + Math.floor(random() * 6);
    const asPath = [EXPERIMENT_ASN, ...Array.from({ length: hops - 1 }, () => 1 + Math.floor(random() * 60_000))];
    attributeIds.push(table.intern({
      neighbor: EXPERIMENT_ROUTER, nextHop: '10.200.0.1', asPath, origin: 'igp', localPref: 100,
      communities: [`${asPath[1]! & 0xffff}:${i % 1000}`], largeCommunities: [`${EXPERIMENT_ASN}:1:${i % 50}`],
    }));
  }
  const used = new Set<number>();
  while (used.size < count) {
    const length = random() < 0.6 ? 24 : 16 + Math.floor(random() * 8);
    // Inside 32.0.0.0/3, outside every pool of the mesh.
    const value = (0x20000000 + Math.floor(random() * 0x20000000)) & (0xffffffff << (32 - length));
    const key = (value >>> 0) * 64 + length;
    if (used.has(key)) continue;
    used.add(key);
    table.announce({ family: 4, value: BigInt(value >>> 0), length }, attributeIds[Math.floor(random() * sets)]!, now - 3600_000);
  }
}
