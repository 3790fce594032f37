import { formatAddress, formatPrefix, parseAddress, parsePrefix, prefixContainsAddress, type Address } from '../../../common/prefix.js';
import { OriginValidator } from '../origin-validation.js';
import type { AgentSource, MeshSource, NodeSource, RouteDaemonSource, RouteFilter, RouteList } from '../source.js';
import type {
  BgpSession,
  FibDifference,
  Plane,
  ProbeRequest,
  ProbeResult,
  RegistryView,
  RibFibComparison,
  Route,
  RouteChange,
  TracerouteHop,
  TunnelStatus,
} from '../types.js';
import { RouteTable, type RouteAttributes, type TableEntry } from './route-table.js';

/** The state one node's route daemon and agent would report. */
export interface InProcessNode {
  readonly sessions: BgpSession[];
  readonly tables: Record<Plane, RouteTable>;
  /** The kernel table per plane: prefix text → next hop. */
  readonly fib: Record<Plane, Map<string, string>>;
  /** Newest first. */
  readonly changes: RouteChange[];
  readonly tunnels: TunnelStatus[];
}

export function emptyNode(): InProcessNode {
  return {
    sessions: [],
    tables: { production: new RouteTable(), experimental: new RouteTable() },
    fib: { production: new Map(), experimental: new Map() },
    changes: [],
    tunnels: [],
  };
}

/**
 * A whole mesh held in this process, answering through the same interfaces
 * the gRPC adapters implement. It stands in for the registry and the nodes
 * until those land, and holds the million-route table for the benchmark.
 * A node marked unreachable fails every call, as an offline garage would.
 */
export class InProcessMesh implements MeshSource {
  readonly registry = { publicView: async (): Promise<RegistryView> => this.view };
  private readonly unreachable = new Set<string>();
  private validator: OriginValidator;
  /** How many calls each node has answered, so tests can see the cache at work. */
  readonly callCount = new Map<string, number>();

  constructor(
    private view: RegistryView,
    readonly nodes: ReadonlyMap<string, InProcessNode>,
  ) {
    this.validator = new OriginValidator(view.authorizations);
  }

  registryView(): RegistryView {
    return this.view;
  }

  setRegistryView(view: RegistryView): void {
    this.view = view;
    this.validator = new OriginValidator(view.authorizations);
  }

  setReachable(name: string, reachable: boolean): void {
    if (reachable) this.unreachable.delete(name);
    else this.unreachable.add(name);
  }

  node(name: string): NodeSource | undefined {
    const state = this.nodes.get(name);
    const meshNode = this.view.nodes.find((n) => n.name === name);
    if (!state || !meshNode) return undefined;
    const reach = async (): Promise<void> => {
      this.callCount.set(name, (this.callCount.get(name) ?? 0) + 1);
      if (this.unreachable.has(name)) throw new Error(`node ${name} is unreachable`);
    };
    const toRoute = (plane: Plane, entry: TableEntry): Route => {
      const a = entry.attributes;
      const originAsn = a.asPath.length > 0 ? a.asPath[a.asPath.length - 1]! : meshNode.asn;
      return {
        prefix: formatPrefix(entry.prefix),
        plane,
        best: entry.best,
        ...a,
        validation: this.validator.validate(plane, entry.prefix, originAsn),
        since: new Date(entry.since).toISOString(),
      };
    };
    const routeDaemon: RouteDaemonSource = {
      sessions: async () => (await reach(), state.sessions),
      lookup: async (plane, target) => {
        await reach();
        return state.tables[plane].lookup(target).map((e) => toRoute(plane, e));
      },
      routes: async (plane, { filter, limit }): Promise<RouteList> => {
        await reach();
        const { entries, truncated } = state.tables[plane].filter(filterPredicate(filter), limit);
        return { routes: entries.map((e) => toRoute(plane, e)), truncated };
      },
      recentChanges: async ({ limit }) => (await reach(), state.changes.slice(0, limit)),
    };
    const agent: AgentSource = {
      tunnels: async () => (await reach(), state.tunnels),
      probe: async (request) => (await reach(), this.probe(name, request)),
      ribVsFib: async (plane) => (await reach(), compareRibFib(plane, state)),
    };
    return { routeDaemon, agent };
  }

  /**
   * Walks best routes hop by hop from `from` toward the target, summing the
   * tunnel latencies: what ping and traceroute over the mesh would see.
   */
  private probe(from: string, request: ProbeRequest): ProbeResult {
    const target = parseAddress(request.target);
    const hops: TracerouteHop[] = [];
    let at = from;
    let rtt = 0;
    let reached = false;
    for (let ttl = 1; ttl <= 16; ttl++) {
      const owner = this.view.nodes.find((n) => n.name === at)!;
      if (ownsAddress(this.view, at, request.plane, target)) {
        reached = true;
        if (at !== from) hops.push({ ttl: ttl - 1, address: owner.loopbacks[request.plane], node: at, rttMs: round(rtt) });
        break;
      }
      if (at !== from) hops.push({ ttl: ttl - 1, address: owner.loopbacks[request.plane], node: at, rttMs: round(rtt) });
      const best = this.nodes.get(at)?.tables[request.plane].lookup(target)[0];
      const tunnel = best && this.nodes.get(at)!.tunnels.find((t) => t.peer === best.attributes.neighbor && t.state === 'up');
      if (!best || !tunnel) break;
      rtt += tunnel.latencyMs ?? 0;
      at = best.attributes.neighbor;
    }
    if (request.kind === 'traceroute') {
      if (reached && hops.length === 0) hops.push({ ttl: 1, address: formatAddress(target), node: from, rttMs: 0.05 });
      return { kind: 'traceroute', hops, reached };
    }
    const rttMs = reached ? [0, 1, 2].map((i) => round(rtt + 0.05 + i * 0.01)) : [];
    return { kind: 'ping', sent: 3, received: rttMs.length, rttMs };
  }
}

function ownsAddress(view: RegistryView, node: string, plane: Plane, address: Address): boolean {
  const meshNode = view.nodes.find((n) => n.name === node);
  if (meshNode && meshNode.loopbacks[plane] === formatAddress(address)) return true;
  return view.allocations.some(
    (a) => a.plane === plane && a.holder.kind === 'node' && a.holder.name === node && prefixContainsAddress(parsePrefix(a.prefix), address),
  );
}

function filterPredicate(filter: RouteFilter): (a: RouteAttributes) => boolean {
  switch (filter.kind) {
    case 'neighbor':
      return (a) => a.neighbor === filter.neighbor;
    case 'origin-asn':
      return (a) => a.asPath.length > 0 && a.asPath[a.asPath.length - 1] === filter.asn;
    case 'community':
      return (a) => a.communities.includes(filter.community);
    case 'large-community':
      return (a) => a.largeCommunities.includes(filter.community);
  }
}

function compareRibFib(plane: Plane, node: InProcessNode): RibFibComparison {
  const fib = node.fib[plane];
  const missingFromFib: FibDifference[] = [];
  const nextHopMismatch: FibDifference[] = [];
  const seen = new Set<string>();
  let ribRoutes = 0;
  for (const best of node.tables[plane].bestRoutes()) {
    // Locally originated prefixes are the node's own interfaces, not routes the daemon installs.
    if (best.attributes.asPath.length === 0) continue;
    ribRoutes++;
    const prefix = formatPrefix(best.prefix);
    seen.add(prefix);
    const fibNextHop = fib.get(prefix);
    if (fibNextHop === undefined) missingFromFib.push({ prefix, ribNextHop: best.attributes.nextHop });
    else if (fibNextHop !== best.attributes.nextHop) nextHopMismatch.push({ prefix, ribNextHop: best.attributes.nextHop, fibNextHop });
  }
  const extraInFib: FibDifference[] = [];
  for (const [prefix, fibNextHop] of fib) if (!seen.has(prefix)) extraInFib.push({ prefix, fibNextHop });
  return { plane, checkedAt: new Date().toISOString(), ribRoutes, fibRoutes: fib.size, missingFromFib, extraInFib, nextHopMismatch };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
