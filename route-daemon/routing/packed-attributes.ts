import type { Address, Family } from '../../common/prefix.js';
import type { AsPathSegment, AsPathSegmentType, LargeCommunity, Origin, RouteAttributes, UnknownAttribute } from './attributes.js';
import type { DecisionAttributes } from './decision.js';

/**
 * A received attribute set, next hop aside, as a short byte string: the form
 * the attribute store keeps. As objects and arrays, a full table's 218k sets
 * took about 300 bytes of heap each; packed they are 30 to 60 bytes in one
 * buffer. Equal sets (as `attributesEqual` sees them: an empty list is no
 * list, a false ATOMIC_AGGREGATE is none) pack to equal bytes, so the store
 * compares bytes. Not a wire format: these bytes never leave the process.
 *
 * Layout, integers big-endian: origin (1), presence bits (1), AS path segment
 * count (2), per segment its type (1), ASN count (2) and ASNs (4 each); then,
 * each only when its presence bit is set: MED (4), LOCAL_PREF (4), aggregator
 * (AS 4, address), link-local next hop (address), communities (count 2, 4
 * each), large communities (count 2, 12 each), unknown attributes (count 2;
 * flags 1, type 1, length 2, value). An address is its family (1) and 4 or 16 octets.
 */

const ORIGINS: readonly Origin[] = ['igp', 'egp', 'incomplete'];
const SEGMENT_TYPES: readonly AsPathSegmentType[] = ['sequence', 'set', 'confed-sequence', 'confed-set'];

const HAS_MED = 1;
const HAS_LOCAL_PREF = 2;
const ATOMIC_AGGREGATE = 4;
const HAS_AGGREGATOR = 8;
const HAS_LINK_LOCAL = 16;
const HAS_COMMUNITIES = 32;
const HAS_LARGE_COMMUNITIES = 64;
const HAS_UNKNOWN = 128;

/** Lists longer than a count field holds cannot come from a BGP message; a set built by hand could still try. */
const MAX_COUNT = 0xffff;

/** A growing buffer that sets are packed into, reused from one set to the next. */
export class PackBuffer {
  bytes = Buffer.allocUnsafe(256);
  length = 0;

  u8(value: number): void {
    this.room(1);
    this.bytes[this.length++] = value;
  }

  // Byte by byte: Buffer.writeUInt16BE/32BE check their arguments on every call, and packing writes a word per ASN.
  u16(value: number): void {
    this.room(2);
    const { bytes, length: at } = this;
    bytes[at] = value >>> 8;
    bytes[at + 1] = value;
    this.length = at + 2;
  }

  u32(value: number): void {
    this.room(4);
    const { bytes, length: at } = this;
    bytes[at] = value >>> 24;
    bytes[at + 1] = value >>> 16;
    bytes[at + 2] = value >>> 8;
    bytes[at + 3] = value;
    this.length = at + 4;
  }

  count(what: string, n: number): void {
    if (n > MAX_COUNT) throw new Error(`attribute set has ${n} ${what}, more than ${MAX_COUNT}`);
    this.u16(n);
  }

  address(address: Address): void {
    this.u8(address.family);
    if (address.family === 4) return this.u32(Number(address.value));
    for (let shift = 96n; shift >= 0n; shift -= 32n) this.u32(Number((address.value >> shift) & 0xffffffffn));
  }

  raw(value: Uint8Array): void {
    this.room(value.length);
    this.bytes.set(value, this.length);
    this.length += value.length;
  }

  private room(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + more));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

/**
 * Packs `a` without its next hop into `into` (from its start). With
 * `localPref`, that LOCAL_PREF is packed instead of the set's own: import
 * policy sets it per peer without building a copy of the set.
 */
export function packAttributes(a: RouteAttributes, into: PackBuffer, options: { localPref?: number } = {}): void {
  const localPref = options.localPref ?? a.localPref;
  const communities = a.communities?.length ? a.communities : undefined;
  const large = a.largeCommunities?.length ? a.largeCommunities : undefined;
  const unknown = a.unknown?.length ? a.unknown : undefined;
  into.length = 0;
  into.u8(ORIGINS.indexOf(a.origin));
  into.u8(
    (a.med !== undefined ? HAS_MED : 0) |
      (localPref !== undefined ? HAS_LOCAL_PREF : 0) |
      (a.atomicAggregate ? ATOMIC_AGGREGATE : 0) |
      (a.aggregator ? HAS_AGGREGATOR : 0) |
      (a.nextHopLinkLocal ? HAS_LINK_LOCAL : 0) |
      (communities ? HAS_COMMUNITIES : 0) |
      (large ? HAS_LARGE_COMMUNITIES : 0) |
      (unknown ? HAS_UNKNOWN : 0),
  );
  into.count('AS path segments', a.asPath.length);
  for (const segment of a.asPath) {
    into.u8(SEGMENT_TYPES.indexOf(segment.type));
    into.count('ASNs in a segment', segment.asns.length);
    for (const asn of segment.asns) into.u32(asn);
  }
  if (a.med !== undefined) into.u32(a.med);
  if (localPref !== undefined) into.u32(localPref);
  if (a.aggregator) {
    into.u32(a.aggregator.asn);
    into.address(a.aggregator.address);
  }
  if (a.nextHopLinkLocal) into.address(a.nextHopLinkLocal);
  if (communities) {
    into.count('communities', communities.length);
    for (const c of communities) into.u32(c);
  }
  if (large) {
    into.count('large communities', large.length);
    for (const [global, local1, local2] of large) {
      into.u32(global);
      into.u32(local1);
      into.u32(local2);
    }
  }
  if (unknown) {
    into.count('unknown attributes', unknown.length);
    for (const u of unknown) {
      into.u8(u.flags);
      into.u8(u.type);
      into.count('octets in an unknown attribute', u.value.length);
      into.raw(u.value);
    }
  }
}

/** The set `packAttributes` packed into `bytes`, with its next hop. */
export function unpackAttributes(bytes: Buffer, nextHop: Address): RouteAttributes {
  let o = 0;
  const u8 = (): number => bytes[o++]!;
  const u16 = (): number => ((o += 2), bytes.readUInt16BE(o - 2));
  const u32 = (): number => ((o += 4), bytes.readUInt32BE(o - 4));
  const address = (): Address => {
    const family = u8() as Family;
    if (family === 4) return { family, value: BigInt(u32()) };
    let value = 0n;
    for (let i = 0; i < 4; i++) value = (value << 32n) | BigInt(u32());
    return { family, value };
  };
  // A plain loop: Array.from over an array-like was most of the time spent unpacking.
  const list = <T>(read: () => T): T[] => {
    const items = new Array<T>(u16());
    for (let i = 0; i < items.length; i++) items[i] = read();
    return items;
  };
  const origin = ORIGINS[u8()]!;
  const present = u8();
  const asPath = list((): AsPathSegment => ({ type: SEGMENT_TYPES[u8()]!, asns: list(u32) }));
  const set: { -readonly [K in keyof RouteAttributes]: RouteAttributes[K] } = { origin, asPath, nextHop };
  if (present & HAS_MED) set.med = u32();
  if (present & HAS_LOCAL_PREF) set.localPref = u32();
  if (present & ATOMIC_AGGREGATE) set.atomicAggregate = true;
  if (present & HAS_AGGREGATOR) set.aggregator = { asn: u32(), address: address() };
  if (present & HAS_LINK_LOCAL) set.nextHopLinkLocal = address();
  if (present & HAS_COMMUNITIES) set.communities = list(u32);
  if (present & HAS_LARGE_COMMUNITIES) set.largeCommunities = list((): LargeCommunity => [u32(), u32(), u32()]);
  if (present & HAS_UNKNOWN) {
    set.unknown = list((): UnknownAttribute => {
      const flags = u8();
      const type = u8();
      const length = u16();
      o += length;
      return { flags, type, value: new Uint8Array(bytes.subarray(o - length, o)) };
    });
  }
  return set;
}

// Readers of single attributes straight from the packed bytes, for tests over
// many sets (a filtered route listing) and the decision process, which would
// otherwise build each set.

const SEQUENCE = SEGMENT_TYPES.indexOf('sequence');
const SET = SEGMENT_TYPES.indexOf('set');

/** The origin AS of a packed set's AS path, as `originAs` (policy/origin-validation.ts) reads it from the built set. */
export function packedOriginAs(bytes: Buffer, localAsn: number): number | undefined {
  // Forwards, since segments have no fixed size: the last segment that is not a confederation's decides.
  let origin: number | undefined = localAsn;
  let o = 4;
  for (let segments = bytes.readUInt16BE(2); segments > 0; segments--) {
    const type = bytes[o]!;
    const asns = bytes.readUInt16BE(o + 1);
    o += 3 + 4 * asns;
    if (type === SEQUENCE) origin = asns > 0 ? bytes.readUInt32BE(o - 4) : undefined;
    else if (type === SET) origin = undefined;
  }
  return origin;
}

/**
 * What the decision process reads of a packed set (decision.ts
 * `DecisionAttributes`: the path length as `asPathLength` counts it, the
 * neighbor AS as documented there); the set's bytes start at `at` (the
 * attribute store reads them in its arena).
 */
export function packedDecisionAttributes(bytes: Buffer, at = 0): DecisionAttributes {
  const present = bytes[at + 1]!;
  let asPathLength = 0;
  let neighborAs: number | undefined;
  // The first AS_SEQUENCE or AS_SET decides the neighbor AS: a sequence's first AS (none if empty), none for a set.
  let neighborFound = false;
  let o = at + 4;
  for (let segments = bytes.readUInt16BE(at + 2); segments > 0; segments--) {
    const type = bytes[o]!;
    const asns = bytes.readUInt16BE(o + 1);
    if (type === SEQUENCE || type === SET) {
      asPathLength += type === SEQUENCE ? asns : 1;
      if (!neighborFound && type === SEQUENCE && asns > 0) neighborAs = bytes.readUInt32BE(o + 3);
      neighborFound = true;
    }
    o += 3 + 4 * asns;
  }
  let med: number | undefined;
  if (present & HAS_MED) {
    med = bytes.readUInt32BE(o);
    o += 4;
  }
  const localPref = present & HAS_LOCAL_PREF ? bytes.readUInt32BE(o) : undefined;
  return { origin: ORIGINS[bytes[at]!]!, localPref, asPathLength, med, neighborAs };
}

/** Whether a packed set carries the community (RFC 1997, as a 32-bit value). */
export function packedHasCommunity(bytes: Buffer, community: number): boolean {
  const present = bytes[1]!;
  if (!(present & HAS_COMMUNITIES)) return false;
  let o = listsOffset(bytes, present);
  const end = o + 2 + 4 * bytes.readUInt16BE(o);
  for (o += 2; o < end; o += 4) if (bytes.readUInt32BE(o) === community) return true;
  return false;
}

/** Whether a packed set carries the large community (RFC 8092). */
export function packedHasLargeCommunity(bytes: Buffer, large: LargeCommunity): boolean {
  const present = bytes[1]!;
  if (!(present & HAS_LARGE_COMMUNITIES)) return false;
  let o = listsOffset(bytes, present);
  if (present & HAS_COMMUNITIES) o += 2 + 4 * bytes.readUInt16BE(o);
  const end = o + 2 + 12 * bytes.readUInt16BE(o);
  const [global, local1, local2] = large;
  for (o += 2; o < end; o += 12) {
    if (bytes.readUInt32BE(o) === global && bytes.readUInt32BE(o + 4) === local1 && bytes.readUInt32BE(o + 8) === local2) return true;
  }
  return false;
}

/** Where the lists (communities, large communities, unknown attributes) of a packed set start, past its fixed fields. */
function listsOffset(bytes: Buffer, present: number): number {
  let o = 4;
  for (let segments = bytes.readUInt16BE(2); segments > 0; segments--) o += 3 + 4 * bytes.readUInt16BE(o + 1);
  if (present & HAS_MED) o += 4;
  if (present & HAS_LOCAL_PREF) o += 4;
  if (present & HAS_AGGREGATOR) o += 4 + packedAddressLength(bytes[o + 4]!);
  if (present & HAS_LINK_LOCAL) o += packedAddressLength(bytes[o]!);
  return o;
}

function packedAddressLength(family: number): number {
  return family === 4 ? 5 : 17;
}
