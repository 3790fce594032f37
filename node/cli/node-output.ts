import { formatTable } from '../../common/cli.js';
import type { NodeStatus, PeerStatus } from '../agent/status.js';

/** How the node verbs print a node and its peers (one place, so join, up and status agree). */

export function describeNode(status: NodeStatus): string {
  return (
    `node ${status.node} in mesh ${status.mesh}, AS${status.asn}\n` +
    `  loopbacks     production ${status.loopbacks.production.join(' ')}  experimental ${status.loopbacks.experimental.join(' ')}\n` +
    `  allocation    ${status.allocations.join(' ')}\n`
  );
}

function age(seconds: number | null): string {
  if (seconds === null) return 'never';
  return seconds < 120 ? `${seconds}s ago` : `${Math.round(seconds / 60)}m ago`;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function peerTable(peers: readonly PeerStatus[]): string {
  if (peers.length === 0) return 'no peers yet\n';
  return formatTable(
    ['PEER', 'ASN', 'ENDPOINT', 'HANDSHAKE', 'RX', 'TX', 'LATENCY', 'BFD', 'BGP PROD', 'BGP EXP'],
    peers.map((p) => [
      p.name, String(p.asn), p.endpoint ?? '-', age(p.handshakeAgeSeconds), bytes(p.rxBytes), bytes(p.txBytes),
      p.latencyMs === null ? '-' : `${p.latencyMs.toFixed(1)} ms`, p.bfd, p.bgp.production, p.bgp.experimental,
    ]),
  );
}

export function isPeerUp(peer: PeerStatus): boolean {
  return peer.bgp.production === 'Established';
}
