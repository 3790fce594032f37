import { prefixContains, type Prefix } from '../../common/prefix.js';

/** Why `prefix` does not belong to the plane (not inside any of its pools), or null if it does. */
export function outsidePoolsReason(prefix: Prefix, pools: readonly Prefix[]): string | null {
  return pools.some((pool) => prefixContains(pool, prefix)) ? null : "outside the plane's pools";
}
