import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { formatAddress, formatPrefix } from '../../../common/prefix.js';
import type { InstalledRoute } from '../../../native/rtnetlink.js';
import type { Mesh, Node } from '../../../registry/model.js';
import type { RouteQueries } from '../../../route-daemon/routing/queries.js';
import { PLANES, type Plane } from '../../../route-daemon/routing/instance.js';
import type { NodeStatus } from '../status.js';
import { invalidArgument } from './api-error.js';
import type { LinkQuality } from '../link-window.js';
import { tunnelState } from '../link-window.js';
import type {
  CompareRibFibResponseMessage, ListTunnelsResponseMessage, PingResponseMessage, TracerouteResponseMessage, TunnelMessage,
} from './messages.js';
import { boundedCount, DEFAULT_HOPS, DEFAULT_PING_COUNT, MAX_HOPS, MAX_PING_COUNT, probeTarget, type ProbeSources } from './probe-target.js';
import type { Prober } from './probes.js';
import { compareRibFib, type RibEntry } from './rib-fib.js';

/**
 * What each call of the agent API answers, from what the running agent
 * already has: its status (tunnels, BFD), its link probes, its route
 * daemon's queries and the kernel tables. Nothing here changes the node.
 */

export interface AgentApiSources {
  readonly node: string;
  readonly mesh: Pick<Mesh, 'productionV4' | 'productionV6' | 'experimentalV4' | 'experimentalV6'>;
  readonly probeSources: ProbeSources;
  /** This node's own addresses (loopbacks, LAN gateways), to name it in a trace. */
  readonly ownAddresses: readonly string[];
  readonly tables: Readonly<Record<Plane, number>>;
  /** The route daemon's owner tag on kernel routes. */
  readonly routeDaemonProtocol: number;
  peers(): readonly Node[];
  status(): Promise<NodeStatus>;
  linkQuality(peer: string): LinkQuality;
  routes(plane: Plane): RouteQueries;
  kernelRoutes(table: number): Promise<InstalledRoute[]>;
}

const DEFAULT_DIFFERENCES = 500;
const MAX_DIFFERENCES = 5000;
/** Routes read per page from the daemon; the event loop gets a turn between pages. */
const RIB_PAGE = 5000;

export class AgentApiService {
  constructor(private readonly sources: AgentApiSources, private readonly prober: Prober) {}

  async listTunnels(): Promise<ListTunnelsResponseMessage> {
    const status = await this.sources.status();
    const now = Math.floor(Date.now() / 1000);
    const tunnels = status.peers.map((p): TunnelMessage => {
      const quality = this.sources.linkQuality(p.name);
      const state = tunnelState(p.bfd, p.handshakeAgeSeconds);
      return {
        peer: p.name,
        state,
        bfd: p.bfd,
        lastHandshakeUnix: p.handshakeAgeSeconds === null ? 0 : now - p.handshakeAgeSeconds,
        rxBytes: p.rxBytes,
        txBytes: p.txBytes,
        hasLatency: quality.latencyMs !== undefined,
        latencyMs: quality.latencyMs ?? 0,
        loss: quality.loss,
        probes: quality.probes,
      };
    });
    return { node: this.sources.node, tunnels };
  }

  async ping(request: { target: string; count: number }): Promise<PingResponseMessage> {
    const to = probeTarget(request.target, this.sources.mesh, this.sources.probeSources);
    const count = boundedCount('count', request.count, { default: DEFAULT_PING_COUNT, max: MAX_PING_COUNT });
    const result = await this.prober.ping(to, count);
    return { plane: to.plane, source: to.source, sent: result.sent, received: result.received, rttMs: result.rttMs };
  }

  async traceroute(request: { target: string; maxHops: number }): Promise<TracerouteResponseMessage> {
    const to = probeTarget(request.target, this.sources.mesh, this.sources.probeSources);
    const maxHops = boundedCount('max_hops', request.maxHops, { default: DEFAULT_HOPS, max: MAX_HOPS });
    const result = await this.prober.traceroute(to, maxHops);
    const names = this.loopbackNames();
    return {
      plane: to.plane,
      source: to.source,
      reached: result.reached,
      hops: result.hops.map((h) => ({
        ttl: h.ttl,
        address: h.address ?? '',
        node: (h.address && names.get(h.address)) ?? '',
        hasRtt: h.rttMs !== undefined,
        rttMs: h.rttMs ?? 0,
      })),
    };
  }

  async compareRibFib(request: { plane: string; maxDifferences: number }): Promise<CompareRibFibResponseMessage> {
    if (!(PLANES as readonly string[]).includes(request.plane)) {
      throw invalidArgument(`"plane" ${JSON.stringify(request.plane.slice(0, 32))} is not a plane`, `use ${PLANES.join(' or ')}`);
    }
    const plane = request.plane as Plane;
    const max = boundedCount('max_differences', request.maxDifferences, { default: DEFAULT_DIFFERENCES, max: MAX_DIFFERENCES });
    const table = this.sources.tables[plane];
    const checkedAt = new Date().toISOString();
    const rib = await this.bestRoutes(this.sources.routes(plane));
    const kernel = (await this.sources.kernelRoutes(table)).filter((r) => r.protocol === this.sources.routeDaemonProtocol);
    const result = compareRibFib(rib, kernel, { maxDifferences: max });
    return {
      plane, table, checkedAt,
      ribRoutes: result.ribRoutes,
      kernelRoutes: result.kernelRoutes,
      agreed: result.agreed,
      missingInKernelCount: result.counts.missingInKernel,
      extraInKernelCount: result.counts.extraInKernel,
      nextHopMismatchCount: result.counts.nextHopMismatch,
      missingInKernel: result.missingInKernel,
      extraInKernel: result.extraInKernel,
      nextHopMismatch: result.nextHopMismatch,
    };
  }

  /** The best routes the daemon puts into the kernel: learned ones (our own prefixes are the agent's to route). */
  private async bestRoutes(queries: RouteQueries): Promise<RibEntry[]> {
    const out: RibEntry[] = [];
    let after: string | undefined;
    do {
      const page = queries.listRoutes({ limit: RIB_PAGE, ...(after === undefined ? {} : { after }) });
      for (const route of page.routes) {
        const best = route.paths.find((p) => p.best);
        if (!best || best.peer === 'local') continue;
        out.push({ prefix: formatPrefix(route.prefix), nextHop: formatAddress(best.attributes.nextHop) });
      }
      after = page.next;
      if (after !== undefined) await yieldToLoop();
    } while (after !== undefined);
    return out;
  }

  /** Every loopback of this node and its peers, by address. */
  private loopbackNames(): Map<string, string> {
    const names = new Map<string, string>();
    for (const a of this.sources.ownAddresses) names.set(a, this.sources.node);
    for (const p of this.sources.peers()) {
      for (const a of [p.productionLoopbackV4, p.productionLoopbackV6, p.experimentalLoopbackV4, p.experimentalLoopbackV6]) names.set(a, p.name);
    }
    return names;
  }
}
