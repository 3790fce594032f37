import { formatAddress, formatPrefix } from '../common/prefix.js';
import type { FibChange, FibRoute, ForwardingPlane } from '../route-daemon/fib.js';
import type { Plane } from '../route-daemon/routing/instance.js';
import type { Route, RouteChange, RouteFailure, Rtnetlink } from './rtnetlink.js';
import { resyncTable } from './table-sync.js';

/**
 * The route daemon's ForwardingPlane on top of rtnetlink: one kernel table per
 * plane, every route tagged with our protocol number and a fixed metric.
 */

export interface ForwardingPlaneOptions {
  readonly tables: Readonly<Record<Plane, number>>;
  /** Owner tag (rtm_protocol) of every route we install. */
  readonly protocol: number;
  /** Metric of our routes; part of a route's identity, so foreign routes at other metrics never collide. */
  readonly metric?: number;
  /**
   * Where the kernel should send traffic for a BGP next hop. BGP between
   * loopbacks gives next hops the kernel cannot use as a gateway (not on a
   * link); with one WireGuard interface per peer the answer is that peer's
   * interface. Without a resolver the next hop is the gateway as is.
   */
  readonly resolveNextHop?: (nextHop: string) => NextHop;
}

export interface NextHop {
  readonly gateway?: string;
  readonly device?: string;
}

/** Thrown after a batch was applied when the kernel refused some of its routes. */
export class FibBatchError extends Error {
  readonly failures: readonly RouteFailure[];
  constructor(plane: Plane, failures: readonly RouteFailure[]) {
    const first = failures.slice(0, 3).map((f) => `${f.op} ${f.route.prefix}: ${f.message} (${f.code})`);
    super(`${plane} table: the kernel refused ${failures.length} route(s): ${first.join('; ')}${failures.length > 3 ? '; ...' : ''}`);
    this.name = 'FibBatchError';
    this.failures = failures;
  }
}

export class KernelForwardingPlane implements ForwardingPlane {
  constructor(
    private readonly rt: Rtnetlink,
    private readonly options: ForwardingPlaneOptions,
  ) {}

  /**
   * Applies the batch in order. An add is exclusive (never overwrites what is
   * there); a replace is sent only for prefixes the daemon added through us.
   * Rejects with FibBatchError, after the rest of the batch was applied, when
   * the kernel refused routes.
   */
  async apply(plane: Plane, changes: readonly FibChange[]): Promise<void> {
    const batch = changes.map((c): RouteChange => {
      const prefix = formatPrefix(c.prefix);
      if (c.kind === 'withdraw') return { op: 'delete', route: this.route(prefix, {}) };
      return { op: c.kind, route: this.route(prefix, this.nextHop(formatAddress(c.nextHop))) };
    });
    const result = await this.rt.applyRoutes(batch, this.owner(plane));
    if (result.failed.length > 0) throw new FibBatchError(plane, result.failed);
  }

  async resync(plane: Plane, routes: readonly FibRoute[]): Promise<void> {
    const desired = routes.map((r) => this.route(formatPrefix(r.prefix), this.nextHop(formatAddress(r.nextHop))));
    const result = await resyncTable(this.rt, desired, this.owner(plane));
    if (result.failed.length > 0) throw new FibBatchError(plane, result.failed);
  }

  private owner(plane: Plane): { table: number; protocol: number } {
    return { table: this.options.tables[plane], protocol: this.options.protocol };
  }

  private nextHop(address: string): NextHop {
    return this.options.resolveNextHop ? this.options.resolveNextHop(address) : { gateway: address };
  }

  private route(prefix: string, via: NextHop): Route {
    return {
      prefix,
      ...(via.gateway !== undefined && { gateway: via.gateway }),
      ...(via.device !== undefined && { device: via.device }),
      ...(this.options.metric !== undefined && { metric: this.options.metric }),
    };
  }
}
