import { rm } from 'node:fs/promises';
import { oneLine } from '../../common/errors.js';
import { createLogger, type Logger } from '../../common/log.js';
import { Rtnetlink } from '../../native/rtnetlink.js';
import { RegistryClient } from '../../registry/client.js';
import type { Node, WatchResponse } from '../../registry/model.js';
import { setUpBasePlane, tearDownBasePlane } from './base-plane.js';
import { startControlSocket, type ControlSocket } from './control-socket.js';
import { startAgentApi, type AgentApi } from './api/start.js';
import { LinkProber } from './link-prober.js';
import { EndpointReporter } from './endpoint.js';
import { TunnelHealth } from './health.js';
import { applyWatch, diffPeers, type PeerDelta } from './mesh-view.js';
import { planTunnel, type SelfAddresses } from './peer-plan.js';
import { DEFAULT_METRICS_ADDRESS, routeDaemonMetricsAddress, startAgentMetrics, type AgentMetrics } from './metrics.js';
import { rotateKey } from './rotate-key.js';
import { PLANE_TABLES, Routing } from './routing.js';
import { Attachments } from '../experiments/attachments.js';
import { experimentRequest } from '../experiments/requests.js';
import { isolationConfig } from './base-plane.js';
import {
  loadCredential, loadIdentity, loadMeshCache, saveMeshCache, type Identity, type MeshCache, type StatePaths,
} from '../state/layout.js';
import type { NodeStatus, PeerStatus } from './status.js';
import { Tunnels } from './tunnels.js';
import { writeFileAtomic } from '../system/atomic-file.js';

/**
 * The node agent: brings the node up from its state directory (so it works
 * with the registry away), then follows the registry's watch stream and
 * applies each peer's change to that peer's tunnel, sessions and BFD only.
 */

const WATCH_RETRY_MS = [500, 1000, 2000, 5000, 10_000];
const KEEPALIVE_MS = 10_000;
const PRESENCE_TTL_SECONDS = 30;
const RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];

export function selfAddresses(identity: Identity): SelfAddresses {
  const n = identity.node;
  return {
    name: n.name, asn: n.asn, slot: n.slot, interfaceTag: identity.interfaceTag, basePort: identity.basePort,
    productionLoopbackV4: n.productionLoopbackV4, productionLoopbackV6: n.productionLoopbackV6,
    experimentalLoopbackV4: n.experimentalLoopbackV4, experimentalLoopbackV6: n.experimentalLoopbackV6,
  };
}

export class Agent {
  private readonly log: Logger;
  private readonly self: SelfAddresses;
  private cache: MeshCache;
  private readonly peers = new Map<string, Node>();
  /** Failed attempts so far, by peer, while a retry is pending. */
  private readonly retries = new Map<string, number>();
  private readonly rt: Rtnetlink;
  private tunnels!: Tunnels;
  private routing: Routing | undefined;
  private health: TunnelHealth | undefined;
  private control: ControlSocket | undefined;
  private api: AgentApi | undefined;
  private metrics: AgentMetrics | undefined;
  private links: LinkProber | undefined;
  private client: RegistryClient | undefined;
  private watch: { cancel(): void } | undefined;
  private endpointReporter: EndpointReporter | undefined;
  private watchFailures = 0;
  private connected = false;
  private lastError: string | null = null;
  private timers: NodeJS.Timeout[] = [];
  /** Reconciliation steps run one after another, in stream order. */
  private queue: Promise<void> = Promise.resolve();
  private stopping = false;
  private experiments!: Attachments;
  private readonly startedAt = Date.now();

  private constructor(readonly paths: StatePaths, readonly identity: Identity) {
    this.log = createLogger('agent').child({ node: identity.node.name });
    this.self = selfAddresses(identity);
    this.cache = loadMeshCache(paths);
    this.rt = Rtnetlink.open();
  }

  /** Loads the state directory (throwing one clear error if it is broken) and brings the node up. */
  static async start(paths: StatePaths, options: { onStop?: () => void } = {}): Promise<Agent> {
    const identity = loadIdentity(paths);
    const credential = loadCredential(paths);
    const agent = new Agent(paths, identity);
    try {
      await agent.bringUp(credential, options.onStop);
    } catch (err) {
      await agent.stop({ keepDataPlane: false }).catch(() => undefined);
      throw err;
    }
    return agent;
  }

  private async bringUp(credential: string, onStop: (() => void) | undefined): Promise<void> {
    await setUpBasePlane(this.identity, this.rt);
    this.tunnels = await Tunnels.open(this.paths.dir, this.paths.privateKey, this.log);
    const metricsAddress = this.identity.metrics ?? DEFAULT_METRICS_ADDRESS;
    this.experiments = new Attachments({
      registry: () => this.registry,
      daemon: () => this.routing!.daemon,
      node: { name: this.identity.node.name, asn: this.identity.node.asn },
      experimentalTable: PLANE_TABLES.experimental,
      rt: this.rt,
      isolation: (attachments, killed) => isolationConfig(this.identity, attachments, killed),
      stateDir: this.paths.dir,
      log: this.log,
    });
    this.routing = await Routing.start({
      identity: this.identity, self: this.self, authorizations: this.cache.authorizations, rt: this.rt, stateDir: this.paths.dir, log: this.log,
      metrics: routeDaemonMetricsAddress(metricsAddress),
      audit: (event) => this.experiments.audit(event),
    });
    this.health = new TunnelHealth(this.self.productionLoopbackV4, (peer) => this.onTunnelDown(peer), (peer) => this.onTunnelUp(peer), this.log);
    const links = new LinkProber(this.self.productionLoopbackV4, () => this.peerList().map((p) => ({ name: p.name, loopback: p.productionLoopbackV4 })));
    this.links = links;
    // Metrics are an aid, not a reason to stay down: a taken port is logged.
    this.metrics = await startAgentMetrics(metricsAddress, { tunnels: this.tunnels, health: this.health, links }).catch((err: unknown) => {
      this.log.warn({ address: metricsAddress, err: oneLine(err) }, 'metrics not served');
      return undefined;
    });
    // The last known mesh first: the data plane does not wait for the registry.
    await this.applyDeltas(diffPeers([], this.cache.peers));
    await this.tunnels.removeStrays(`gn${this.identity.interfaceTag}`);
    this.control = await startControlSocket(this.paths.socket, {
      status: () => this.status(),
      rotateKey: () => rotateKey(this),
      stop: () => onStop?.(),
      experiment: (verb, params) => this.serialize(() => experimentRequest(this.experiments, verb, params)),
    });
    links.start();
    this.api = await startAgentApi({
      stateDir: this.paths.dir, identity: this.identity, daemon: this.routing.daemon, rt: this.rt, log: this.log, links,
      peers: () => this.peerList(), status: () => this.status(),
    });
    this.client = new RegistryClient(this.identity.registry.address, { certPem: this.identity.registry.certPem, credential, timeoutMs: 5000 });
    await this.serialize(() => this.experiments.restore());
    this.startWatch();
    this.endpointReporter = await EndpointReporter.start({
      registered: this.identity.node.endpoints[0], port: this.identity.basePort, log: this.log,
      report: (endpoints) => this.registry.updateEndpoints(endpoints),
      addressMoved: () => this.reconnectRegistry(credential),
    });
    this.keepAlive();
    this.timers.push(setInterval(() => this.keepAlive(), KEEPALIVE_MS));
    this.timers.push(setInterval(() => {
      void this.serialize(() => this.experiments.checkExpiry()).catch((err: unknown) => this.log.warn({ err: oneLine(err) }, 'experiment expiry check failed'));
    }, KEEPALIVE_MS));
    await writeFileAtomic(this.paths.pid, `${process.pid}\n`);
    this.log.info({ peers: this.peers.size }, 'node up');
  }

  get registry(): RegistryClient {
    if (!this.client) throw new Error('agent not started');
    return this.client;
  }

  get tunnelSet(): Tunnels {
    return this.tunnels;
  }

  peerList(): Node[] {
    return [...this.peers.values()];
  }

  /** Runs `step` after every reconciliation step queued before it. */
  serialize<T>(step: () => Promise<T>): Promise<T> {
    const result = this.queue.then(step);
    this.queue = result.then(() => undefined, () => undefined);
    return result;
  }

  /**
   * Our outgoing address moved: the registry connection still sits on the old
   * source address and would only time out, so it is opened afresh, watch too.
   */
  private reconnectRegistry(credential: string): void {
    if (this.stopping || !this.client) return;
    this.client.close();
    this.client = new RegistryClient(this.identity.registry.address, { certPem: this.identity.registry.certPem, credential, timeoutMs: 5000 });
    this.startWatch();
  }

  private startWatch(): void {
    if (this.stopping || !this.client) return;
    // A retry pending from a failed watch and a reconnect must not leave two streams.
    this.watch?.cancel();
    this.watch = this.client.watch(
      this.cache.revision,
      (response) => {
        this.connected = true;
        this.watchFailures = 0;
        this.lastError = null;
        void this.serialize(() => this.onWatch(response));
      },
      (err) => {
        this.connected = false;
        this.lastError = err ? err.details : 'stream ended';
        if (this.stopping) return;
        const delay = WATCH_RETRY_MS[Math.min(this.watchFailures++, WATCH_RETRY_MS.length - 1)]!;
        this.log.warn({ err: this.lastError, retryMs: delay }, 'registry watch lost; the data plane stays as it is');
        this.timers.push(setTimeout(() => this.startWatch(), delay));
      },
    );
  }

  private keepAlive(): void {
    this.client?.keepAlive(PRESENCE_TTL_SECONDS).catch((err) => this.log.debug({ err: oneLine(err) }, 'keepalive failed'));
  }

  private async onWatch(response: WatchResponse): Promise<void> {
    if (this.stopping) return;
    const outcome = applyWatch(this.cache, response, this.identity.node.name);
    this.cache = outcome.cache;
    if (outcome.removedSelf) this.log.error('this node was removed from the registry; run `garagenet leave --local` to clean up');
    if (outcome.authorizationsChanged) this.routing?.updateAuthorizations(outcome.cache.authorizations);
    for (const change of response.changes) {
      const experiment = change.experiment;
      if (!experiment) continue;
      await this.experiments.onRegistry(experiment).catch((err: unknown) => this.log.error({ experiment: experiment.name, err: oneLine(err) }, 'cannot stop the experiment'));
    }
    await this.applyDeltas(outcome.deltas);
    await saveMeshCache(this.paths, this.cache).catch((err) => this.log.error({ err: oneLine(err) }, 'cannot save the mesh state'));
  }

  private async applyDeltas(deltas: readonly PeerDelta[]): Promise<void> {
    for (const delta of deltas) {
      const log = this.log.child({ peer: delta.peer.name });
      try {
        if (delta.kind === 'added') await this.addPeer(delta.peer);
        else if (delta.kind === 'removed') await this.removePeer(delta.peer);
        else {
          this.peers.set(delta.peer.name, delta.peer);
          await this.tunnels.set(planTunnel(this.self, delta.peer));
        }
        log.info({ change: delta.kind }, 'peer applied');
      } catch (err) {
        this.metrics?.reconcileError(delta.peer.name);
        log.error({ change: delta.kind, err: oneLine(err) }, 'cannot apply a peer change; will try again');
        this.retryLater(delta.peer.name);
      }
    }
  }

  /**
   * A peer whose change failed (a busy machine, a wireguard-go that did not
   * start) is brought to the wanted state again later, with backoff, until
   * it works or the peer is gone. Only that peer is touched.
   */
  private retryLater(name: string): void {
    const attempt = (this.retries.get(name) ?? 0) + 1;
    this.retries.set(name, attempt);
    const delay = RETRY_MS[Math.min(attempt - 1, RETRY_MS.length - 1)]!;
    this.timers.push(setTimeout(() => {
      void this.serialize(async () => {
        if (this.stopping) return;
        const peer = this.peers.get(name);
        if (!peer) {
          this.retries.delete(name);
          return this.tunnels.remove(name);
        }
        await this.addPeer(peer);
        this.retries.delete(name);
        this.log.info({ peer: name, attempt }, 'peer change applied on retry');
      }).catch((err: unknown) => {
        this.metrics?.reconcileError(name);
        this.log.error({ peer: name, attempt, err: oneLine(err) }, 'retry failed');
        this.retryLater(name);
      });
    }, delay));
  }

  private async addPeer(peer: Node): Promise<void> {
    this.peers.set(peer.name, peer);
    await this.tunnels.set(planTunnel(this.self, peer));
    this.routing?.addPeer(peer);
    await this.health?.add(peer.name, peer.productionLoopbackV4);
  }

  private async removePeer(peer: Node): Promise<void> {
    this.peers.delete(peer.name);
    await this.health?.remove(peer.productionLoopbackV4);
    this.routing?.removePeer(peer.name);
    await this.tunnels.remove(peer.name);
  }

  /**
   * Only sessions still Established are torn down: a session that closed
   * already (the peer's agent restarting gracefully) keeps its routes as
   * stale under graceful restart, and the kernel keeps forwarding on them.
   */
  private onTunnelDown(name: string): void {
    if (!this.peers.has(name) || !this.routing) return;
    this.tunnels.setHealthy(name, false).catch((err: unknown) => this.log.error({ peer: name, err: oneLine(err) }, 'cannot move the host routes off the failed tunnel'));
    // Held down until BFD sees the tunnel again: a session retrying meanwhile comes back before the data path and flaps.
    this.routing.removeSessions(name, (state) => state === 'Established');
  }

  /**
   * The tunnel is back: sessions waiting to connect try now rather than at
   * their next retry; sessions up or in the middle of their OPEN exchange are left alone.
   */
  private onTunnelUp(name: string): void {
    if (!this.peers.has(name) || !this.routing) return;
    // Host routes first: the kernel resolves the peer's BGP next hops through them.
    void this.tunnels.setHealthy(name, true)
      .catch((err: unknown) => this.log.error({ peer: name, err: oneLine(err) }, 'cannot put the host routes back on the tunnel'))
      .then(() => {
        const current = this.peers.get(name);
        if (!this.stopping && current) this.routing?.resetSessions(current, (state) => state === 'Idle' || state === 'Connect' || state === 'Active');
      });
  }

  /** Latency is the median of the link prober's recent echoes (null until one is answered): status never waits for a ping. */
  async status(): Promise<NodeStatus> {
    const bfd = this.health?.status() ?? new Map();
    const now = Date.now() / 1000;
    const peers = await Promise.all(
      [...this.peers.values()].map(async (peer): Promise<PeerStatus> => {
        const dump = await this.tunnels.dump(peer.name).catch(() => undefined);
        const wg = dump?.peers[0];
        return {
          name: peer.name,
          asn: peer.asn,
          interface: this.tunnels.interfaceOf(peer.name) ?? '',
          loopback: peer.productionLoopbackV4,
          endpoint: wg?.endpoint ?? null,
          handshakeAgeSeconds: wg?.latestHandshake ? Math.round(now - wg.latestHandshake) : null,
          rxBytes: wg?.rxBytes ?? 0,
          txBytes: wg?.txBytes ?? 0,
          latencyMs: this.links?.quality(peer.name).latencyMs ?? null,
          bfd: bfd.get(peer.name)?.state ?? 'none',
          bgp: {
            production: this.routing?.neighbor(peer.name, 'production')?.state ?? 'none',
            experimental: this.routing?.neighbor(peer.name, 'experimental')?.state ?? 'none',
          },
        };
      }),
    );
    const n = this.identity.node;
    return {
      node: n.name,
      mesh: this.identity.mesh.name,
      asn: n.asn,
      loopbacks: { production: [n.productionLoopbackV4, n.productionLoopbackV6], experimental: [n.experimentalLoopbackV4, n.experimentalLoopbackV6] },
      allocations: this.identity.allocations.filter((a) => a.purpose === 'garage').map((a) => a.prefix),
      registry: { address: this.identity.registry.address, connected: this.connected, revision: this.cache.revision, lastError: this.lastError },
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      peers: peers.sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  /**
   * `keepDataPlane`: the agent exits but tunnels and kernel routes stay (a
   * restart or upgrade); otherwise everything the node made is removed (`down`).
   */
  async stop(options: { keepDataPlane: boolean }): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.watch?.cancel();
    await this.endpointReporter?.close();
    await this.queue;
    await this.control?.close();
    await this.api?.close();
    await this.links?.close();
    if (!options.keepDataPlane) await this.experiments?.stopAll();
    await this.metrics?.close();
    await this.health?.close();
    await this.routing?.stop({ graceful: options.keepDataPlane });
    if (!options.keepDataPlane) {
      // Undefined when the start failed before the tunnels: `?.` is for that case.
      await this.tunnels?.removeAll();
      await tearDownBasePlane(this.identity, this.rt);
    }
    this.client?.close();
    this.rt.close();
    await rm(this.paths.pid, { force: true });
    this.log.info({ keepDataPlane: options.keepDataPlane }, 'agent stopped');
  }
}
