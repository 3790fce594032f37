import type { Socket } from 'node:net';
import { UserError } from '../common/errors.js';
import { createLogger, type Logger } from '../common/log.js';
import { formatAddress, type Address } from '../common/prefix.js';
import type { PeerConfig, RouteDaemonConfig } from './config/config.js';
import type { LocalSpeaker } from './peering/capabilities.js';
import { BgpListener, type ListenAddress } from './peering/listener.js';
import { PeerSession } from './peering/session.js';
import type { NeighborStatus } from './peering/status.js';
import type { AddressFamily, Plane } from './routing/instance.js';
import { createRoutingInstance, type PlaneInstance } from './routing/plane-instance.js';

/**
 * The route daemon: one routing instance per configured plane, one session
 * per configured peer bound to the instance of its plane (and only that
 * one: nothing crosses between planes), the BGP listener, and the local
 * control API.
 */

export interface DaemonOptions {
  readonly config: RouteDaemonConfig;
  /** Where to accept BGP connections; the config's listen address unless given. */
  readonly listen?: readonly ListenAddress[];
  /**
   * The daemon is coming back from a graceful restart (RFC 4724): OPENs carry
   * the R bit, and the F bit because the kernel kept forwarding meanwhile.
   */
  readonly restarting?: boolean;
  readonly log?: Logger;
}

const FAMILIES: readonly AddressFamily[] = ['ipv4-unicast', 'ipv6-unicast'];

export class RouteDaemon {
  readonly instances = new Map<Plane, PlaneInstance>();
  private readonly sessions = new Map<string, PeerSession>();
  /** Sessions by canonical peer address; a neighbor may have one session in each plane. */
  private readonly byAddress = new Map<string, PeerSession[]>();
  private readonly listener: BgpListener;
  private readonly log: Logger;

  private constructor(private readonly options: DaemonOptions) {
    this.log = options.log ?? createLogger('route-daemon');
    const { config } = options;
    for (const [plane, p] of config.planes) {
      this.instances.set(plane, createRoutingInstance({
        plane,
        localAsn: config.router.asn,
        pools: p.pools,
        authorizations: p.authorizations,
        bogons: p.bogons,
        stalePathSeconds: p.stalePathSeconds,
      }));
    }
    for (const peer of config.peers) this.addSession(peer);
    this.listener = new BgpListener({ sessionFor: (remote, local) => this.sessionFor(remote, local) }, this.log);
  }

  static async start(options: DaemonOptions): Promise<RouteDaemon> {
    const daemon = new RouteDaemon(options);
    try {
      await daemon.listener.listen(options.listen ?? [options.config.router.listen]);
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    for (const session of daemon.sessions.values()) session.start();
    daemon.log.info({ planes: [...daemon.instances.keys()], peers: daemon.sessions.size, restarting: options.restarting ?? false }, 'route daemon started');
    return daemon;
  }

  /** The port the BGP listener bound (tests listen on port 0). */
  get bgpPort(): number {
    return this.listener.port;
  }

  instance(plane: Plane): PlaneInstance {
    const instance = this.instances.get(plane);
    if (!instance) throw new UserError(`this node has no ${plane} plane`, { hint: `add a [plane ${plane}] section to ${this.options.config.file}` });
    return instance;
  }

  neighbor(name: string): NeighborStatus | undefined {
    return this.sessions.get(name)?.neighborStatus();
  }

  listNeighbors(): NeighborStatus[] {
    return [...this.sessions.values()].map((s) => s.neighborStatus());
  }

  requestRefresh(name: string): void {
    const session = this.sessions.get(name);
    if (!session) throw new UserError(`no peer named ${name}`, { hint: 'list them with: garagenet bgp neighbors' });
    if (!session.requestRefresh()) {
      throw new UserError(`peer ${name} cannot be asked for a route refresh now`, { hint: 'the session must be established and the peer must support route refresh' });
    }
  }

  /**
   * Adds a neighbor at run time (the node agent, as tunnels come and go) and
   * starts its session. `localAddressIpv6` is the next hop sent for IPv6
   * routes over an IPv4 session.
   */
  addPeer(peer: PeerConfig, options: { localAddressIpv6?: Address } = {}): void {
    if (this.sessions.has(peer.name)) throw new UserError(`peer ${peer.name} already exists`, { hint: 'remove it first' });
    this.addSession(peer, options).start();
  }

  /** Removes a neighbor at run time: its session ends and the routes learned from it are withdrawn. */
  removePeer(name: string): boolean {
    const session = this.sessions.get(name);
    if (!session) return false;
    session.stop();
    this.sessions.delete(name);
    const rest = (this.byAddress.get(session.address) ?? []).filter((s) => s !== session);
    if (rest.length > 0) this.byAddress.set(session.address, rest);
    else this.byAddress.delete(session.address);
    return true;
  }

  /**
   * Stops every session and the listeners. `graceful` (a planned restart)
   * closes the sessions without NOTIFICATION so that graceful-restart peers
   * keep our routes, and kernel routes are left in place.
   */
  async stop(options: { graceful?: boolean } = {}): Promise<void> {
    this.listener.close();
    for (const session of this.sessions.values()) session.stop({ graceful: options.graceful ?? false });
    this.log.info({ graceful: options.graceful ?? false }, 'route daemon stopped');
  }

  private addSession(peer: PeerConfig, options: { localAddressIpv6?: Address } = {}): PeerSession {
    const { config } = this.options;
    // The plane is the peer's own: its session talks to that instance and no other.
    const instance = this.instance(peer.plane);
    const local: LocalSpeaker = {
      asn: config.router.asn,
      routerId: config.router.routerId,
      holdTimeSeconds: peer.holdTimeSeconds,
      families: FAMILIES,
      ...(peer.gracefulRestart ? {
        gracefulRestart: { restartTimeSeconds: peer.restartTimeSeconds, restarting: this.options.restarting ?? false, forwardingPreserved: true },
      } : {}),
    };
    const session = new PeerSession({
      plane: peer.plane,
      settings: peer,
      instance,
      local,
      passive: peer.passive,
      port: peer.port,
      ...(peer.localAddress ? { localAddress: formatAddress(peer.localAddress) } : {}),
      ...(options.localAddressIpv6 ? { localAddressIpv6: options.localAddressIpv6 } : {}),
      connectRetrySeconds: peer.connectRetrySeconds,
      log: this.log,
    });
    this.sessions.set(peer.name, session);
    const key = formatAddress(peer.address);
    this.byAddress.set(key, [...(this.byAddress.get(key) ?? []), session]);
    return session;
  }

  /** The session an inbound connection belongs to: by the peer's address, and our address when it has one per plane. */
  private sessionFor(remote: string, local: string): { accept(socket: Socket): void } | undefined {
    const candidates = this.byAddress.get(remote) ?? [];
    if (candidates.length <= 1) return candidates[0];
    return candidates.find((s) => s.localAddress === local);
  }
}
