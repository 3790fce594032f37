import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { WireguardPeerInfo } from '../wireguard/dump.js';
import { registerTunnelMetrics, type TunnelSample } from './tunnel-metrics.js';

const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const NOW = 1_800_000_000;

function peer(latestHandshake: number | null, rxBytes: number, txBytes: number): WireguardPeerInfo {
  return { publicKey: KEY, hasPresharedKey: false, endpoint: '198.18.1.2:51820', allowedIps: ['0.0.0.0/0'], latestHandshake, rxBytes, txBytes, persistentKeepalive: null };
}

describe('tunnel and BFD metrics', () => {
  it('exposes each tunnel and BFD session as read at scrape time', async () => {
    const registry = new Registry();
    let tunnels: TunnelSample[] = [
      { peer: 'garage-1', interfaceName: 'gn-g1', wireguard: peer(NOW - 5, 1000, 2000) },
      { peer: 'garage-2', interfaceName: 'gn-g2', wireguard: peer(NOW - 600, 10, 20) },
      { peer: 'garage-3', interfaceName: 'gn-g3', wireguard: peer(null, 0, 0) },
    ];
    let reads = 0;
    const { reconcileErrors } = registerTunnelMetrics(registry, {
      tunnels: () => {
        reads++;
        return Promise.resolve(tunnels);
      },
      bfd: () => ({
        sessions: [
          { tunnelPeer: 'garage-1', peer: '10.255.1.1', localAddress: '10.255.1.0', state: 'Up', diagnostic: 'None', localDiscriminator: 7, detectionTimeUs: 150_000, transmitIntervalUs: 50_000 },
          { tunnelPeer: 'garage-2', peer: '10.255.2.1', localAddress: '10.255.2.0', state: 'Down', diagnostic: 'ControlDetectionTimeExpired', localDiscriminator: 8, detectionTimeUs: 0, transmitIntervalUs: 1_000_000 },
        ],
        droppedPackets: 4,
      }),
      linkQuality: (name) => (name === 'garage-1' ? { latencyMs: 2.5, loss: 0.25, probes: 4 } : { loss: name === 'garage-2' ? 1 : 0, probes: 0 }),
      now: () => NOW,
    });
    reconcileErrors.inc({ peer: 'garage-3' });
    const text = await registry.metrics();
    expect(reads).toBe(1);
    expect(text).toContain('garagenet_tunnels 3');
    expect(text).toContain('garagenet_tunnel_up{peer="garage-1",interface="gn-g1"} 1');
    expect(text).toContain('garagenet_tunnel_up{peer="garage-2",interface="gn-g2"} 0');
    expect(text).toContain('garagenet_tunnel_up{peer="garage-3",interface="gn-g3"} 0');
    expect(text).toContain('garagenet_tunnel_handshake_age_seconds{peer="garage-1",interface="gn-g1"} 5');
    expect(text).not.toContain('garagenet_tunnel_handshake_age_seconds{peer="garage-3"');
    expect(text).toContain('garagenet_tunnel_received_bytes_total{peer="garage-1",interface="gn-g1"} 1000');
    expect(text).toContain('garagenet_tunnel_sent_bytes_total{peer="garage-1",interface="gn-g1"} 2000');
    expect(text).toContain('garagenet_tunnel_probe_latency_seconds{peer="garage-1",interface="gn-g1"} 0.0025');
    expect(text).not.toContain('garagenet_tunnel_probe_latency_seconds{peer="garage-2"');
    expect(text).toContain('garagenet_tunnel_probe_loss_ratio{peer="garage-1",interface="gn-g1"} 0.25');
    expect(text).toContain('garagenet_tunnel_probe_loss_ratio{peer="garage-2",interface="gn-g2"} 1');
    expect(text).toContain('garagenet_bfd_session_state{peer="garage-1"} 3');
    expect(text).toContain('garagenet_bfd_session_state{peer="garage-2"} 1');
    expect(text).toContain('garagenet_bfd_detection_time_seconds{peer="garage-1"} 0.15');
    expect(text).toContain('garagenet_bfd_dropped_packets_total 4');
    expect(text).toContain('garagenet_reconcile_errors_total{peer="garage-3"} 1');
    expect(text).not.toContain(KEY);

    // A peer that left disappears from the next scrape; counters follow WireGuard's.
    tunnels = [{ peer: 'garage-1', interfaceName: 'gn-g1', wireguard: peer(NOW - 1, 5000, 6000) }];
    const next = await registry.metrics();
    expect(next).toContain('garagenet_tunnels 1');
    expect(next).not.toContain('garage-2",interface');
    expect(next).toContain('garagenet_tunnel_received_bytes_total{peer="garage-1",interface="gn-g1"} 5000');
    expect(reads).toBe(2);
  });
});
