import type { RouteAttributes } from '../routing/attributes.js';

/**
 * Why a route carries more communities than the session allows, or null.
 * Standard (RFC 1997) and large (RFC 8092) communities count together: both
 * cost memory in every RIB that holds the route, which is what the limit guards.
 */
export function communityCountReason(attributes: RouteAttributes, limit: number | undefined): string | null {
  if (limit === undefined) return null;
  const count = (attributes.communities?.length ?? 0) + (attributes.largeCommunities?.length ?? 0);
  return count > limit ? `${count} communities exceed ${limit}` : null;
}
