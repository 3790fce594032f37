import type { Address } from '../../common/prefix.js';

/**
 * The path attributes the routing core works with: typed values, no wire
 * format. The peering layer decodes UPDATEs into this shape and encodes it
 * back; the RIBs intern equal sets so that a full table shares a few hundred
 * thousand of them instead of holding a million copies.
 */

export type Origin = 'igp' | 'egp' | 'incomplete';

export type AsPathSegmentType = 'sequence' | 'set' | 'confed-sequence' | 'confed-set';

export interface AsPathSegment {
  readonly type: AsPathSegmentType;
  /** Four-byte AS numbers (RFC 6793): the peering layer has already merged AS4_PATH. */
  readonly asns: readonly number[];
}

/** RFC 8092: global administrator, local data part 1, local data part 2. */
export type LargeCommunity = readonly [number, number, number];

/** An optional transitive attribute the speaker does not understand, passed on as received (RFC 4271 §5). */
export interface UnknownAttribute {
  readonly flags: number;
  readonly type: number;
  readonly value: Uint8Array;
}

export interface RouteAttributes {
  readonly origin: Origin;
  readonly asPath: readonly AsPathSegment[];
  /** NEXT_HOP for IPv4 NLRI, or the global next hop of MP_REACH_NLRI. */
  readonly nextHop: Address;
  /** IPv6 link-local next hop of MP_REACH_NLRI, when the peer sent one. */
  readonly nextHopLinkLocal?: Address;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { readonly asn: number; readonly address: Address };
  /** RFC 1997 communities as 32-bit values (ASN << 16 | value). */
  readonly communities?: readonly number[];
  readonly largeCommunities?: readonly LargeCommunity[];
  readonly unknown?: readonly UnknownAttribute[];
}
