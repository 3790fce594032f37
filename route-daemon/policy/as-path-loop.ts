import type { AsPathSegment } from '../routing/attributes.js';

/** Why the route must be dropped as a loop (our own AS in its path, RFC 4271 §9.1.2), or null. */
export function asPathLoopReason(path: readonly AsPathSegment[], localAsn: number): string | null {
  return path.some((segment) => segment.asns.includes(localAsn)) ? `own AS ${localAsn} in the AS path` : null;
}
