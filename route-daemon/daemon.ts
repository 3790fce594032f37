import type { Socket } from 'node:net';
import { Registry } from 'prom-client';
import { UserError } from '../common/errors.js';
import { createLogger, type Logger } from '../common/log.js';
import { formatAddress, type Address } from '../common/prefix.js';
import type { PeerConfig, RouteDaemonConfig } from './config/config.js';
import { createInstances } from './config/instances.js';
import type { NeighborSource, NeighborState } from './control/neighbors.js';
import { startControlServer, type ControlServer } from './control/server.js';
import type { ForwardingPlane } from './fib.js';
import { startMetricsServer } from './metrics-server.js';
import type { LocalSpeaker } from './peering/capabilities.js';
import { BgpListener, type ListenAddress } from './peering/listener.js';
import { registerSessionMetrics } from './peering/metrics.js';
import { RestartDeferral } from './peering/restart-deferral.js';
import { notifications } from './peering/errors.js';
import { PeerSession } from './peering/session.js';
import type { NeighborStatus } from './peering/status.js';
import type { RouteAuthorization } from './policy/origin-validation.js';
import { FibFeed } from './routing/fib-feed.js';
import type { AddressFamily, Plane } from './routing/instance.js';
import { registerRoutingMetrics } from './routing/metrics.js';
import type { PlaneInstance, PolicyEvent } from './routing/plane-instance.js';

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
  /** Control API address ("unix:/path" or "127.0.0.1:PORT"); the config's control socket unless given; false for none. */
  readonly control?: string | false;
  /**
   * The daemon is coming back from a graceful restart (RFC 4724): OPENs carry
   * the R bit, and the F bit because the kernel kept forwarding meanwhile.
   */
  readonly restarting?: boolean;
  /** The registry's route authorizations, on top of the file's static ones. */
  readonly authorizations?: readonly RouteAuthorization[];
  /** Every rejected route, ceased session and removed peer, and an experiment peer's accepted routes, for the experiment audit log. */
  readonly audit?: (event: PolicyEvent) => void;
  /** Prometheus metrics on GET /metrics at this loopback ADDRESS:PORT; none unless given. */
  readonly metrics?: string;
  /** The native plane that programs the kernel tables; without it the daemon routes but does not forward. */
  readonly forwarding?: ForwardingPlane;
  readonly log?: Logger;
}

const FAMILIES: readonly AddressFamily[] = ['ipv4-unicast', 'ipv6-unicast'];

export class RouteDaemon implements NeighborSource {
  readonly instances: ReadonlyMap<Plane, PlaneInstance>;
  private readonly sessions = new Map<string, PeerSession>();
  private readonly peers = new Map<string, PeerConfig>();
  /** Sessions by canonical peer address; a neighbor may have one session in each plane. */
  private readonly byAddress = new Map<string, PeerSession[]>();
  private readonly listener: BgpListener;
  private control: ControlServer | undefined;
  private readonly feeds: FibFeed[] = [];
  private metrics: { address: string; close(): Promise<void> } | undefined;
  private deferral: RestartDeferral | undefined;
  private deferralTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  private constructor(private readonly options: DaemonOptions) {
    this.log = options.log ?? createLogger('route-daemon');
    const { config } = options;
    this.instances = createInstances(config, {
      ...(options.authorizations ? { authorizations: options.authorizations } : {}),
      ...(options.audit ? { audit: options.audit } : {}),
    });
    for (const peer of config.peers) this.addSession(peer);
    this.listener = new BgpListener({ sessionFor: (remote, local) => this.sessionFor(remote, local) }, this.log);
  }

  static async start(options: DaemonOptions): Promise<RouteDaemon> {
    const daemon = new RouteDaemon(options);
    try {
      // Sessions first, the control socket last: a peer that connects as soon
      // as the port is open finds its session waiting, and whoever waits for
      // the control socket finds the daemon ready.
      daemon.startForwarding();
      for (const session of daemon.sessions.values()) session.start();
      await daemon.listener.listen(options.listen ?? [options.config.router.listen]);
      if (options.metrics) {
        const registry = new Registry();
        registerRoutingMetrics(registry, daemon.instances.values());
        registerSessionMetrics(registry, () => [...daemon.sessions.values()].map((s) => s.neighborStatus()));
        daemon.metrics = await startMetricsServer(registry, options.metrics);
      }
      const control = options.control ?? `unix:${options.config.router.controlSocket}`;
      if (control !== false) {
        daemon.control = await startControlServer({ instances: daemon.instances, neighbors: daemon, localAsn: options.config.router.asn, address: control });
      }
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    daemon.log.info({ planes: [...daemon.instances.keys()], peers: daemon.sessions.size, restarting: options.restarting ?? false }, 'route daemon started');
    return daemon;
  }

  /** Connections refused because they came from no configured peer's address (a removed peer trying again, a stranger). */
  get refusedConnections(): number {
    return this.listener.refused;
  }

  /** The port the BGP listener bound (tests listen on port 0). */
  get bgpPort(): number {
    return this.listener.port;
  }

  /** Where the metrics are served, if asked for. */
  get metricsAddress(): string | undefined {
    return this.metrics?.address;
  }

  /** Where the control API listens, if it was started. */
  get controlAddress(): string | undefined {
    return this.control?.address;
  }

  instance(plane: Plane): PlaneInstance {
    const instance = this.instances.get(plane);
    if (!instance) throw new UserError(`this node has no ${plane} plane`, { hint: `add a [plane ${plane}] section to ${this.options.config.file}` });
    return instance;
  }

  neighbor(name: string): NeighborStatus | undefined {
    return this.sessions.get(name)?.neighborStatus();
  }

  listNeighbors(): NeighborState[] {
    return [...this.sessions.values()].map((session) => {
      const n = session.neighborStatus();
      return { ...n, state: n.state.toLowerCase(), ...(n.lastError ? { lastError: { text: `${n.lastError.direction}: ${n.lastError.text}` } } : {}) };
    });
  }

  requestRefresh(name: string): void {
    const session = this.sessions.get(name);
    if (!session) throw new UserError(`no peer named ${name}`, { hint: 'list them with: garagenet bgp neighbors' });
    if (!session.requestRefresh()) {
      throw new UserError(`peer ${name} cannot be asked for a route refresh now`, { hint: 'the session must be established and the peer must support route refresh' });
    }
  }

  /**
   * Adds a peer to the running daemon (an experiment's router being attached),
   * with the same checks the configuration file gets, and starts its session.
   * `localAddressIpv6` is the next hop sent for IPv6 routes over an IPv4
   * session (the node agent's loopback-to-loopback sessions).
   */
  addPeer(peer: PeerConfig, options: { localAddressIpv6?: Address } = {}): void {
    if (this.sessions.has(peer.name)) throw new UserError(`peer ${peer.name} already exists`, { hint: 'remove it first, or choose another name' });
    this.instance(peer.plane);
    const twin = [...this.peers.values()].find((p) => p.plane === peer.plane && formatAddress(p.address) === formatAddress(peer.address));
    if (twin) {
      throw new UserError(`address ${formatAddress(peer.address)} is already used by peer ${twin.name} in plane ${peer.plane}`, { hint: 'one session per neighbor address and plane' });
    }
    this.addSession(peer, options).start();
    this.log.info({ peer: peer.name, plane: peer.plane, ...(peer.experiment !== undefined ? { experiment: peer.experiment } : {}) }, 'peer added');
  }

  /**
   * Removes a peer at once (the control-plane kill switch of an experiment):
   * its session ends with CEASE "peer de-configured", every route it sent
   * leaves the instance's RIB (and with it every other peer and the kernel),
   * and connections from its address are refused from now on.
   */
  removePeer(name: string): void {
    const session = this.sessions.get(name);
    const peer = this.peers.get(name);
    if (!session || !peer) throw new UserError(`no peer named ${name}`, { hint: 'list them with: garagenet bgp neighbors' });
    const instance = this.instance(peer.plane);
    const routes = instance.peerCounters(name)?.accepted ?? 0;
    session.stop({ notification: notifications.peerDeconfigured() });
    // Not waiting for the FSM: whatever state the session was in, nothing of the peer stays.
    instance.peerDown(name);
    this.sessions.delete(name);
    this.peers.delete(name);
    const key = formatAddress(peer.address);
    const rest = (this.byAddress.get(key) ?? []).filter((s) => s !== session);
    if (rest.length > 0) this.byAddress.set(key, rest);
    else this.byAddress.delete(key);
    this.options.audit?.({
      plane: peer.plane, peer: name, prefix: '', direction: 'import', check: 'removed', reason: `peer removed, its ${routes} routes withdrawn`,
      ...(peer.experiment !== undefined ? { experiment: peer.experiment } : {}),
    });
    this.log.warn({ peer: name, plane: peer.plane, routes }, 'peer removed');
  }

  /**
   * Stops every session and the listeners. `graceful` (a planned restart)
   * closes the sessions without NOTIFICATION so that graceful-restart peers
   * keep our routes, and kernel routes are left in place.
   */
  async stop(options: { graceful?: boolean } = {}): Promise<void> {
    this.listener.close();
    if (this.deferralTimer) clearTimeout(this.deferralTimer);
    // Graceful: the kernel keeps forwarding on the current routes while we are away.
    if (options.graceful) for (const feed of this.feeds) feed.stop();
    for (const session of this.sessions.values()) session.stop({ graceful: options.graceful ?? false });
    if (!options.graceful) {
      await Promise.all(this.feeds.map((feed) => feed.idle()));
      for (const feed of this.feeds) feed.stop();
    }
    // Restart and damping timers would otherwise keep a stopped daemon's process alive.
    for (const instance of this.instances.values()) instance.close();
    await this.control?.close();
    this.control = undefined;
    await this.metrics?.close();
    this.metrics = undefined;
    this.log.info({ graceful: options.graceful ?? false }, 'route daemon stopped');
  }

  /**
   * Feeds each plane's best routes to the native plane. After our own
   * graceful restart the first feed waits (RFC 4724 selection deferral) until
   * every graceful-restart peer has re-sent its table, or its restart time is over.
   */
  private startForwarding(): void {
    const forwarding = this.options.forwarding;
    if (!forwarding) return;
    for (const instance of this.instances.values()) this.feeds.push(new FibFeed(instance, { forwarding }));
    const restartPeers = this.options.config.peers.filter((p) => p.gracefulRestart);
    if (!this.options.restarting || restartPeers.length === 0) return this.releaseForwarding('not restarting');
    this.deferral = new RestartDeferral(restartPeers.map((p) => p.name));
    const seconds = Math.max(...restartPeers.map((p) => p.restartTimeSeconds));
    this.deferralTimer = setTimeout(() => this.releaseForwarding('deferral time over'), seconds * 1000);
    this.log.info({ peers: restartPeers.length, seconds }, 'restarting: kernel routes stay as they are until the peers have re-sent their tables');
  }

  private releaseForwarding(reason: string): void {
    if (this.deferralTimer) clearTimeout(this.deferralTimer);
    this.deferralTimer = undefined;
    this.deferral = undefined;
    this.log.info({ reason }, 'programming the forwarding plane');
    for (const feed of this.feeds) void feed.start();
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
      observer: {
        established: (name, families) => {
          if (this.deferral?.sessionUp(name, families)) this.releaseForwarding('every peer re-sent its table');
        },
        endOfRib: (name, family) => {
          if (this.deferral?.endOfRib(name, family)) this.releaseForwarding('every peer re-sent its table');
        },
      },
    });
    this.sessions.set(peer.name, session);
    this.peers.set(peer.name, peer);
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
