import type {
  Allocation,
  Authorization,
  BgpSession,
  Experiment,
  MeshNode,
  Organization,
  ProbeResult,
  RibFibComparison,
  Route,
  RouteChange,
  TunnelStatus,
} from '../sources/types.js';
import { decodeCommunities, decodeLargeCommunities, type CommunityDictionary } from './communities.js';

/**
 * The only way data leaves the looking glass: every object a source hands
 * over is copied field by field from an allowlist, so a secret that a source
 * carries along (a key, a credential, an invitation, a session password) or
 * an underlay endpoint that is not marked public never reaches a response.
 */
function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

export function publicOrganization(o: Organization): Organization {
  return pick(o, ['name', 'description']);
}

export function publicNode(n: MeshNode): MeshNode {
  return {
    ...pick(n, ['name', 'organization', 'asn', 'wireguardPublicKey', 'online', 'onlineSince', 'location']),
    loopbacks: { production: n.loopbacks.production, experimental: n.loopbacks.experimental },
    endpointPublic: n.endpointPublic === true,
    endpoints: n.endpointPublic === true ? n.endpoints.map(String) : [],
  };
}

export function publicAllocation(a: Allocation): Allocation {
  return { ...pick(a, ['prefix', 'plane', 'purpose']), holder: pick(a.holder, ['kind', 'name']) };
}

export function publicAuthorization(a: Authorization): Authorization {
  return pick(a, ['prefix', 'maxLength', 'originAsn', 'plane']);
}

export function publicExperiment(e: Experiment): Experiment {
  return {
    ...pick(e, ['name', 'owner', 'description', 'asn', 'state', 'createdAt', 'expiresAt']),
    allocations: [...e.allocations],
    attachedAt: [...e.attachedAt],
    limits: pick(e.limits, ['maxPrefixes', 'maxAsPathLength', 'maxUpdatesPerMinute', 'bandwidthMbit']),
    audit: e.audit.map((a) => pick(a, ['time', 'node', 'kind', 'detail', 'prefix'])),
  };
}

export function publicSession(s: BgpSession): BgpSession {
  return pick(s, ['plane', 'neighbor', 'neighborAddress', 'neighborAsn', 'state', 'since', 'prefixesReceived', 'prefixesAccepted', 'prefixesAdvertised']);
}

export function publicTunnel(t: TunnelStatus): TunnelStatus {
  return pick(t, ['peer', 'state', 'latencyMs', 'loss', 'lastHandshake']);
}

export type PublicRoute = Omit<Route, 'communities' | 'largeCommunities'> & {
  communities: ReturnType<typeof decodeCommunities>;
  largeCommunities: ReturnType<typeof decodeLargeCommunities>;
};

export function publicRoute(r: Route, dictionary: CommunityDictionary): PublicRoute {
  return {
    ...pick(r, ['prefix', 'plane', 'best', 'neighbor', 'nextHop', 'origin', 'localPref', 'med', 'validation', 'since']),
    asPath: [...r.asPath],
    communities: decodeCommunities(r.communities, dictionary),
    largeCommunities: decodeLargeCommunities(r.largeCommunities, dictionary),
  };
}

export function publicChange(c: RouteChange): RouteChange {
  return { ...pick(c, ['time', 'plane', 'node', 'kind', 'prefix', 'neighbor']), ...(c.asPath ? { asPath: [...c.asPath] } : {}) };
}

export function publicRibFib(c: RibFibComparison): RibFibComparison {
  const diff = (d: RibFibComparison['missingFromFib']) => d.map((x) => pick(x, ['prefix', 'ribNextHop', 'fibNextHop']));
  return {
    ...pick(c, ['plane', 'checkedAt', 'ribRoutes', 'fibRoutes']),
    missingFromFib: diff(c.missingFromFib),
    extraInFib: diff(c.extraInFib),
    nextHopMismatch: diff(c.nextHopMismatch),
    ...(c.counts ? { counts: pick(c.counts, ['missingFromFib', 'extraInFib', 'nextHopMismatch']) } : {}),
  };
}

export function publicProbe(p: ProbeResult): ProbeResult {
  if (p.kind === 'ping') return { kind: 'ping', sent: p.sent, received: p.received, rttMs: [...p.rttMs] };
  return { kind: 'traceroute', reached: p.reached, hops: p.hops.map((h) => pick(h, ['ttl', 'address', 'node', 'rttMs'])) };
}
