import type { Address } from '../../common/prefix.js';
import type { AsPathSegmentType, Origin, RouteAttributes } from './attributes.js';
import { ByteArena } from './byte-arena.js';
import { HashChains } from './hash-chains.js';
import { RecentlyBuilt } from './recently-built.js';
import type { DecisionAttributes } from './decision.js';
import { PackBuffer, packAttributes, packedDecisionAttributes, unpackAttributes } from './packed-attributes.js';
import { RefCountedIds } from './ref-counted-ids.js';

/**
 * Interns attribute sets: equal sets get one id, counted by reference so
 * that a set disappears with its last route. A full table has about 218k
 * distinct sets for a million prefixes (ANCHORS.md), which is what keeps the
 * RIB small. Each set is kept packed (`packed-attributes.ts`) in one byte
 * arena, its next hop beside it as a shared object, and found by a hash of
 * its bytes: as objects, the sets were most of a full table's heap. A set is
 * built again when it is read; the ones read last stay built, so that reading
 * the sets of a few routes over and over builds nothing.
 */
export class AttributeStore {
  private readonly chains = new HashChains();
  private readonly packed = new ByteArena();
  private nextHops: (Address | undefined)[] = [];
  private readonly ids = new RefCountedIds('attribute set');
  /** Next hops are few (one per neighbour): stored sets share one object for each, found by family and value. */
  private readonly sharedNextHops = { 4: new Map<bigint, Address>(), 6: new Map<bigint, Address>() };
  private readonly scratch = new PackBuffer();
  private readonly built = new RecentlyBuilt<RouteAttributes>();
  private lastNextHop: Address | undefined;

  /** Distinct attribute sets held. */
  get size(): number {
    return this.ids.size;
  }

  /**
   * The id of `attributes`, taking one reference to it. With `localPref`,
   * the set stored is `attributes` with that LOCAL_PREF (import policy's).
   */
  intern(attributes: RouteAttributes, options: { localPref?: number } = {}): number {
    const bytes = this.scratch;
    packAttributes(attributes, bytes, options);
    const hash = mixAddress(bytesHash(bytes), attributes.nextHop);
    for (let id = this.chains.first(hash); id >= 0; id = this.chains.next(id)) {
      if (this.packed.matches(id, bytes) && sameAddress(this.nextHops[id]!, attributes.nextHop)) {
        this.ids.retain(id);
        return id;
      }
    }
    const id = this.ids.take();
    this.packed.set(id, bytes);
    this.nextHops[id] = this.sharedNextHop(attributes.nextHop);
    this.chains.add(id, hash);
    return id;
  }

  retain(id: number): void {
    this.ids.retain(id);
  }

  release(id: number): void {
    if (!this.ids.release(id)) return;
    this.chains.remove(id);
    this.packed.drop(id);
    this.nextHops[id] = undefined;
    this.built.delete(id);
  }

  get(id: number): RouteAttributes {
    const nextHop = this.nextHop(id);
    const known = this.built.get(id);
    if (known) return known;
    const attributes = unpackAttributes(this.packed.get(id)!, nextHop);
    this.built.keep(id, attributes);
    return attributes;
  }

  /**
   * The set as packed (`packed-attributes.ts`), next hop aside, without
   * building it: for tests of one attribute over many sets. A view, valid
   * until the set is released.
   */
  packedOf(id: number): Buffer {
    const bytes = this.ids.held(id) ? this.packed.get(id) : undefined;
    if (!bytes) throw new Error(`attribute set ${id} is not held`);
    return bytes;
  }

  /** What the decision process compares of the set, read where it is packed: neither the set nor a view of its bytes is made. */
  decisionAttributes(id: number): DecisionAttributes {
    const read = this.ids.held(id) ? this.packed.read(id, packedDecisionAttributes) : undefined;
    if (!read) throw new Error(`attribute set ${id} is not held`);
    return read;
  }

  /** The set's next hop alone, without building the set (the FIB asks for nothing else). */
  nextHop(id: number): Address {
    const nextHop = this.ids.held(id) ? this.nextHops[id] : undefined;
    if (!nextHop) throw new Error(`attribute set ${id} is not held`);
    return nextHop;
  }

  private sharedNextHop(nextHop: Address): Address {
    // A peer's sets mostly share its one next hop: looked up by bigint in a Map, it was about 1% of a full table's ingest.
    const last = this.lastNextHop;
    if (last && sameAddress(last, nextHop)) return last;
    const shared = this.lookUpNextHop(nextHop);
    this.lastNextHop = shared;
    return shared;
  }

  private lookUpNextHop(nextHop: Address): Address {
    const known = this.sharedNextHops[nextHop.family];
    const shared = known.get(nextHop.value);
    if (shared) return shared;
    if (known.size < MAX_SHARED_NEXT_HOPS) known.set(nextHop.value, nextHop);
    return nextHop;
  }
}

/** Next hops shared by stored sets; kept for good, so bounded (a next hop is one per neighbour, rarely more). */
const MAX_SHARED_NEXT_HOPS = 4096;

const ORIGIN_CODE: Record<Origin, number> = { igp: 0, egp: 1, incomplete: 2 };
const SEGMENT_CODE: Record<AsPathSegmentType, number> = { set: 0x101, sequence: 0x102, 'confed-sequence': 0x103, 'confed-set': 0x104 };

/** A 32-bit hash over every attribute; equal sets hash equal. */
export function attributesHash(a: RouteAttributes): number {
  let h = mix(0x2545f491, ORIGIN_CODE[a.origin]);
  for (const segment of a.asPath) {
    h = mix(h, SEGMENT_CODE[segment.type]);
    for (const asn of segment.asns) h = mix(h, asn);
  }
  h = mixAddress(h, a.nextHop);
  if (a.nextHopLinkLocal) h = mixAddress(h, a.nextHopLinkLocal);
  h = mix(h, a.med ?? -1);
  h = mix(h, a.localPref ?? -1);
  h = mix(h, a.atomicAggregate ? 1 : 0);
  if (a.aggregator) h = mixAddress(mix(h, a.aggregator.asn), a.aggregator.address);
  if (a.communities) for (const c of a.communities) h = mix(h, c);
  if (a.largeCommunities) for (const c of a.largeCommunities) h = mix(mix(mix(h, c[0]), c[1]), c[2]);
  if (a.unknown) for (const u of a.unknown) for (const byte of u.value) h = mix(h, byte + (u.type << 8));
  return h;
}

export function attributesEqual(a: RouteAttributes, b: RouteAttributes): boolean {
  if (a === b) return true;
  return (
    a.origin === b.origin &&
    a.med === b.med &&
    a.localPref === b.localPref &&
    (a.atomicAggregate ?? false) === (b.atomicAggregate ?? false) &&
    sameAddress(a.nextHop, b.nextHop) &&
    sameOptional(a.nextHopLinkLocal, b.nextHopLinkLocal, sameAddress) &&
    sameOptional(a.aggregator, b.aggregator, (x, y) => x.asn === y.asn && sameAddress(x.address, y.address)) &&
    sameList(a.asPath, b.asPath, (x, y) => x.type === y.type && sameList(x.asns, y.asns, (p, q) => p === q)) &&
    sameList(a.communities ?? [], b.communities ?? [], (x, y) => x === y) &&
    sameList(a.largeCommunities ?? [], b.largeCommunities ?? [], (x, y) => x[0] === y[0] && x[1] === y[1] && x[2] === y[2]) &&
    sameList(a.unknown ?? [], b.unknown ?? [], (x, y) => x.type === y.type && x.flags === y.flags && sameList(x.value, y.value, (p, q) => p === q))
  );
}

function mix(h: number, value: number): number {
  h = Math.imul(h ^ (value | 0), 0x9e3779b1);
  h ^= Math.floor(value / 0x100000000); // the high part of values above 32 bits
  return h ^ (h >>> 15);
}

/**
 * A 32-bit hash of the packed bytes of a set, four at a time. The words are
 * put together by hand: Buffer.readInt32BE checks its bounds on every call,
 * and that was a tenth of interning.
 */
function bytesHash(packed: PackBuffer): number {
  const { bytes, length } = packed;
  let h = 0x2545f491;
  let i = 0;
  for (; i + 4 <= length; i += 4) h = mix32(h, (bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!);
  for (; i < length; i++) h = mix32(h, bytes[i]!);
  return mix32(h, length);
}

/** `mix` for a value known to fit in 32 bits. */
function mix32(h: number, value: number): number {
  h = Math.imul(h ^ value, 0x9e3779b1);
  return h ^ (h >>> 15);
}

function mixAddress(h: number, address: Address): number {
  // An IPv4 value fits a number as it is: masking it would make a bigint per set.
  const low = address.family === 4 ? Number(address.value) : Number(address.value & 0xffffffffn);
  return mix32(mix32(h, address.family), low | 0);
}

function sameAddress(a: Address, b: Address): boolean {
  return a.family === b.family && a.value === b.value;
}

function sameOptional<T>(a: T | undefined, b: T | undefined, same: (x: T, y: T) => boolean): boolean {
  return a === undefined || b === undefined ? a === b : same(a, b);
}

function sameList<T>(a: ArrayLike<T>, b: ArrayLike<T>, same: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i]!, b[i]!)) return false;
  return true;
}
