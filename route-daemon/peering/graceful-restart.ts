import type { AddressFamily } from '../routing/instance.js';
import type { PeerGracefulRestart } from './capabilities.js';
import type { DownCause } from './fsm-types.js';

/**
 * Graceful restart as the receiving speaker (RFC 4724 §4.2): which ends of a
 * session keep the peer's routes (stale) and which purge them. The session
 * runs the restart timer; these rules decide what it does when.
 */

/**
 * Keep the peer's routes as stale when the connection simply went away (TCP
 * closed or reset: the peer is restarting) and the peer said it can restart
 * gracefully. A NOTIFICATION either way is a deliberate reset: purge.
 */
export function keepRoutesOnDown(cause: DownCause, peer: PeerGracefulRestart | undefined): boolean {
  return cause === 'connectionLost' && peer !== undefined && peer.families.length > 0;
}

/**
 * When the peer comes back: the families whose stale routes go at once,
 * because the new OPEN does not say forwarding survived for them (F bit
 * clear, or no graceful-restart capability at all). The rest wait for the
 * peer's End-of-RIB.
 */
export function familiesToPurgeOnReturn(stale: readonly AddressFamily[], peer: PeerGracefulRestart | undefined): AddressFamily[] {
  const preserved = new Set((peer?.families ?? []).filter((f) => f.forwarding).map((f) => f.family));
  return stale.filter((f) => !preserved.has(f));
}
