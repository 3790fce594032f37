import { Registry } from 'prom-client';
import { registerTunnelMetrics } from '../metrics/tunnel-metrics.js';
import { startMetricsServer } from '../../route-daemon/metrics-server.js';
import type { TunnelHealth } from './health.js';
import type { LinkProber } from './link-prober.js';
import type { Tunnels } from './tunnels.js';

/**
 * The agent's Prometheus endpoint (loopback only): tunnels, handshake age,
 * bytes, probe latency and loss, BFD sessions (node/metrics) and reconcile errors. The route daemon
 * serves its own (sessions, routes per plane) on the next port.
 */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9464';

export interface AgentMetrics {
  reconcileError(peer: string): void;
  close(): Promise<void>;
}

export async function startAgentMetrics(address: string, sources: { tunnels: Tunnels; health: TunnelHealth; links: LinkProber }): Promise<AgentMetrics> {
  const registry = new Registry();
  const { reconcileErrors } = registerTunnelMetrics(registry, {
    tunnels: async () =>
      Promise.all(sources.tunnels.peers().map(async (peer) => ({
        peer,
        interfaceName: sources.tunnels.interfaceOf(peer) ?? '',
        wireguard: (await sources.tunnels.dump(peer).catch(() => undefined))?.peers[0] ?? null,
      }))),
    bfd: () => sources.health.metricsView(),
    linkQuality: (peer) => sources.links.quality(peer),
  });
  const server = await startMetricsServer(registry, address);
  return {
    reconcileError: (peer) => reconcileErrors.inc({ peer }),
    close: () => server.close(),
  };
}

/** The route daemon's metrics address: the agent's port plus one. */
export function routeDaemonMetricsAddress(address: string): string {
  return address.replace(/:(\d+)$/, (_, port: string) => `:${Number(port) + 1}`);
}
