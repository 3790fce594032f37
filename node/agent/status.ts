/** The stable shape of `garagenet status --json`, served by the running agent. */

export interface PeerStatus {
  name: string;
  asn: number;
  interface: string;
  loopback: string;
  endpoint: string | null;
  /** Seconds since the last WireGuard handshake; null if none yet. */
  handshakeAgeSeconds: number | null;
  rxBytes: number;
  txBytes: number;
  /** Median round trip of the agent's recent echo probes to the peer's loopback (every 5 s), milliseconds; null until one is answered. */
  latencyMs: number | null;
  bfd: string;
  bgp: { production: string; experimental: string };
}

export interface NodeStatus {
  node: string;
  mesh: string;
  asn: number;
  loopbacks: { production: string[]; experimental: string[] };
  allocations: string[];
  registry: { address: string; connected: boolean; revision: number; lastError: string | null };
  uptimeSeconds: number;
  peers: PeerStatus[];
}
