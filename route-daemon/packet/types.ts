/**
 * Typed BGP-4 messages (RFC 4271) with the extensions garagenet speaks:
 * multiprotocol IPv4/IPv6 unicast (RFC 4760), four-octet AS numbers (RFC 6793),
 * route refresh (RFC 2918, 7313), graceful restart (RFC 4724, 8538),
 * communities (RFC 1997) and large communities (RFC 8092).
 *
 * Representation, chosen so that a full table decodes without per-prefix garbage
 * and so that the RIB can intern attribute sets:
 *
 * - An IPv4 unicast prefix is ONE number: `address * 64 + length`, where address is
 *   the unsigned 32-bit network address with host bits cleared (so equal prefixes are
 *   equal numbers, usable directly as Map keys or in typed arrays). The largest value
 *   is 2^38, well inside the safe-integer range. Lists of them are plain `number[]`
 *   (V8 stores them unboxed). See `ipv4Prefix`, `ipv4PrefixAddress`, `ipv4PrefixLength`.
 * - An IPv6 unicast prefix is ONE string: 32 lowercase hex digits of the address with
 *   host bits cleared, a slash, and the decimal length, e.g.
 *   `20010db8000000000000000000000000/32`. Equal prefixes are equal strings.
 * - IPv4 addresses (NEXT_HOP, AGGREGATOR, BGP identifier) are unsigned 32-bit numbers;
 *   IPv6 next hops are bigints (one per UPDATE, not per prefix).
 * - Path attributes are one object of fixed shape (`PathAttributes`), every field
 *   present, `null` when the attribute is absent, so V8 keeps one hidden class.
 * - AS numbers are always four-octet values in the typed form. When the session did
 *   not negotiate four-octet AS, the decoder merges AS4_PATH / AS4_AGGREGATOR into
 *   `asPath` / `aggregator` (RFC 6793 §4.2.3) and the encoder splits them again
 *   (AS_TRANS in the two-octet fields, AS4_* attributes when needed).
 */

export const BGP_MARKER_LENGTH = 16;
export const BGP_HEADER_LENGTH = 19;
export const BGP_MAX_MESSAGE_LENGTH = 4096;
export const BGP_VERSION = 4;
/** RFC 6793: stands in for a four-octet AS number in two-octet fields. */
export const AS_TRANS = 23456;

export const MessageType = {
  Open: 1,
  Update: 2,
  Notification: 3,
  Keepalive: 4,
  RouteRefresh: 5,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Smallest valid total length (header included) per message type. */
export const MIN_MESSAGE_LENGTH: Readonly<Record<MessageType, number>> = {
  [MessageType.Open]: 29,
  [MessageType.Update]: 23,
  [MessageType.Notification]: 21,
  [MessageType.Keepalive]: 19,
  [MessageType.RouteRefresh]: 23,
};

// ---------------------------------------------------------------------------
// Address families

export const Afi = { Ipv4: 1, Ipv6: 2 } as const;
export const Safi = { Unicast: 1 } as const;

export interface AddressFamily {
  readonly afi: number;
  readonly safi: number;
}

export const IPV4_UNICAST: AddressFamily = { afi: Afi.Ipv4, safi: Safi.Unicast };
export const IPV6_UNICAST: AddressFamily = { afi: Afi.Ipv6, safi: Safi.Unicast };

/** `address * 64 + length`; see the file comment. */
export type Ipv4Prefix = number;
/** `<32 hex digits>/<length>`; see the file comment. */
export type Ipv6Prefix = string;

/** The netmask of an IPv4 prefix length, as an unsigned number. */
export function ipv4Netmask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** Packs an IPv4 prefix, clearing host bits. */
export function ipv4Prefix(address: number, length: number): Ipv4Prefix {
  return ((address & ipv4Netmask(length)) >>> 0) * 64 + length;
}

export function ipv4PrefixAddress(prefix: Ipv4Prefix): number {
  return Math.floor(prefix / 64);
}

export function ipv4PrefixLength(prefix: Ipv4Prefix): number {
  // Not `prefix % 64`: above 32 bits that is a floating-point remainder, a call into C per prefix.
  return prefix - ipv4PrefixAddress(prefix) * 64;
}

export function ipv6PrefixLength(prefix: Ipv6Prefix): number {
  return Number(prefix.slice(33));
}

// ---------------------------------------------------------------------------
// NOTIFICATION codes (RFC 4271 §4.5, RFC 4486, RFC 6608, RFC 7313, RFC 8538)

export const ErrorCode = {
  MessageHeader: 1,
  OpenMessage: 2,
  UpdateMessage: 3,
  HoldTimerExpired: 4,
  FiniteStateMachine: 5,
  Cease: 6,
  RouteRefreshMessage: 7,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const HeaderSubcode = {
  ConnectionNotSynchronized: 1,
  BadMessageLength: 2,
  BadMessageType: 3,
} as const;

export const OpenSubcode = {
  Unspecific: 0,
  UnsupportedVersionNumber: 1,
  BadPeerAs: 2,
  BadBgpIdentifier: 3,
  UnsupportedOptionalParameter: 4,
  UnacceptableHoldTime: 6,
  UnsupportedCapability: 7,
} as const;

export const UpdateSubcode = {
  MalformedAttributeList: 1,
  UnrecognizedWellKnownAttribute: 2,
  MissingWellKnownAttribute: 3,
  AttributeFlagsError: 4,
  AttributeLengthError: 5,
  InvalidOriginAttribute: 6,
  InvalidNextHopAttribute: 8,
  OptionalAttributeError: 9,
  InvalidNetworkField: 10,
  MalformedAsPath: 11,
} as const;

export const FsmSubcode = {
  Unspecified: 0,
  UnexpectedMessageInOpenSent: 1,
  UnexpectedMessageInOpenConfirm: 2,
  UnexpectedMessageInEstablished: 3,
} as const;

export const CeaseSubcode = {
  MaximumPrefixesReached: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
} as const;

export const RouteRefreshSubcode = {
  InvalidMessageLength: 1,
} as const;

// ---------------------------------------------------------------------------
// Capabilities (RFC 5492 and the ones listed in the file comment)

export const CapabilityCode = {
  Multiprotocol: 1,
  RouteRefresh: 2,
  GracefulRestart: 64,
  FourOctetAs: 65,
} as const;

export interface GracefulRestartFamily extends AddressFamily {
  /** F bit: forwarding state for this family was preserved across the restart. */
  readonly forwarding: boolean;
}

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'route-refresh' }
  | {
      readonly kind: 'graceful-restart';
      /** R bit: the sender has restarted. */
      readonly restarting: boolean;
      /** N bit (RFC 8538): the sender supports graceful restart for NOTIFICATIONs. */
      readonly notification: boolean;
      /** Seconds, 12 bits. */
      readonly restartTime: number;
      readonly families: readonly GracefulRestartFamily[];
    }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  /** Any other capability, kept verbatim so it can be logged or echoed. */
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Buffer };

// ---------------------------------------------------------------------------
// Path attributes

export const AttributeType = {
  Origin: 1,
  AsPath: 2,
  NextHop: 3,
  MultiExitDisc: 4,
  LocalPref: 5,
  AtomicAggregate: 6,
  Aggregator: 7,
  Communities: 8,
  MpReachNlri: 14,
  MpUnreachNlri: 15,
  As4Path: 17,
  As4Aggregator: 18,
  LargeCommunities: 32,
} as const;

export const AttributeFlag = {
  Optional: 0x80,
  Transitive: 0x40,
  Partial: 0x20,
  ExtendedLength: 0x10,
} as const;

export const Origin = { Igp: 0, Egp: 1, Incomplete: 2 } as const;
export type Origin = (typeof Origin)[keyof typeof Origin];

export const AsSegmentType = {
  AsSet: 1,
  AsSequence: 2,
  ConfedSequence: 3,
  ConfedSet: 4,
} as const;
export type AsSegmentType = (typeof AsSegmentType)[keyof typeof AsSegmentType];

export interface AsPathSegment {
  readonly type: AsSegmentType;
  /** Four-octet AS numbers, at least one. */
  readonly asns: readonly number[];
}

export interface Aggregator {
  readonly asn: number;
  /** IPv4 address as an unsigned 32-bit number. */
  readonly address: number;
}

export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly localData1: number;
  readonly localData2: number;
}

export const WellKnownCommunity = {
  NoExport: 0xffffff01,
  NoAdvertise: 0xffffff02,
  NoExportSubconfed: 0xffffff03,
  GracefulShutdown: 0xffff0000,
  LlgrStale: 0xffff0006,
  NoLlgr: 0xffff0007,
  Blackhole: 0xffff029a,
} as const;

/** Reachable prefixes carried in MP_REACH_NLRI (RFC 4760). */
export type MpReach =
  | {
      readonly afi: typeof Afi.Ipv6;
      readonly safi: typeof Safi.Unicast;
      readonly nextHop: bigint;
      /** Second next hop when the length is 32 (RFC 2545). */
      readonly linkLocalNextHop: bigint | null;
      readonly prefixes: readonly Ipv6Prefix[];
    }
  | {
      readonly afi: typeof Afi.Ipv4;
      readonly safi: typeof Safi.Unicast;
      readonly nextHop: number;
      readonly linkLocalNextHop: null;
      readonly prefixes: readonly Ipv4Prefix[];
    };

/** Unreachable prefixes carried in MP_UNREACH_NLRI. */
export type MpUnreach =
  | { readonly afi: typeof Afi.Ipv6; readonly safi: typeof Safi.Unicast; readonly prefixes: readonly Ipv6Prefix[] }
  | { readonly afi: typeof Afi.Ipv4; readonly safi: typeof Safi.Unicast; readonly prefixes: readonly Ipv4Prefix[] };

/**
 * An attribute the codec does not interpret, kept with its flags as received.
 * Optional transitive ones are passed on with the Partial bit set (RFC 4271 §5,
 * see `forwardableUnknownAttributes`); optional non-transitive ones are not passed on.
 */
export interface UnknownAttribute {
  readonly flags: number;
  readonly typeCode: number;
  readonly value: Buffer;
}

/** Fixed-shape attribute set: every field is present, null when absent. */
export interface PathAttributes {
  readonly origin: Origin | null;
  /** Effective AS path with four-octet ASNs (AS4_PATH already merged, RFC 6793). */
  readonly asPath: readonly AsPathSegment[] | null;
  /** IPv4 NEXT_HOP as an unsigned 32-bit number. */
  readonly nextHop: number | null;
  readonly med: number | null;
  readonly localPref: number | null;
  readonly atomicAggregate: boolean;
  /** Effective aggregator (AS4_AGGREGATOR already merged). */
  readonly aggregator: Aggregator | null;
  /** RFC 1997 communities, each an unsigned 32-bit number (ASN << 16 | value). */
  readonly communities: readonly number[] | null;
  readonly largeCommunities: readonly LargeCommunity[] | null;
  readonly mpReach: MpReach | null;
  readonly mpUnreach: MpUnreach | null;
  /** Unrecognized attributes in the order received. */
  readonly unknown: readonly UnknownAttribute[];
}

// ---------------------------------------------------------------------------
// Attribute problems found while parsing an UPDATE (RFC 7606). The parser records
// them as facts; validate.ts decides the outcome (treat-as-withdraw, attribute
// discard or session reset). A malformed attribute is left out of PathAttributes.

export type AttributeProblemKind =
  /** Optional/Transitive bits conflict with the attribute's definition. */
  | 'flags'
  /** Length field wrong for the attribute (including "would overrun the attribute list"). */
  | 'length'
  /** Content invalid (bad ORIGIN value, bad segment, bad MP next-hop length, ...). */
  | 'value'
  /** Second or later occurrence of the same type code. */
  | 'duplicate'
  /** Not recognized, but the Optional bit is clear: a well-known we don't know. */
  | 'unrecognized-well-known'
  /** MP_REACH/MP_UNREACH for an address family that was not negotiated. */
  | 'unsupported-family';

export interface AttributeProblem {
  readonly kind: AttributeProblemKind;
  readonly typeCode: number;
  /** The whole attribute as received (flags, type, length, value) for NOTIFICATION data. */
  readonly raw: Buffer;
  /** One sentence for logs, naming what is wrong. */
  readonly detail: string;
}

// ---------------------------------------------------------------------------
// Messages

export interface OpenMessage {
  readonly type: typeof MessageType.Open;
  readonly version: number;
  /** The two-octet My Autonomous System field (AS_TRANS when the real ASN is larger). */
  readonly myAs: number;
  /** Seconds; 0 or at least 3. */
  readonly holdTime: number;
  /** BGP identifier as an unsigned 32-bit number. */
  readonly bgpId: number;
  /** Capabilities from all Capabilities optional parameters, in order. */
  readonly capabilities: readonly Capability[];
}

export interface UpdateMessage {
  readonly type: typeof MessageType.Update;
  /** IPv4 unicast prefixes from the Withdrawn Routes field. */
  readonly withdrawn: readonly Ipv4Prefix[];
  readonly attributes: PathAttributes;
  /** IPv4 unicast prefixes from the NLRI field. */
  readonly nlri: readonly Ipv4Prefix[];
  /** Total Path Attribute Length as received: 0 in an UPDATE without attributes, the IPv4 End-of-RIB (RFC 4724 §2). */
  readonly attributeLength: number;
  /** Problems found while parsing attributes; empty for a well-formed UPDATE. */
  readonly problems: readonly AttributeProblem[];
}

export interface NotificationMessage {
  readonly type: typeof MessageType.Notification;
  readonly code: number;
  readonly subcode: number;
  readonly data: Buffer;
}

export interface KeepaliveMessage {
  readonly type: typeof MessageType.Keepalive;
}

export const RouteRefreshSubtype = { Normal: 0, BeginningOfRefresh: 1, EndOfRefresh: 2 } as const;

export interface RouteRefreshMessage {
  readonly type: typeof MessageType.RouteRefresh;
  readonly afi: number;
  readonly safi: number;
  /** RFC 7313 subtype (the "reserved" octet of RFC 2918). */
  readonly subtype: number;
}

export type BgpMessage =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

/** What the session negotiated; the codec needs it to read and write UPDATEs. */
export interface CodecOptions {
  /** Both sides sent the four-octet AS capability (RFC 6793). */
  readonly fourOctetAs: boolean;
  /** Families usable in MP_REACH/MP_UNREACH, e.g. [IPV4_UNICAST, IPV6_UNICAST]. */
  readonly families: readonly AddressFamily[];
}

/** The NOTIFICATION a session must send (and then close) for an error. */
export interface NotificationFields {
  readonly code: number;
  readonly subcode: number;
  readonly data: Buffer;
}

/**
 * The only exception the decoders throw: a message so malformed that the session
 * must be reset with `notification` (RFC 4271 §6, RFC 7606 where it keeps a reset).
 */
export class MessageError extends Error {
  readonly notification: NotificationFields;

  constructor(message: string, notification: NotificationFields) {
    super(message);
    this.name = 'MessageError';
    this.notification = notification;
  }
}

// ---------------------------------------------------------------------------
// Outcomes of validation (validate.ts), returned as data

/** What the session does with one received UPDATE (RFC 7606 §2). */
export type UpdateVerdict =
  /** Use the routes; `attributes` has any discarded attributes removed. */
  | {
      readonly action: 'accept';
      readonly attributes: PathAttributes;
      readonly discarded: readonly AttributeProblem[];
    }
  /** Withdraw every prefix in `nlri` and `mpReach` (as well as the withdrawals). */
  | { readonly action: 'treat-as-withdraw'; readonly problems: readonly AttributeProblem[]; readonly reason: string }
  /** Send `notification` and reset the session. */
  | { readonly action: 'session-reset'; readonly notification: NotificationFields; readonly reason: string };

/** What the session does with one received OPEN. */
export type OpenVerdict =
  | { readonly action: 'accept' }
  | { readonly action: 'session-reset'; readonly notification: NotificationFields; readonly reason: string };
