import { join } from 'node:path';
import { oneLine } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { parseAddress, parsePrefix } from '../../common/prefix.js';
import { KernelForwardingPlane } from '../../native/forwarding-plane.js';
import { ROUTE_DAEMON_PROTOCOL } from '../../native/owners.js';
import type { Rtnetlink } from '../../native/rtnetlink.js';
import type { PlaneConfig } from '../../route-daemon/config/config.js';
import { RouteDaemon } from '../../route-daemon/daemon.js';
import type { NeighborStatus } from '../../route-daemon/peering/status.js';
import type { RouteAuthorization } from '../../route-daemon/policy/origin-validation.js';
import { PLANES, type Plane } from '../../route-daemon/routing/instance.js';
import type { PolicyEvent } from '../../route-daemon/routing/plane-instance.js';
import type { Authorization, Node } from '../../registry/model.js';
import { planSessions, sessionName, type SelfAddresses } from './peer-plan.js';
import type { Identity } from '../state/layout.js';

/**
 * The node's route daemon, run inside the agent: one instance per plane, two
 * sessions per tunnel (production and experimental, loopback to loopback),
 * the node's own space announced, best routes fed into the plane's kernel table.
 */

export const PLANE_TABLES: Readonly<Record<Plane, number>> = { production: 64, experimental: 96 };
/** FIB routes sit behind the agent's host routes (metric 0) for the same prefix. */
const FIB_METRIC = 100;

function toRouteAuthorization(a: Authorization): RouteAuthorization {
  return { prefix: parsePrefix(a.prefix), maxLength: a.maxLength, originAsn: a.originAsn, plane: a.plane };
}

export class Routing {
  private constructor(
    readonly daemon: RouteDaemon,
    private readonly self: SelfAddresses,
    private readonly log: Logger,
  ) {}

  static async start(options: {
    identity: Identity; self: SelfAddresses; authorizations: readonly Authorization[]; rt: Rtnetlink; stateDir: string; log: Logger;
    /** Loopback ADDRESS:PORT for the daemon's Prometheus metrics. */
    metrics?: string;
    /** Policy decisions about experiment routers, for the registry's audit log. */
    audit?: (event: PolicyEvent) => void;
  }): Promise<Routing> {
    const { identity, self, log } = options;
    const mesh = identity.mesh;
    const authorizations = options.authorizations.map(toRouteAuthorization);
    const plane = (name: Plane, pools: string[]): PlaneConfig => ({
      plane: name,
      pools: pools.map((p) => parsePrefix(p)),
      // Loopbacks (/32, /128) and garage /64s are the mesh's normal routes.
      bogons: { maxLengthIpv4: 32, maxLengthIpv6: 128 },
      stalePathSeconds: 360,
      // A researcher's flapping prefix is suppressed (RFC 2439, RFC 7196 parameters); production is never damped.
      damping: name === 'experimental',
      authorizations: [],
    });
    const start = (metrics: string | undefined): Promise<RouteDaemon> => RouteDaemon.start({
      config: {
        file: join(options.stateDir, 'node.json'),
        router: {
          asn: self.asn,
          routerId: Number(parseAddress(self.productionLoopbackV4).value),
          listen: { host: '::', port: 179 },
          controlSocket: join(options.stateDir, 'routed.sock'),
        },
        planes: new Map<Plane, PlaneConfig>([
          ['production', plane('production', [mesh.productionV4, mesh.productionV6])],
          ['experimental', plane('experimental', [mesh.experimentalV4, mesh.experimentalV6])],
        ]),
        peers: [],
      },
      authorizations,
      ...(metrics ? { metrics } : {}),
      ...(options.audit ? { audit: options.audit } : {}),
      // The daemon resynchronizes each plane's table through the native plane (FIB routes behind the host routes).
      forwarding: new KernelForwardingPlane(options.rt, { tables: PLANE_TABLES, protocol: ROUTE_DAEMON_PROTOCOL, metric: FIB_METRIC }),
      log,
    });
    // Metrics are an aid, not a reason to stay down: on a taken port the daemon runs without them.
    const daemon = await start(options.metrics).catch((err: unknown) => {
      if (!options.metrics) throw err;
      log.warn({ address: options.metrics, err: oneLine(err) }, 'route daemon metrics not served');
      return start(undefined);
    });
    const routing = new Routing(daemon, self, log);
    routing.announceOwn(identity);
    return routing;
  }

  /** The node's loopbacks and garage space, each into its own plane. */
  private announceOwn(identity: Identity): void {
    for (const allocation of identity.allocations) {
      try {
        this.daemon.instance(allocation.plane).announceLocal(parsePrefix(allocation.prefix));
      } catch (err) {
        this.log.error({ prefix: allocation.prefix, err: oneLine(err) }, 'cannot announce own allocation');
      }
    }
  }

  /** Adds the peer's sessions that do not exist yet (so a retry after a failure is harmless). */
  addPeer(peer: Node): void {
    for (const session of planSessions(this.self, peer)) {
      if (this.daemon.neighbor(session.config.name)) continue;
      this.daemon.addPeer(session.config, { localAddressIpv6: parseAddress(session.localAddressIpv6) });
    }
  }

  removePeer(peer: string): void {
    for (const plane of PLANES) this.removeSession(peer, plane);
  }

  private removeSession(peer: string, plane: Plane): void {
    if (this.daemon.neighbor(sessionName(peer, plane))) this.daemon.removePeer(sessionName(peer, plane));
  }

  /**
   * Restarts the peer's sessions that `which` selects, from scratch: on a
   * failed tunnel the Established ones (down at once), when it is back the
   * ones still trying (connect now). Sessions not selected are left alone.
   */
  resetSessions(peer: Node, which: (state: string | undefined) => boolean): void {
    this.removeSessions(peer.name, which);
    this.addPeer(peer);
  }

  /** Stops the peer's sessions that `which` selects, until addPeer or resetSessions brings them back. */
  removeSessions(peer: string, which: (state: string | undefined) => boolean): void {
    for (const plane of PLANES) {
      if (which(this.neighbor(peer, plane)?.state)) this.removeSession(peer, plane);
    }
  }

  updateAuthorizations(authorizations: readonly Authorization[]): void {
    const list = authorizations.map(toRouteAuthorization);
    for (const plane of PLANES) this.daemon.instance(plane).updateAuthorizations(list);
  }

  /** The session of a peer in a plane, if it has one. */
  neighbor(peer: string, plane: Plane): NeighborStatus | undefined {
    return this.daemon.neighbor(sessionName(peer, plane));
  }

  /** `graceful`: an agent restart; peers keep our routes and the kernel keeps its tables meanwhile. */
  async stop(options: { graceful: boolean }): Promise<void> {
    await this.daemon.stop({ graceful: options.graceful });
  }
}
