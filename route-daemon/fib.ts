import type { Address, Prefix } from '../common/prefix.js';
import type { Plane } from './routing/instance.js';

/**
 * The small interface between the route daemon and the native plane, which
 * programs one kernel table per plane. The daemon sends best-route diffs in
 * batches; after a restart, or when the native plane asks, it sends the full
 * table so that a resync can make the kernel match it exactly.
 */

export interface FibRoute {
  readonly prefix: Prefix;
  readonly nextHop: Address;
}

export type FibChange =
  | { readonly kind: 'add'; readonly prefix: Prefix; readonly nextHop: Address }
  | { readonly kind: 'replace'; readonly prefix: Prefix; readonly nextHop: Address }
  | { readonly kind: 'withdraw'; readonly prefix: Prefix };

/** Implemented by the native plane. Both calls are per plane; a plane's table never sees the other's routes. */
export interface ForwardingPlane {
  /** Applies one batch in order; resolves once the kernel took it (errors name the route). */
  apply(plane: Plane, changes: readonly FibChange[]): Promise<void>;
  /** Makes the plane's table hold exactly `routes` (idempotent). */
  resync(plane: Plane, routes: readonly FibRoute[]): Promise<void>;
}

/** Implemented by each routing instance: what the native plane may ask of it. */
export interface FibSource {
  readonly plane: Plane;
  /** Every best route with a next hop, for resync; drainFib continues with the changes after it. */
  fibSnapshot(): FibRoute[];
  /** Next batch of best-route diffs (at most `maxChanges`), or null when the FIB is up to date. */
  drainFib(options?: { maxChanges?: number }): FibChange[] | null;
  /** Called when drainFib has something new; set by whoever feeds the native plane. */
  onFibReady(listener: () => void): void;
}
