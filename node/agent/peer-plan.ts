import { parseAddress } from '../../common/prefix.js';
import type { PeerConfig } from '../../route-daemon/config/config.js';
import type { Plane } from '../../route-daemon/routing/instance.js';
import type { Node } from '../../registry/model.js';

/**
 * Pure decisions about one peer: the name and port of its tunnel interface,
 * its WireGuard settings, the host routes to its loopbacks, and its BGP
 * sessions (one per plane, loopback to loopback over the tunnel).
 */

/** Ports of per-peer interfaces: the registered port plus 1 + (peer slot mod this). */
export const PORT_SPREAD = 12_000;
/** Keeps NAT mappings open on both sides (WireGuard's usual value). */
export const KEEPALIVE_SECONDS = 25;
/** Short hold time: BFD detects failures; this only bounds a stuck session. */
const HOLD_TIME_SECONDS = 30;
/** Sessions over a fresh tunnel often fail once (the peer has not set it up yet): retry soon. */
const CONNECT_RETRY_SECONDS = 1;

export interface SelfAddresses {
  name: string;
  asn: number;
  slot: number;
  interfaceTag: string;
  basePort: number;
  productionLoopbackV4: string;
  productionLoopbackV6: string;
  experimentalLoopbackV4: string;
  experimentalLoopbackV6: string;
}

export interface TunnelPlan {
  peer: string;
  interfaceName: string;
  /** The port this node's interface for the peer listens on. */
  listenPort: number;
  /** Where the peer's interface for us listens (registered host, port derived from our slot); none if it registered none. */
  endpoint: string | undefined;
  publicKey: string;
  /** One peer per interface: the kernel's routes choose the interface, so WireGuard accepts everything. */
  allowedIps: string[];
  /** Host routes to the peer's loopbacks through this interface, per plane's table. */
  hostRoutes: { plane: Plane; prefix: string; source: string }[];
}

export function interfaceName(tag: string, peerSlot: number): string {
  return `gn${tag}${peerSlot.toString(36)}`;
}

export function tunnelPort(basePort: number, slot: number): number {
  return basePort + 1 + (slot % PORT_SPREAD);
}

/** "host:port" with the port replaced (IPv6 hosts keep their brackets). */
function withPort(endpoint: string, port: number): string {
  return endpoint.replace(/:\d+$/, `:${port}`);
}

export function planTunnel(self: SelfAddresses, peer: Node): TunnelPlan {
  const registered = peer.endpoints[0];
  return {
    peer: peer.name,
    interfaceName: interfaceName(self.interfaceTag, peer.slot),
    listenPort: tunnelPort(self.basePort, peer.slot),
    endpoint: registered === undefined ? undefined : withPort(registered, tunnelPort(Number(/:(\d+)$/.exec(registered)?.[1] ?? 0), self.slot)),
    publicKey: peer.publicKey,
    allowedIps: ['0.0.0.0/0', '::/0'],
    hostRoutes: [
      { plane: 'production', prefix: `${peer.productionLoopbackV4}/32`, source: self.productionLoopbackV4 },
      { plane: 'production', prefix: `${peer.productionLoopbackV6}/128`, source: self.productionLoopbackV6 },
      { plane: 'experimental', prefix: `${peer.experimentalLoopbackV4}/32`, source: self.experimentalLoopbackV4 },
      { plane: 'experimental', prefix: `${peer.experimentalLoopbackV6}/128`, source: self.experimentalLoopbackV6 },
    ],
  };
}

/** Session names: `<peer>.<plane>` (what `garagenet bgp neighbors` shows). */
export function sessionName(peer: string, plane: Plane): string {
  return `${peer}.${plane}`;
}

export interface SessionPlan {
  config: PeerConfig;
  /** Next hop sent for IPv6 routes over this IPv4 session. */
  localAddressIpv6: string;
}

export function planSessions(self: SelfAddresses, peer: Node): SessionPlan[] {
  const loopbacks: Record<Plane, { local: string; local6: string; remote: string }> = {
    production: { local: self.productionLoopbackV4, local6: self.productionLoopbackV6, remote: peer.productionLoopbackV4 },
    experimental: { local: self.experimentalLoopbackV4, local6: self.experimentalLoopbackV6, remote: peer.experimentalLoopbackV4 },
  };
  return (['production', 'experimental'] as const).map((plane) => ({
    config: {
      name: sessionName(peer.name, plane),
      plane,
      address: parseAddress(loopbacks[plane].remote),
      asn: peer.asn,
      port: 179,
      passive: false,
      holdTimeSeconds: HOLD_TIME_SECONDS,
      connectRetrySeconds: CONNECT_RETRY_SECONDS,
      gracefulRestart: true,
      restartTimeSeconds: 120,
      localAddress: parseAddress(loopbacks[plane].local),
      maxPrefixes: 10_000,
      line: 0,
    },
    localAddressIpv6: loopbacks[plane].local6,
  }));
}
