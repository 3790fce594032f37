import type { Prefix } from '../../common/prefix.js';
import type { RouteAttributes } from './attributes.js';

/**
 * The last best-route changes of one plane, for the looking glass's "recent
 * route changes": a fixed ring, so a full-table load costs one slot write per
 * change and the memory never grows.
 */

export interface RouteChange {
  /** ms since the epoch */
  readonly time: number;
  readonly kind: 'announce' | 'withdraw';
  readonly prefix: Prefix;
  /** Peer name of the new best path, or of the path that went; "local" for our own. */
  readonly peer: string;
  /** The new best path's attributes (announce only). */
  readonly attributes?: RouteAttributes;
}

export class RouteChangeLog {
  private readonly ring: (RouteChange | undefined)[];
  private next = 0;
  private total = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<RouteChange | undefined>(capacity);
  }

  /** Changes recorded since start, including those the ring has dropped. */
  get recorded(): number {
    return this.total;
  }

  record(change: RouteChange): void {
    if (this.capacity === 0) return;
    this.ring[this.next] = change;
    this.next = (this.next + 1) % this.capacity;
    this.total++;
  }

  /** Newest first, at most `limit`. */
  recent(limit: number): RouteChange[] {
    const out: RouteChange[] = [];
    const held = Math.min(this.total, this.capacity);
    for (let i = 1; i <= Math.min(limit, held); i++) out.push(this.ring[(this.next - i + this.capacity) % this.capacity]!);
    return out;
  }
}
