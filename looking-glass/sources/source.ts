import type { Address, Prefix } from '../../common/prefix.js';
import type {
  BgpSession,
  Plane,
  ProbeRequest,
  ProbeResult,
  RegistryView,
  RibFibComparison,
  Route,
  RouteChange,
  TunnelStatus,
} from './types.js';

/**
 * Where the looking glass gets its facts. The server only ever sees these
 * interfaces (through the cache in cache.ts); the in-process source and the
 * gRPC adapters for the registry, route daemon and node agent implement them.
 * Every call may fail (a node is offline): the cache keeps the last answer.
 */

/** A call the real component does not offer (yet); the API answers 501 with this message. */
export class NotOfferedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotOfferedError';
  }
}

/** The node refused a request as malformed or out of bounds (a probe target outside its pools); the API answers 400. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/** The node is at its limit (its probe slots are full); the API answers 503 with Retry-After. */
export class BusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BusyError';
  }
}

/** The registry's public view: members, nodes, allocations, experiments. */
export interface RegistrySource {
  publicView(): Promise<RegistryView>;
}

/** Which routes to list: exactly one filter. */
export type RouteFilter =
  | { readonly kind: 'neighbor'; readonly neighbor: string }
  | { readonly kind: 'origin-asn'; readonly asn: number }
  | { readonly kind: 'community'; readonly community: string }
  | { readonly kind: 'large-community'; readonly community: string };

export interface RouteList {
  readonly routes: readonly Route[];
  /** More routes matched than `limit`. */
  readonly truncated: boolean;
}

/** One node's route daemon (its gRPC control API). */
export interface RouteDaemonSource {
  sessions(): Promise<readonly BgpSession[]>;
  /**
   * Every path for the most specific prefix that covers `target` (an address,
   * or a prefix matched exactly or by a shorter covering prefix), best first.
   */
  lookup(plane: Plane, target: Address | Prefix): Promise<readonly Route[]>;
  routes(plane: Plane, options: { filter: RouteFilter; limit: number }): Promise<RouteList>;
  recentChanges(options: { limit: number }): Promise<readonly RouteChange[]>;
}

/** One node's agent: tunnel health, the fixed probe code path, and its kernel tables against its route daemon. */
export interface AgentSource {
  tunnels(): Promise<readonly TunnelStatus[]>;
  probe(request: ProbeRequest): Promise<ProbeResult>;
  ribVsFib(plane: Plane): Promise<RibFibComparison>;
}

export interface NodeSource {
  readonly routeDaemon: RouteDaemonSource;
  readonly agent: AgentSource;
}

/** Everything the looking glass reads. `node` is undefined for an unknown name. */
export interface MeshSource {
  readonly registry: RegistrySource;
  node(name: string): NodeSource | undefined;
}
