import type { Plane } from '../routing/instance.js';

/**
 * What the control API needs from the peering layer, which owns the
 * sessions. Every figure must be a kept counter: the API is polled.
 */

export interface NeighborState {
  readonly name: string;
  readonly plane: Plane;
  readonly address: string;
  readonly asn: number;
  readonly passive: boolean;
  /** FSM state name, lower case (idle, connect, active, opensent, openconfirm, established). */
  readonly state: string;
  /** When the session last reached Established (ms since the epoch), while it is up. */
  readonly establishedAt?: number;
  readonly routerId?: string;
  readonly holdTime: number;
  readonly families: readonly string[];
  readonly received: Readonly<Record<string, number>>;
  readonly sent: Readonly<Record<string, number>>;
  readonly prefixes: { readonly rejected: number };
  readonly flaps: number;
  readonly lastError?: { readonly text: string };
}

export interface NeighborSource {
  listNeighbors(): readonly NeighborState[];
  /** Sends ROUTE-REFRESH to the peer (RFC 2918); throws a UserError naming the peer if it cannot. */
  requestRefresh(name: string): void;
}
