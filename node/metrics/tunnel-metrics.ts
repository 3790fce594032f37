import { Counter, Gauge, type Registry } from 'prom-client';
import type { BfdPeerStatus } from '../bfd/transport.js';
import type { LinkQuality } from '../agent/link-window.js';
import type { WireguardPeerInfo } from '../wireguard/dump.js';

/** One tunnel as the agent sees it at scrape time: which peer, which interface, and what `wg show dump` says. */
export interface TunnelSample {
  peer: string;
  interfaceName: string;
  wireguard: WireguardPeerInfo | null;
}

export interface TunnelMetricsSources {
  tunnels(): Promise<TunnelSample[]>;
  bfd(): { sessions: Array<BfdPeerStatus & { tunnelPeer: string }>; droppedPackets: number };
  /** The agent's echo probes to the peer's loopback through the tunnel (node/agent/link-prober.ts). */
  linkQuality(peer: string): LinkQuality;
  /** Seconds since the epoch (injected so that ages are testable). */
  now?: () => number;
}

/**
 * WireGuard keeps a session for 180 s after a handshake and re-handshakes
 * every 120 s while traffic flows: no handshake for longer than this means
 * the tunnel is not carrying anything.
 */
export const HANDSHAKE_STALE_SECONDS = 180;

const BFD_STATE_VALUE: Record<BfdPeerStatus['state'], number> = { AdminDown: 0, Down: 1, Init: 2, Up: 3 };

/**
 * Registers the tunnel and BFD metrics. Values are read from the sources at
 * scrape time (collect), so the agent keeps no second copy of the state.
 * The metrics of one scrape share one reading of the tunnels (prom-client
 * collects them concurrently). The reconcile error counter is returned for
 * the reconciler to increment.
 */
export function registerTunnelMetrics(registry: Registry, sources: TunnelMetricsSources): { reconcileErrors: Counter<'peer'> } {
  const now = sources.now ?? ((): number => Date.now() / 1000);
  // prom-client starts every metric's collect in one synchronous pass: they share the reading in flight.
  let reading: Promise<TunnelSample[]> | null = null;
  const samples = (): Promise<TunnelSample[]> => {
    if (reading === null) {
      reading = sources.tunnels();
      const clear = (): void => {
        reading = null;
      };
      reading.then(clear, clear);
    }
    return reading;
  };
  const labelsOf = (s: TunnelSample): { peer: string; interface: string } => ({ peer: s.peer, interface: s.interfaceName });
  const handshakeAge = (s: TunnelSample): number | null => {
    const handshake = s.wireguard?.latestHandshake ?? null;
    return handshake === null ? null : Math.max(0, now() - handshake);
  };

  new Gauge({
    name: 'garagenet_tunnels',
    help: 'Tunnels configured on this node',
    registers: [registry],
    async collect(): Promise<void> {
      this.set((await samples()).length);
    },
  });
  /** A gauge with one series per tunnel; `valueOf` null leaves the tunnel's series out of this scrape. */
  const tunnelGauge = (name: string, help: string, valueOf: (s: TunnelSample) => number | null): void => {
    new Gauge({
      name,
      help,
      labelNames: ['peer', 'interface'],
      registers: [registry],
      async collect(): Promise<void> {
        this.reset();
        for (const s of await samples()) {
          const value = valueOf(s);
          if (value !== null) this.set(labelsOf(s), value);
        }
      },
    });
  };
  tunnelGauge('garagenet_tunnel_up', `1 if the tunnel completed a handshake in the last ${HANDSHAKE_STALE_SECONDS} s`, (s) => {
    const age = handshakeAge(s);
    return age !== null && age <= HANDSHAKE_STALE_SECONDS ? 1 : 0;
  });
  tunnelGauge('garagenet_tunnel_handshake_age_seconds', 'Seconds since the latest handshake (absent before the first)', handshakeAge);
  // WireGuard's own byte counters, mirrored: they restart from zero when an interface is recreated.
  for (const [name, field, what] of [
    ['garagenet_tunnel_received_bytes_total', 'rxBytes', 'received'],
    ['garagenet_tunnel_sent_bytes_total', 'txBytes', 'sent'],
  ] as const) {
    new Counter({
      name,
      help: `Bytes ${what} over the tunnel (WireGuard transfer)`,
      labelNames: ['peer', 'interface'],
      registers: [registry],
      async collect(): Promise<void> {
        this.reset();
        for (const s of await samples()) this.inc(labelsOf(s), s.wireguard?.[field] ?? 0);
      },
    });
  }
  tunnelGauge(
    'garagenet_tunnel_probe_latency_seconds',
    "Median round trip of the agent's last echo probes to the peer's loopback (absent while none was answered)",
    (s) => {
      const { latencyMs } = sources.linkQuality(s.peer);
      return latencyMs === undefined ? null : latencyMs / 1000;
    },
  );
  tunnelGauge(
    'garagenet_tunnel_probe_loss_ratio',
    "Share of the agent's last echo probes to the peer's loopback that went unanswered (0..1)",
    (s) => sources.linkQuality(s.peer).loss,
  );
  /** A gauge with one series per BFD session. */
  const bfdGauge = (name: string, help: string, valueOf: (s: BfdPeerStatus) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['peer'],
      registers: [registry],
      collect(): void {
        this.reset();
        for (const s of sources.bfd().sessions) this.set({ peer: s.tunnelPeer }, valueOf(s));
      },
    });
  };
  bfdGauge('garagenet_bfd_session_state', 'BFD session state: 0 AdminDown, 1 Down, 2 Init, 3 Up', (s) => BFD_STATE_VALUE[s.state]);
  bfdGauge('garagenet_bfd_detection_time_seconds', 'Negotiated BFD detection time', (s) => s.detectionTimeUs / 1e6);
  new Counter({
    name: 'garagenet_bfd_dropped_packets_total',
    help: 'BFD packets dropped as malformed or for no session',
    registers: [registry],
    collect(): void {
      this.reset();
      this.inc(sources.bfd().droppedPackets);
    },
  });
  const reconcileErrors = new Counter({ name: 'garagenet_reconcile_errors_total', help: 'Tunnel changes that failed to apply', labelNames: ['peer'], registers: [registry] });
  return { reconcileErrors };
}
