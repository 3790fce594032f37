import { formatAddress, formatPrefix, type Address, type Prefix } from '../../common/prefix.js';
import type { RoutedClient } from '../../route-daemon/control/client.js';
import type { NeighborMessage, PathMessage, RouteChangeMessage, RouteMessage } from '../../route-daemon/control/messages.js';
import { NotOfferedError, type AgentSource, type RouteDaemonSource, type RouteFilter, type RouteList } from './source.js';
import { PLANES, type BgpSession, type Plane, type Route, type RouteChange, type SessionState, type ValidationState } from './types.js';

/** What the adapter needs of the route daemon's typed control client (route-daemon/control/client.ts). */
export type RoutedControlClient = Pick<RoutedClient, 'listNeighbors' | 'lookupRoute' | 'listRoutes' | 'routeChanges'>;

const SESSION_STATES: readonly SessionState[] = ['idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'];
const VALIDATION: readonly ValidationState[] = ['valid', 'invalid', 'not-found'];

/** One node's route daemon through its gRPC control API (proto/routed.proto). */
export class RouteDaemonControlSource implements RouteDaemonSource {
  constructor(
    private readonly client: RoutedControlClient,
    /** `node`: the node this daemon runs on, named in its route changes. */
    private readonly options: { node: string; now?: () => number },
  ) {}

  async sessions(): Promise<readonly BgpSession[]> {
    const now = (this.options.now ?? Date.now)();
    return (await this.client.listNeighbors()).flatMap((n) => {
      const session = toSession(n, now);
      return session ? [session] : [];
    });
  }

  async lookup(plane: Plane, target: Address | Prefix): Promise<readonly Route[]> {
    const query = 'length' in target ? formatPrefix(target) : formatAddress(target);
    const answer = await this.client.lookupRoute({ plane, query });
    return answer.found && answer.route ? toRoutes(plane, answer.route) : [];
  }

  async routes(plane: Plane, options: { filter: RouteFilter; limit: number }): Promise<RouteList> {
    const { filter, limit } = options;
    const request = {
      plane,
      ...(filter.kind === 'neighbor' ? { peer: filter.neighbor } : {}),
      ...(filter.kind === 'origin-asn' ? { originAsn: filter.asn } : {}),
      ...(filter.kind === 'community' ? { community: filter.community } : {}),
      ...(filter.kind === 'large-community' ? { largeCommunity: filter.community } : {}),
      // One more than asked, to tell whether the list was cut.
      limit: limit + 1,
    };
    const routes: Route[] = [];
    let prefixes = 0;
    for await (const page of this.client.listRoutes(request)) {
      for (const route of page.routes) {
        if (++prefixes > limit) return { routes, truncated: true };
        // The daemon matches a route if one of its paths does; show only the paths that do.
        routes.push(...toRoutes(plane, route).filter((r, i) => pathMatches(route.paths[i]!, r, filter)));
      }
    }
    return { routes, truncated: false };
  }

  /** The last best-route changes of both planes (ListRouteChanges), newest first. */
  async recentChanges(options: { limit: number }): Promise<readonly RouteChange[]> {
    const perPlane = await Promise.all(PLANES.map(async (plane) =>
      (await this.client.routeChanges({ plane, limit: options.limit })).map((c) => toChange(this.options.node, plane, c))));
    return perPlane.flat().sort((a, b) => b.time.localeCompare(a.time)).slice(0, options.limit);
  }
}

/** For a node whose agent API the looking glass was not given: the page says what is missing instead of guessing. */
export const AGENT_NOT_GIVEN: AgentSource = {
  tunnels: () => Promise.reject(new NotOfferedError('the looking glass was given no agent API address for this node')),
  probe: () => Promise.reject(new NotOfferedError('the looking glass was given no agent API address for this node, so it cannot probe from it')),
  ribVsFib: () => Promise.reject(new NotOfferedError('the looking glass was given no agent API address for this node, so it cannot compare its kernel tables')),
};

function toChange(node: string, plane: Plane, c: RouteChangeMessage): RouteChange {
  return {
    time: new Date(c.timeUnixMs).toISOString(),
    plane,
    node,
    kind: c.kind === 'withdraw' ? 'withdraw' : 'announce',
    prefix: c.prefix,
    neighbor: c.peer,
    ...(c.kind === 'withdraw' ? {} : { asPath: c.asPath.flatMap((segment) => segment.asns) }),
  };
}

function toSession(n: NeighborMessage, now: number): BgpSession | undefined {
  if (!(PLANES as readonly string[]).includes(n.plane)) return undefined;
  const state = (SESSION_STATES as readonly string[]).includes(n.state) ? (n.state as SessionState) : 'idle';
  return {
    plane: n.plane as Plane,
    neighbor: n.name,
    neighborAddress: n.address,
    neighborAsn: n.asn,
    state,
    ...(state === 'established' ? { since: new Date(now - n.uptimeSeconds * 1000).toISOString() } : {}),
    prefixesReceived: n.accepted + n.rejected,
    prefixesAccepted: n.accepted,
    prefixesAdvertised: n.advertised,
  };
}

function toRoutes(plane: Plane, route: RouteMessage): Route[] {
  return route.paths.map((p) => ({
    prefix: route.prefix,
    plane,
    best: p.best,
    neighbor: p.peer,
    nextHop: p.nextHop,
    // AS_SETs are flattened into the path: the page shows the ASNs in order.
    asPath: p.asPath.flatMap((segment) => segment.asns),
    origin: p.origin === 'egp' || p.origin === 'incomplete' ? p.origin : 'igp',
    localPref: p.hasLocalPref ? p.localPref : 100,
    ...(p.hasMed ? { med: p.med } : {}),
    communities: p.communities,
    largeCommunities: p.largeCommunities,
    validation: (VALIDATION as readonly string[]).includes(p.validation) ? (p.validation as ValidationState) : 'not-found',
  }));
}

function pathMatches(path: PathMessage, route: Route, filter: RouteFilter): boolean {
  switch (filter.kind) {
    case 'neighbor': return path.peer === filter.neighbor;
    case 'origin-asn': return path.originAsn === filter.asn;
    case 'community': return route.communities.includes(filter.community);
    case 'large-community': return route.largeCommunities.includes(filter.community);
  }
}
