import type { Address } from '../../common/prefix.js';
import type { AsPathSegment, RouteAttributes } from './attributes.js';
import { DEFAULT_LOCAL_PREF } from './decision.js';

/**
 * The attributes sent with a route (RFC 4271 §5.1, §9.1.3). To an eBGP
 * peer: our AS prepended, ourselves as next hop, no LOCAL_PREF, and no MED
 * learned from another AS (§5.1.4). To an iBGP peer: the path unchanged,
 * LOCAL_PREF always present, next hop kept except for our own routes.
 * Unknown optional attributes travel on only if transitive (§5).
 */

const TRANSITIVE = 0x40;
const MAX_SEGMENT = 255;

export interface ExportTarget {
  readonly ebgp: boolean;
  readonly localAsn: number;
  /** Our address on the session for this family. */
  readonly nextHopSelf: Address;
}

export function exportAttributes(route: RouteAttributes, target: ExportTarget, options: { local: boolean }): RouteAttributes {
  const unknown = route.unknown?.filter((u) => (u.flags & TRANSITIVE) !== 0);
  const common: RouteAttributes = {
    origin: route.origin,
    asPath: route.asPath,
    nextHop: route.nextHop,
    ...(route.atomicAggregate ? { atomicAggregate: true } : {}),
    ...(route.aggregator ? { aggregator: route.aggregator } : {}),
    ...(route.communities?.length ? { communities: route.communities } : {}),
    ...(route.largeCommunities?.length ? { largeCommunities: route.largeCommunities } : {}),
    ...(unknown?.length ? { unknown } : {}),
  };
  if (target.ebgp) {
    return {
      ...common,
      asPath: prependAs(route.asPath, target.localAsn),
      nextHop: target.nextHopSelf,
      ...(options.local && route.med !== undefined ? { med: route.med } : {}),
    };
  }
  return {
    ...common,
    nextHop: options.local ? target.nextHopSelf : route.nextHop,
    ...(route.nextHopLinkLocal && !options.local ? { nextHopLinkLocal: route.nextHopLinkLocal } : {}),
    ...(route.med !== undefined ? { med: route.med } : {}),
    localPref: route.localPref ?? DEFAULT_LOCAL_PREF,
  };
}

/** Prepends `asn` to the leading AS_SEQUENCE, or starts one when there is none or it is full. */
export function prependAs(path: readonly AsPathSegment[], asn: number): AsPathSegment[] {
  const first = path[0];
  if (first?.type === 'sequence' && first.asns.length < MAX_SEGMENT) {
    return [{ type: 'sequence', asns: [asn, ...first.asns] }, ...path.slice(1)];
  }
  return [{ type: 'sequence', asns: [asn] }, ...path];
}
