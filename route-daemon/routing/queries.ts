import type { Address, Prefix } from '../../common/prefix.js';
import type { ValidationState } from '../policy/origin-validation.js';
import type { RouteAttributes } from './attributes.js';
import type { RouteChange } from './change-log.js';
import type { DecisionStep } from './decision.js';
import type { Plane } from './instance.js';

/** What the control API (and through it the CLI and the looking glass) may ask a routing instance. */

export interface PathView {
  /** Peer name, or "local" for a prefix this node originates. */
  readonly peer: string;
  readonly attributes: RouteAttributes;
  readonly validation: ValidationState;
  readonly stale: boolean;
  /** Held back by flap damping until its penalty decays. */
  readonly suppressed: boolean;
  readonly best: boolean;
}

export interface RouteView {
  readonly prefix: Prefix;
  /** Best path first. */
  readonly paths: readonly PathView[];
  /** Why the best path won, when there was a choice. */
  readonly decidedBy: DecisionStep;
}

export interface RouteFilter {
  readonly family?: 4 | 6;
  readonly community?: number;
  readonly largeCommunity?: readonly [number, number, number];
  readonly originAsn?: number;
  readonly peer?: string;
}

export interface RoutePage {
  readonly routes: RouteView[];
  /** Pass back as `after` for the next page; absent at the end. */
  readonly next?: string;
}

export interface PeerCounters {
  readonly name: string;
  readonly asn: number;
  readonly address: Address;
  readonly up: boolean;
  /** Routes from the peer in the Adj-RIB-In now (after import policy). */
  readonly accepted: number;
  /** Prefixes the peer has been sent and not withdrawn. */
  readonly advertised: number;
  readonly stale: number;
  /** Outcomes of every import/export decision, by name. */
  readonly decisions: Record<string, number>;
}

export interface InstanceCounters {
  readonly plane: Plane;
  readonly routes: { readonly ipv4: number; readonly ipv6: number };
  readonly paths: number;
  /** Distinct attribute sets held: by routes, and by the announcements the recent-changes log still shows. */
  readonly attributeSets: number;
  /** Best-route changes since start: a plane whose routes did not move keeps this still. */
  readonly bestRouteChanges: number;
  readonly decisions: Record<string, number>;
}

export interface RouteQueries {
  readonly plane: Plane;
  counters(): InstanceCounters;
  peerCounters(peer: string): PeerCounters | undefined;
  /** Every peer the instance has seen (up, or down with stale routes or counters). */
  allPeerCounters(): PeerCounters[];
  listRoutes(options: { filter?: RouteFilter; after?: string; limit: number }): RoutePage;
  /** The longest prefix containing an address; a prefix exactly, or (orCovering) the longest one covering it. */
  lookup(query: { prefix: Prefix; orCovering?: boolean } | { address: Address }): RouteView | undefined;
  /** The last best-route changes, newest first. */
  recentChanges(options: { limit: number }): RouteChange[];
  announceLocal(prefix: Prefix, options?: { communities?: readonly number[]; largeCommunities?: readonly (readonly [number, number, number])[] }): void;
  withdrawLocal(prefix: Prefix): boolean;
}
