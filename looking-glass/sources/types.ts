/**
 * What the looking glass reads about the mesh, as plain data. These are the
 * looking glass's own types: the registry's public view and each node's route
 * daemon and agent are mapped onto them by adapters, so the server and the
 * page never depend on another component's internals or wire format.
 * Addresses and prefixes are text (as the page shows them); ASNs are numbers.
 */

export type Plane = 'production' | 'experimental';
export const PLANES: readonly Plane[] = ['production', 'experimental'];

// ---- Registry: the public view -------------------------------------------

export interface Pool {
  readonly plane: Plane;
  readonly prefix: string;
}

export interface Organization {
  /** The short name nodes and experiments refer to. */
  readonly name: string;
  readonly description: string;
}

export interface MeshNode {
  readonly name: string;
  readonly organization: string;
  readonly asn: number;
  readonly wireguardPublicKey: string;
  readonly loopbacks: Readonly<Record<Plane, string>>;
  /** Underlay endpoints, host:port; the looking glass shows them only when `endpointPublic`. */
  readonly endpoints: readonly string[];
  readonly endpointPublic: boolean;
  readonly online: boolean;
  /** Since when the node has been online (when it is). */
  readonly onlineSince?: string;
  readonly location?: string;
}

export interface Allocation {
  readonly prefix: string;
  readonly plane: Plane;
  readonly holder: { readonly kind: 'node' | 'experiment'; readonly name: string };
  readonly purpose: 'loopback' | 'garage' | 'experiment';
}

export interface Authorization {
  readonly prefix: string;
  readonly maxLength: number;
  readonly originAsn: number;
  readonly plane: Plane;
}

export type ExperimentState = 'active' | 'suspended' | 'stopped';

/** The guard rails of an experiment; the ones the registry does not set are absent. */
export interface ExperimentLimits {
  readonly maxPrefixes: number;
  readonly maxUpdatesPerMinute: number;
  readonly maxAsPathLength?: number;
  readonly bandwidthMbit?: number;
}

/** A guard rail that fired: what the mesh refused from an experiment, and where. */
export interface AuditEntry {
  readonly time: string;
  readonly node: string;
  readonly kind: 'unauthorized-prefix' | 'max-prefix' | 'as-path-too-long' | 'too-many-communities' | 'update-rate' | 'spoofed-source' | 'kill-switch';
  readonly detail: string;
  readonly prefix?: string;
}

export interface Experiment {
  readonly name: string;
  readonly owner: string;
  readonly description: string;
  readonly asn: number;
  readonly allocations: readonly string[];
  readonly attachedAt: readonly string[];
  readonly state: ExperimentState;
  readonly limits: ExperimentLimits;
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly audit: readonly AuditEntry[];
}

export interface RegistryView {
  readonly meshName: string;
  readonly generatedAt: string;
  readonly pools: readonly Pool[];
  readonly organizations: readonly Organization[];
  readonly nodes: readonly MeshNode[];
  readonly allocations: readonly Allocation[];
  readonly authorizations: readonly Authorization[];
  readonly experiments: readonly Experiment[];
}

// ---- Node agent: tunnels and probes ---------------------------------------

export interface TunnelStatus {
  /** The node at the other end. */
  readonly peer: string;
  readonly state: 'up' | 'down' | 'connecting';
  /** Median round trip of the agent's health probes, when the tunnel is up. */
  readonly latencyMs?: number;
  /** Share of health probes lost over the last window, 0..1. */
  readonly loss: number;
  readonly lastHandshake?: string;
}

export interface ProbeRequest {
  readonly kind: 'ping' | 'traceroute';
  readonly plane: Plane;
  /** Already checked to lie inside the mesh's pools. */
  readonly target: string;
}

export interface PingResult {
  readonly kind: 'ping';
  readonly sent: number;
  readonly received: number;
  readonly rttMs: readonly number[];
}

export interface TracerouteHop {
  readonly ttl: number;
  readonly address?: string;
  readonly node?: string;
  readonly rttMs?: number;
}

export interface TracerouteResult {
  readonly kind: 'traceroute';
  readonly hops: readonly TracerouteHop[];
  readonly reached: boolean;
}

export type ProbeResult = PingResult | TracerouteResult;

// ---- Route daemon ----------------------------------------------------------

export type SessionState = 'idle' | 'connect' | 'active' | 'opensent' | 'openconfirm' | 'established';

export interface BgpSession {
  readonly plane: Plane;
  /** A mesh node's name, or an experiment router's name. */
  readonly neighbor: string;
  readonly neighborAddress: string;
  readonly neighborAsn: number;
  readonly state: SessionState;
  /** When the session reached Established, while it is up. */
  readonly since?: string;
  readonly prefixesReceived: number;
  readonly prefixesAccepted: number;
  readonly prefixesAdvertised: number;
}

export type ValidationState = 'valid' | 'invalid' | 'not-found';

export interface Route {
  readonly prefix: string;
  readonly plane: Plane;
  readonly best: boolean;
  readonly neighbor: string;
  readonly nextHop: string;
  readonly asPath: readonly number[];
  readonly origin: 'igp' | 'egp' | 'incomplete';
  readonly localPref: number;
  readonly med?: number;
  /** RFC 1997 communities as "asn:value". */
  readonly communities: readonly string[];
  /** RFC 8092 large communities as "global:local1:local2". */
  readonly largeCommunities: readonly string[];
  readonly validation: ValidationState;
  /** When this path was learned, if the daemon says. */
  readonly since?: string;
}

export interface RouteChange {
  readonly time: string;
  readonly plane: Plane;
  readonly node: string;
  readonly kind: 'announce' | 'withdraw';
  readonly prefix: string;
  readonly neighbor: string;
  readonly asPath?: readonly number[];
}

export interface FibDifference {
  readonly prefix: string;
  readonly ribNextHop?: string;
  readonly fibNextHop?: string;
}

/** Whether the kernel table of one plane agrees with the route daemon's best routes. */
export interface RibFibComparison {
  readonly plane: Plane;
  readonly checkedAt: string;
  readonly ribRoutes: number;
  readonly fibRoutes: number;
  readonly missingFromFib: readonly FibDifference[];
  readonly extraInFib: readonly FibDifference[];
  readonly nextHopMismatch: readonly FibDifference[];
  /** Full counts when a source sends the lists cut short; absent: the lists are complete. */
  readonly counts?: { readonly missingFromFib: number; readonly extraInFib: number; readonly nextHopMismatch: number };
}
