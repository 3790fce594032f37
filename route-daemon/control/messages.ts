/**
 * The messages of proto/routed.proto as @grpc/proto-loader delivers them
 * (camelCase, every field present). They are also the `--json` shapes of
 * `garagenet bgp ...`, so they change only together with the proto.
 */

export interface MessageCountsMessage {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
}

export interface NeighborMessage {
  name: string;
  plane: string;
  address: string;
  asn: number;
  state: string;
  passive: boolean;
  uptimeSeconds: number;
  routerId: string;
  holdTime: number;
  families: string[];
  received: MessageCountsMessage;
  sent: MessageCountsMessage;
  accepted: number;
  advertised: number;
  stale: number;
  rejected: number;
  flaps: number;
  lastError: string;
  decisions: Record<string, number>;
}

export interface PlaneSummaryMessage {
  plane: string;
  ipv4Routes: number;
  ipv6Routes: number;
  paths: number;
  attributeSets: number;
  decisions: Record<string, number>;
}

export interface PathMessage {
  peer: string;
  best: boolean;
  validation: string;
  stale: boolean;
  suppressed: boolean;
  origin: string;
  asPath: { type: string; asns: number[] }[];
  nextHop: string;
  hasMed: boolean;
  med: number;
  hasLocalPref: boolean;
  localPref: number;
  atomicAggregate: boolean;
  aggregator: string;
  communities: string[];
  largeCommunities: string[];
  unknownAttributes: number[];
  originAsn: number;
}

export interface RouteMessage {
  prefix: string;
  paths: PathMessage[];
  decidedBy: string;
}

export interface ListRoutesRequestMessage {
  plane: string;
  family?: string;
  community?: string;
  largeCommunity?: string;
  originAsn?: number;
  peer?: string;
  pageSize?: number;
  pageToken?: string;
  limit?: number;
}

export interface ListRoutesResponseMessage {
  routes: RouteMessage[];
  nextPageToken: string;
}

export interface LookupRouteResponseMessage {
  found: boolean;
  route: RouteMessage | null;
}

export interface RouteChangeMessage {
  timeUnixMs: number;
  kind: string;
  prefix: string;
  peer: string;
  asPath: { type: string; asns: number[] }[];
  nextHop: string;
}
