/**
 * Export policy of one plane: what a peer may be sent. A node announces only
 * prefixes it is authorized to originate plus routes it learned in the same
 * plane (the instance boundary already keeps the planes apart); a route never
 * goes back to the peer it came from, and an iBGP route is not passed to
 * another iBGP peer (there is no route reflection).
 */

export type RouteOrigin =
  | { readonly kind: 'local'; readonly authorized: boolean }
  | { readonly kind: 'peer'; readonly peer: string; readonly ebgp: boolean };

/** Why `route` is not exported to `target`, or null if it is. */
export function exportReason(route: RouteOrigin, target: { readonly name: string; readonly ebgp: boolean }): string | null {
  if (route.kind === 'local') return route.authorized ? null : 'not authorized to originate this prefix';
  if (route.peer === target.name) return 'learned from this peer';
  if (!route.ebgp && !target.ebgp) return 'iBGP route not passed to an iBGP peer';
  return null;
}
