/**
 * The registry's records, shaped exactly like the messages of
 * proto/registry.proto as @grpc/proto-loader delivers them (camelCase fields,
 * 64-bit numbers as JS numbers). The same shapes are stored in etcd as JSON.
 */

/** Record time stamps: RFC 3339 in UTC. */
export function timestamp(): string {
  return new Date().toISOString();
}

export type Plane = 'production' | 'experimental';
export const PLANES: readonly Plane[] = ['production', 'experimental'];

export interface Mesh {
  name: string;
  productionV4: string;
  productionV6: string;
  experimentalV4: string;
  experimentalV6: string;
  asnFirst: number;
  asnLast: number;
  createdAt: string;
}

export interface Organization {
  name: string;
  description: string;
  createdAt: string;
}

export interface Node {
  name: string;
  organization: string;
  publicKey: string;
  previousPublicKey: string;
  endpoints: string[];
  asn: number;
  productionLoopbackV4: string;
  productionLoopbackV6: string;
  experimentalLoopbackV4: string;
  experimentalLoopbackV6: string;
  slot: number;
  joinedAt: string;
  updatedAt: string;
}

export interface Allocation {
  id: string;
  prefix: string;
  plane: Plane;
  holderKind: 'node' | 'experiment';
  holder: string;
  purpose: 'loopback' | 'garage' | 'experiment';
  createdAt: string;
}

export interface Authorization {
  id: string;
  prefix: string;
  maxLength: number;
  originAsn: number;
  plane: Plane;
  holder: string;
  createdAt: string;
}

export type ExperimentState = 'active' | 'stopped';
export const EXPERIMENT_STATES: readonly ExperimentState[] = ['active', 'stopped'];

export interface Experiment {
  name: string;
  owner: string;
  description: string;
  asn: number;
  prefixes: string[];
  maxPrefixes: number;
  maxUpdatesPerMinute: number;
  /** Mbit/s its attachment may send into the mesh (policed on the hosting node). */
  maxMbits: number;
  expiresAt: string;
  state: ExperimentState;
  node: string;
  slot: number;
  createdAt: string;
  updatedAt: string;
}

export interface Invitation {
  id: string;
  organization: string;
  createdAt: string;
  expiresAt: string;
  usedBy: string;
  usedAt: string;
}

/** An invitation as stored: the public fields plus the hash of its secret. */
export interface StoredInvitation extends Invitation {
  secretHash: string;
}

/** A read-only credential's record as listed (its hash is stored beside it, never listed). */
export interface Viewer {
  name: string;
  createdAt: string;
}

/** A viewer as stored: the public fields plus the hash of its credential's secret. */
export interface StoredViewer extends Viewer {
  hash: string;
}

export interface Presence {
  node: string;
  onlineSince: string;
  ttlSeconds: number;
}

export interface AuditEntry {
  experiment: string;
  node: string;
  event: string;
  detail: string;
  at: string;
}

export interface AuditPageRequest {
  /** Entries in the page: 0 means AUDIT_PAGE_DEFAULT. */
  limit: number;
  /** A page's `first`: the entries older than it. */
  before?: string;
  /** A page's `last`: the entries newer than it, oldest first. */
  after?: string;
}

export interface AuditPage {
  /** Oldest first. */
  entries: AuditEntry[];
  /** Cursor of the oldest entry here ('' for an empty page). */
  first: string;
  /** Cursor of the newest entry here ('' for an empty page). */
  last: string;
  /** Entries exist beyond this page in the direction it was read: older ones, or for `after` newer ones. */
  more: boolean;
}

export interface NodeView {
  node: Node;
  online: boolean;
  onlineSince: string;
}

export interface PublicView {
  mesh: Mesh;
  organizations: Organization[];
  nodes: NodeView[];
  allocations: Allocation[];
  authorizations: Authorization[];
  experiments: Experiment[];
  revision: number;
}

export type ChangeKind = 'mesh' | 'organization' | 'node' | 'allocation' | 'authorization' | 'experiment' | 'presence';

export interface Change {
  kind: ChangeKind;
  id: string;
  deleted: boolean;
  mesh?: Mesh;
  organization?: Organization;
  node?: Node;
  allocation?: Allocation;
  authorization?: Authorization;
  experiment?: Experiment;
  presence?: Presence;
}

export interface WatchResponse {
  revision: number;
  snapshot: boolean;
  changes: Change[];
}

export interface JoinResponse {
  node: Node;
  credential: string;
  allocations: Allocation[];
  authorizations: Authorization[];
  mesh: Mesh;
  revision: number;
}
