import type { Prefix } from '../../common/prefix.js';
import type { PrefixSet } from './prefix-set.js';

/** Why `prefix` does not belong to the plane (not inside any of its pools), or null if it does. */
export function outsidePoolsReason(prefix: Prefix, pools: PrefixSet): string | null {
  return pools.covering(prefix) ? null : "outside the plane's pools";
}
