import type { Address, Prefix } from '../../common/prefix.js';
import type { RouteAuthorization } from '../policy/origin-validation.js';
import type { RouteAttributes } from './attributes.js';
import { ipv4PrefixToPrefix } from '../packet/nlri.js';
import type { Ipv4Prefix } from '../packet/types.js';

/**
 * The contract between the peering layer (sessions, FSM, codec) and the
 * routing core of one plane. There is one RoutingInstance per plane and
 * nothing ever crosses between two instances: a session belongs to exactly
 * one of them. Like BIRD's nest/, the core sees typed attributes only.
 */

export type Plane = 'production' | 'experimental';
export const PLANES: readonly Plane[] = ['production', 'experimental'];

export type AddressFamily = 'ipv4-unicast' | 'ipv6-unicast';

/** What the operator configured for a neighbor that matters to routing. */
export interface PeerSettings {
  /** Unique within the instance; the name of the `[peer NAME]` section. */
  readonly name: string;
  readonly address: Address;
  readonly asn: number;
  /** Accepted prefixes (all families) above which the session is ceased (RFC 4486 subcode 1). */
  readonly maxPrefixes?: number;
  /** Longer AS paths are rejected at import. */
  readonly maxAsPathLength?: number;
  /** Routes with more communities (standard and large together) are rejected at import. */
  readonly maxCommunities?: number;
  /**
   * The peer is a researcher's router attached for this experiment: its routes
   * must originate in its own AS (the experiment's) and be authorized for it.
   */
  readonly experiment?: string;
  /** Prefixes per second (announced plus withdrawn; fractional for a per-minute limit) the peer may send on average, with bursts of ten seconds' worth (at least one). */
  readonly maxUpdateRate?: number;
  /** LOCAL_PREF given to routes from an eBGP peer (iBGP peers send their own). Default 100. */
  readonly importLocalPref?: number;
}

/** What the OPEN exchange settled, reported by the peering layer on Established. */
export interface NegotiatedSession {
  /** The peer's BGP identifier as an unsigned 32-bit number. */
  readonly routerId: number;
  readonly families: readonly AddressFamily[];
  /** Our address on this session: the next hop we announce to an eBGP peer. */
  readonly localAddress: Address;
  /** Our IPv6 address on the session, to send as next hop of IPv6 routes over an IPv4 session. */
  readonly localAddressIpv6?: Address;
  readonly routeRefresh: boolean;
  /** The peer's graceful-restart capability (RFC 4724), if it sent one. */
  readonly gracefulRestart?: {
    readonly restartTimeSeconds: number;
    /** Families for which the peer preserved forwarding state across its restart. */
    readonly preservedFamilies: readonly AddressFamily[];
  };
}

/**
 * One UPDATE as the routing core sees it. Treat-as-withdraw (RFC 7606) is
 * already applied. The prefixes of the UPDATE's own IPv4 fields may come
 * packed as the codec decodes them (`ipv4`: address * 64 + length, see
 * packet/types.ts) beside the Prefix lists: a full table is a million of
 * them, and a Prefix with its bigint each was a twentieth of its ingest.
 */
export interface RouteUpdate {
  readonly withdrawn: readonly Prefix[];
  readonly withdrawnIpv4?: readonly Ipv4Prefix[];
  /** One entry per attribute set: IPv4 NLRI and MP_REACH_NLRI of one UPDATE arrive as two entries. */
  readonly announced: readonly AnnouncedGroup[];
}

/** Packed IPv4 prefixes made Prefixes, before `prefixes`: for tests and tools, not for every route. */
export function withPacked(prefixes: readonly Prefix[], ipv4: readonly Ipv4Prefix[] = []): Prefix[] {
  return [...ipv4.map(ipv4PrefixToPrefix), ...prefixes];
}

export interface AnnouncedGroup {
  readonly attributes: RouteAttributes;
  readonly prefixes: readonly Prefix[];
  readonly ipv4?: readonly Ipv4Prefix[];
}

/** What the peering layer must do after an UPDATE, beyond nothing. */
export interface ImportResult {
  readonly accepted: number;
  readonly rejected: number;
  readonly withdrawn: number;
  /**
   * The peer exceeds its update-rate limit: stop reading its socket for this
   * long (TCP slows it down); the UPDATE itself was applied.
   */
  readonly pauseMs?: number;
  /** Set when the session must end with a NOTIFICATION CEASE (RFC 4486). */
  readonly cease?: {
    /** RFC 4486 subcode 1, "Maximum Number of Prefixes Reached". */
    readonly subcode: 1;
    readonly family: AddressFamily;
    readonly limit: number;
    /** For the log line and the audit log. */
    readonly reason: string;
  };
}

/**
 * The wire encodings of one outgoing attribute set, kept by the routing core
 * for as long as the set lives and shared by every peer it goes to: `encode`
 * runs only when there is none yet for `key` (what the encoding depends on,
 * e.g. the session's AS number size).
 */
export type EncodingCache = (key: string, encode: () => Buffer) => Buffer;

/**
 * Changes to send to one peer: the Adj-RIB-Out diff since the last drain,
 * grouped by attribute set. IPv4 prefixes may come packed beside the Prefix
 * lists, as in RouteUpdate: a full table sent to a peer is a million of them.
 */
export interface ExportBatch {
  readonly withdrawn: readonly Prefix[];
  readonly withdrawnIpv4?: readonly Ipv4Prefix[];
  /** Attributes are the outgoing ones (AS prepended, next hop set): encode them as they are. */
  readonly announced: readonly {
    readonly attributes: RouteAttributes;
    readonly prefixes: readonly Prefix[];
    readonly ipv4?: readonly Ipv4Prefix[];
    readonly encodings?: EncodingCache;
  }[];
  /** Families whose initial table has now been sent completely: send End-of-RIB for them (RFC 4724). */
  readonly endOfRib: readonly AddressFamily[];
}

export interface PeerDownOptions {
  /**
   * Keep the peer's routes, marked stale, because it is restarting gracefully
   * (RFC 4724 receiving speaker). They are purged by endOfRib, by the restart
   * timer if the peer does not come back in time, or by a non-graceful down.
   */
  readonly graceful?: boolean;
}

export interface RoutingInstance {
  readonly plane: Plane;

  /**
   * The session reached Established. `onExportReady` is called (at most once
   * until the next drain, and always from a microtask, never from inside a
   * call into the instance) whenever the peer has changes waiting: call
   * drainExport then, and again while it returns batches. The instance never
   * pushes more than the session takes, so a slow peer only costs a queue of
   * changed prefixes, coalesced.
   */
  peerUp(peer: PeerSettings, options: { session: NegotiatedSession; onExportReady: () => void }): void;
  peerDown(peer: string, options?: PeerDownOptions): void;

  receive(peer: string, update: RouteUpdate): ImportResult;
  /**
   * UPDATEs from some peer arrived a moment ago: sessions export in small
   * steps meanwhile, so that taking in routes comes first (what is exported
   * later is coalesced, and the Loc-RIB settles sooner).
   */
  readonly importing: boolean;
  /** The peer finished its initial table (or its post-restart table) for a family: stale routes go. */
  endOfRib(peer: string, family: AddressFamily): void;
  /** Next Adj-RIB-Out diff for the peer (at most `maxPrefixes` prefixes), or null when nothing is pending. */
  drainExport(peer: string, options?: { maxPrefixes?: number }): ExportBatch | null;
  /**
   * The registry's route authorizations changed: routes now invalid are
   * dropped at once; the peers named in `refreshFrom` had routes refused as
   * invalid that may be valid now, so send them ROUTE-REFRESH.
   */
  updateAuthorizations(authorizations: readonly RouteAuthorization[]): { refreshFrom: string[] };
  /** ROUTE-REFRESH from the peer (RFC 2918) or an outbound soft reset: re-send its whole Adj-RIB-Out. */
  refresh(peer: string, family?: AddressFamily): void;
}
