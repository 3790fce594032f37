import type { Prefix } from '../../common/prefix.js';
import type { PrefixSet } from './prefix-set.js';

const OUTSIDE = "outside the plane's pools";

/** Why `prefix` does not belong to the plane (not inside any of its pools), or null if it does. */
export function outsidePoolsReason(prefix: Prefix, pools: PrefixSet): string | null {
  return pools.covering(prefix) ? null : OUTSIDE;
}

/** `outsidePoolsReason` for the IPv4 prefix `network`/`length`, without a Prefix (asked once per received prefix). */
export function ipv4OutsidePoolsReason(network: number, length: number, pools: PrefixSet): string | null {
  return pools.coveringIpv4(network, length) ? null : OUTSIDE;
}
