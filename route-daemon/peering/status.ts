import type { AddressFamily, Plane } from '../routing/instance.js';
import type { FsmState } from './fsm-types.js';

/**
 * A session's state and counters as the control API and metrics show them.
 * Every figure is kept up to date as messages pass, so reading one costs
 * nothing however large the table (see ANCHORS.md on GoBGP's neighbor cost).
 */

export type MessageKind = 'open' | 'update' | 'notification' | 'keepalive' | 'routeRefresh';

export type MessageCounts = Record<MessageKind, number>;

export interface NeighborStatus {
  readonly name: string;
  readonly plane: Plane;
  readonly address: string;
  readonly asn: number;
  readonly passive: boolean;
  readonly state: FsmState;
  /** When the session last reached Established (ms since the epoch), while it is up. */
  readonly establishedAt?: number;
  readonly routerId?: string;
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly families: readonly AddressFamily[];
  readonly received: MessageCounts;
  readonly sent: MessageCounts;
  readonly prefixes: { readonly accepted: number; readonly rejected: number; readonly withdrawn: number };
  /** RFC 7606 outcomes that did not reset the session. */
  readonly treatAsWithdraw: number;
  readonly attributesDiscarded: number;
  /** Times reading was paused because the peer sent faster than its update-rate limit. */
  readonly readPauses: number;
  /** Times the session left Established. */
  readonly flaps: number;
  readonly lastError?: { readonly direction: 'sent' | 'received'; readonly text: string; readonly at: number };
}

export function zeroCounts(): MessageCounts {
  return { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 };
}
