/** The agent API's messages as @grpc/proto-loader gives them (camelCase, defaults filled); see proto/agent.proto. */

export interface TunnelMessage {
  peer: string;
  state: 'up' | 'connecting' | 'down';
  bfd: string;
  lastHandshakeUnix: number;
  rxBytes: number;
  txBytes: number;
  hasLatency: boolean;
  latencyMs: number;
  loss: number;
  probes: number;
}

export interface ListTunnelsResponseMessage {
  node: string;
  tunnels: TunnelMessage[];
}

export interface PingResponseMessage {
  plane: string;
  source: string;
  sent: number;
  received: number;
  rttMs: number[];
}

export interface HopMessage {
  ttl: number;
  address: string;
  node: string;
  hasRtt: boolean;
  rttMs: number;
}

export interface TracerouteResponseMessage {
  plane: string;
  source: string;
  hops: HopMessage[];
  reached: boolean;
}

export interface FibDifferenceMessage {
  prefix: string;
  ribNextHop: string;
  kernelNextHop: string;
}

export interface CompareRibFibResponseMessage {
  plane: string;
  table: number;
  checkedAt: string;
  ribRoutes: number;
  kernelRoutes: number;
  agreed: number;
  missingInKernelCount: number;
  extraInKernelCount: number;
  nextHopMismatchCount: number;
  missingInKernel: FibDifferenceMessage[];
  extraInKernel: FibDifferenceMessage[];
  nextHopMismatch: FibDifferenceMessage[];
}
