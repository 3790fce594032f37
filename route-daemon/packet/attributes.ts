import { decodeIpv4Prefixes, decodeIpv6Prefixes, ipv4PrefixesSize, ipv6PrefixesSize, writeIpv4Prefixes, writeIpv6Prefixes } from './nlri.js';
import type { ByteSpan } from './nlri.js';
import { Afi, AS_TRANS, AsSegmentType, AttributeFlag, AttributeType, Safi } from './types.js';
import type {
  Aggregator,
  AsPathSegment,
  AttributeProblem,
  AttributeProblemKind,
  CodecOptions,
  LargeCommunity,
  MpReach,
  MpUnreach,
  Origin,
  PathAttributes,
  UnknownAttribute,
} from './types.js';

/**
 * Path attributes (RFC 4271 §4.3, §5; RFC 4760; RFC 6793; RFC 1997; RFC 8092).
 * Parsing records malformed attributes as AttributeProblems (RFC 7606 facts) and
 * leaves them out of the result; validate.ts decides what each problem means.
 */

/** An attribute shape being filled in, before it is handed out read-only. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function emptyAttributes(): PathAttributes {
  return {
    origin: null,
    asPath: null,
    nextHop: null,
    med: null,
    localPref: null,
    atomicAggregate: false,
    aggregator: null,
    communities: null,
    largeCommunities: null,
    mpReach: null,
    mpUnreach: null,
    unknown: [],
  };
}

const WELL_KNOWN = AttributeFlag.Transitive;
const OPTIONAL_TRANSITIVE = AttributeFlag.Optional | AttributeFlag.Transitive;
const OPTIONAL_NON_TRANSITIVE = AttributeFlag.Optional;

/** Optional and Transitive bits each known attribute must carry (RFC 7606 §3 c). */
const CATEGORY_FLAGS: ReadonlyMap<number, number> = new Map([
  [AttributeType.Origin, WELL_KNOWN],
  [AttributeType.AsPath, WELL_KNOWN],
  [AttributeType.NextHop, WELL_KNOWN],
  [AttributeType.MultiExitDisc, OPTIONAL_NON_TRANSITIVE],
  [AttributeType.LocalPref, WELL_KNOWN],
  [AttributeType.AtomicAggregate, WELL_KNOWN],
  [AttributeType.Aggregator, OPTIONAL_TRANSITIVE],
  [AttributeType.Communities, OPTIONAL_TRANSITIVE],
  [AttributeType.MpReachNlri, OPTIONAL_NON_TRANSITIVE],
  [AttributeType.MpUnreachNlri, OPTIONAL_NON_TRANSITIVE],
  [AttributeType.As4Path, OPTIONAL_TRANSITIVE],
  [AttributeType.As4Aggregator, OPTIONAL_TRANSITIVE],
  [AttributeType.LargeCommunities, OPTIONAL_TRANSITIVE],
]);

export const ATTRIBUTE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(AttributeType).map(([name, code]) => [code, name]),
);

export function attributeName(typeCode: number): string {
  return ATTRIBUTE_NAMES.get(typeCode) ?? `attribute ${typeCode}`;
}

export interface DecodedAttributes {
  readonly attributes: PathAttributes;
  readonly problems: AttributeProblem[];
}

interface Problem {
  readonly kind: AttributeProblemKind;
  readonly detail: string;
}
type Outcome<T> = { readonly value: T } | Problem;

function problem(kind: AttributeProblemKind, detail: string): Problem {
  return { kind, detail };
}

export function decodePathAttributes(buf: Buffer, span: ByteSpan, options: CodecOptions): DecodedAttributes {
  const a: Mutable<PathAttributes> = emptyAttributes() as Mutable<PathAttributes>;
  const unknown: UnknownAttribute[] = [];
  const problems: AttributeProblem[] = [];
  const seen: number[] = [];
  let as4Path: AsPathSegment[] | null = null;
  let as4Aggregator: Aggregator | null = null;

  let i = span.start;
  while (i < span.end) {
    const attributeStart = i;
    const remaining = span.end - i;
    const flags = buf[i]!;
    const headerLength = flags & AttributeFlag.ExtendedLength ? 4 : 3;
    if (remaining < headerLength) {
      // RFC 7606 §4: too few octets left for an attribute header.
      const typeCode = remaining >= 2 ? buf[i + 1]! : 0;
      problems.push(record('length', typeCode, buf, i, span.end, `${remaining} octets left, too few for an attribute header`));
      break;
    }
    const typeCode = buf[i + 1]!;
    const length = headerLength === 4 ? buf.readUInt16BE(i + 2) : buf[i + 2]!;
    const start = i + headerLength;
    const end = start + length;
    if (end > span.end) {
      problems.push(
        record('length', typeCode, buf, i, span.end, `${attributeName(typeCode)} length ${length} runs past the attribute list`),
      );
      break;
    }
    i = end;
    if (seen.includes(typeCode)) {
      problems.push(record('duplicate', typeCode, buf, attributeStart, end, `${attributeName(typeCode)} appears more than once`));
      continue;
    }
    seen.push(typeCode);

    const isAs4 = typeCode === AttributeType.As4Path || typeCode === AttributeType.As4Aggregator;
    // RFC 6793 §4.1: a four-octet speaker ignores AS4_* from another four-octet speaker.
    if (isAs4 && options.fourOctetAs) continue;

    const category = CATEGORY_FLAGS.get(typeCode);
    if (category === undefined) {
      if ((flags & AttributeFlag.Optional) === 0) {
        problems.push(record('unrecognized-well-known', typeCode, buf, attributeStart, end, `well-known attribute ${typeCode} is not recognized`));
      } else {
        // Extended Length and the unused low bits are the encoder's business, not the attribute's.
        unknown.push({ flags: flags & 0xe0, typeCode, value: Buffer.from(buf.subarray(start, end)) });
      }
      continue;
    }
    if ((flags & OPTIONAL_TRANSITIVE) !== category) {
      problems.push(
        record('flags', typeCode, buf, attributeStart, end, `${attributeName(typeCode)} has flags 0x${flags.toString(16)}, Optional/Transitive should be 0x${category.toString(16)}`),
      );
      continue;
    }

    const value = { start, end };
    let outcome: Outcome<unknown>;
    switch (typeCode) {
      case AttributeType.Origin:
        outcome = decodeOrigin(buf, value);
        if ('value' in outcome) a.origin = outcome.value as Origin;
        break;
      case AttributeType.AsPath:
        outcome = decodeAsPath(buf, value, options.fourOctetAs ? 4 : 2);
        if ('value' in outcome) a.asPath = outcome.value as AsPathSegment[];
        break;
      case AttributeType.NextHop:
        outcome = decodeUint32(buf, value);
        if ('value' in outcome) a.nextHop = outcome.value as number;
        break;
      case AttributeType.MultiExitDisc:
        outcome = decodeUint32(buf, value);
        if ('value' in outcome) a.med = outcome.value as number;
        break;
      case AttributeType.LocalPref:
        outcome = decodeUint32(buf, value);
        if ('value' in outcome) a.localPref = outcome.value as number;
        break;
      case AttributeType.AtomicAggregate:
        outcome = length === 0 ? { value: true } : problem('length', `length is ${length}, expected 0`);
        if ('value' in outcome) a.atomicAggregate = true;
        break;
      case AttributeType.Aggregator:
        outcome = decodeAggregator(buf, value, options.fourOctetAs ? 4 : 2);
        if ('value' in outcome) a.aggregator = outcome.value as Aggregator;
        break;
      case AttributeType.Communities:
        outcome = decodeCommunities(buf, value);
        if ('value' in outcome) a.communities = outcome.value as number[];
        break;
      case AttributeType.LargeCommunities:
        outcome = decodeLargeCommunities(buf, value);
        if ('value' in outcome) a.largeCommunities = outcome.value as LargeCommunity[];
        break;
      case AttributeType.MpReachNlri: {
        const reach = decodeMpReach(buf, value, options);
        outcome = reach;
        if ('value' in reach) a.mpReach = reach.value;
        break;
      }
      case AttributeType.MpUnreachNlri:
        outcome = decodeMpUnreach(buf, value, options);
        if ('value' in outcome) a.mpUnreach = outcome.value as MpUnreach;
        break;
      case AttributeType.As4Path:
        outcome = decodeAs4Path(buf, value);
        if ('value' in outcome) as4Path = outcome.value as AsPathSegment[];
        break;
      default: // AttributeType.As4Aggregator
        outcome = decodeAggregator(buf, value, 4);
        if ('value' in outcome) as4Aggregator = outcome.value as Aggregator;
        break;
    }
    if (!('value' in outcome)) problems.push(record(outcome.kind, typeCode, buf, attributeStart, end, `${attributeName(typeCode)}: ${outcome.detail}`));
  }

  if (!options.fourOctetAs) mergeAs4(a, as4Path, as4Aggregator);
  if (unknown.length > 1) unknown.sort((x, y) => x.typeCode - y.typeCode);
  a.unknown = unknown;
  return { attributes: a, problems };
}

/** A problem with the attribute at `start`..`end` of `buf`, whose octets are copied for the NOTIFICATION's data. */
function record(kind: AttributeProblemKind, typeCode: number, buf: Buffer, start: number, end: number, detail: string): AttributeProblem {
  return { kind, typeCode, raw: Buffer.from(buf.subarray(start, end)), detail };
}

function decodeOrigin(buf: Buffer, span: ByteSpan): Outcome<number> {
  if (span.end - span.start !== 1) return problem('length', `length is ${span.end - span.start}, expected 1`);
  const origin = buf[span.start]!;
  return origin <= 2 ? { value: origin } : problem('value', `value ${origin} is not IGP (0), EGP (1) or INCOMPLETE (2)`);
}

function decodeUint32(buf: Buffer, span: ByteSpan): Outcome<number> {
  if (span.end - span.start !== 4) return problem('length', `length is ${span.end - span.start}, expected 4`);
  return { value: buf.readUInt32BE(span.start) };
}

/**
 * The unsigned 32-bit word at `at`, whose four octets the caller has checked
 * are there: Buffer.readUInt32BE checks again on every call, and a full
 * table's paths and communities are millions of words.
 */
function uint32At(buf: Buffer, at: number): number {
  return buf[at]! * 0x1000000 + ((buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!);
}

/** Parses AS_PATH segments with `asSize`-octet ASNs (RFC 4271 §4.3, RFC 7606 §7.2, RFC 7607). */
function decodeAsPath(buf: Buffer, span: ByteSpan, asSize: 2 | 4): Outcome<AsPathSegment[]> {
  const segments: AsPathSegment[] = [];
  let i = span.start;
  while (i < span.end) {
    if (span.end - i < 2) return problem('value', 'one octet left after the last segment');
    const type = buf[i]!;
    const count = buf[i + 1]!;
    if (type < AsSegmentType.AsSet || type > AsSegmentType.ConfedSet) return problem('value', `segment type ${type} is unknown`);
    if (count === 0) return problem('value', 'a segment has length 0');
    const end = i + 2 + count * asSize;
    if (end > span.end) return problem('value', `a segment of ${count} ASNs runs past the attribute`);
    const asns = new Array<number>(count);
    for (let k = 0; k < count; k++) {
      const asn = asSize === 4 ? uint32At(buf, i + 2 + 4 * k) : (buf[i + 2 + 2 * k]! << 8) | buf[i + 3 + 2 * k]!;
      if (asn === 0) return problem('value', 'contains AS 0');
      asns[k] = asn;
    }
    segments.push({ type: type as AsPathSegment['type'], asns });
    i = end;
  }
  return { value: segments };
}

function decodeAs4Path(buf: Buffer, span: ByteSpan): Outcome<AsPathSegment[]> {
  const path = decodeAsPath(buf, span, 4);
  if ('value' in path && path.value.some((s) => s.type === AsSegmentType.ConfedSequence || s.type === AsSegmentType.ConfedSet)) {
    return problem('value', 'contains a confederation segment');
  }
  return path;
}

function decodeAggregator(buf: Buffer, span: ByteSpan, asSize: 2 | 4): Outcome<Aggregator> {
  const length = span.end - span.start;
  if (length !== asSize + 4) return problem('length', `length is ${length}, expected ${asSize + 4}`);
  const asn = asSize === 4 ? buf.readUInt32BE(span.start) : buf.readUInt16BE(span.start);
  if (asn === 0) return problem('value', 'AS is 0');
  return { value: { asn, address: buf.readUInt32BE(span.start + asSize) } };
}

function decodeCommunities(buf: Buffer, span: ByteSpan): Outcome<number[]> {
  const length = span.end - span.start;
  if (length === 0 || length % 4 !== 0) return problem('length', `length is ${length}, expected a non-zero multiple of 4`);
  const communities = new Array<number>(length / 4);
  for (let k = 0; k < communities.length; k++) communities[k] = uint32At(buf, span.start + 4 * k);
  return { value: communities };
}

function decodeLargeCommunities(buf: Buffer, span: ByteSpan): Outcome<LargeCommunity[]> {
  const length = span.end - span.start;
  if (length === 0 || length % 12 !== 0) return problem('length', `length is ${length}, expected a non-zero multiple of 12`);
  const communities: LargeCommunity[] = [];
  for (let at = span.start; at < span.end; at += 12) {
    communities.push({ globalAdmin: buf.readUInt32BE(at), localData1: buf.readUInt32BE(at + 4), localData2: buf.readUInt32BE(at + 8) });
  }
  return { value: communities };
}

function familyNegotiated(options: CodecOptions, afi: number, safi: number): boolean {
  return options.families.some((f) => f.afi === afi && f.safi === safi);
}

function readIpv6(buf: Buffer, at: number): bigint {
  return (buf.readBigUInt64BE(at) << 64n) | buf.readBigUInt64BE(at + 8);
}

type MpReachOutcome = { readonly value: MpReach; readonly nlriStart: number } | Problem;

function decodeMpReach(buf: Buffer, span: ByteSpan, options: CodecOptions): MpReachOutcome {
  const length = span.end - span.start;
  if (length < 5) return problem('length', `length is ${length}, shorter than the 5-octet minimum`);
  const afi = buf.readUInt16BE(span.start);
  const safi = buf[span.start + 2]!;
  const nextHopLength = buf[span.start + 3]!;
  const nextHopAt = span.start + 4;
  const nlriStart = nextHopAt + nextHopLength + 1; // one reserved octet after the next hop
  if (nlriStart > span.end) return problem('value', `next-hop length ${nextHopLength} runs past the attribute`);
  if (!familyNegotiated(options, afi, safi)) return problem('unsupported-family', `AFI ${afi} SAFI ${safi} was not negotiated`);
  const nlri = { start: nlriStart, end: span.end };
  if (afi === Afi.Ipv6 && safi === Safi.Unicast) {
    if (nextHopLength !== 16 && nextHopLength !== 32) return problem('value', `IPv6 next-hop length is ${nextHopLength}, expected 16 or 32`);
    const prefixes = decodeIpv6Prefixes(buf, nlri);
    if (!prefixes.ok) return problem('value', prefixes.error);
    const linkLocalNextHop = nextHopLength === 32 ? readIpv6(buf, nextHopAt + 16) : null;
    return { value: { afi, safi, nextHop: readIpv6(buf, nextHopAt), linkLocalNextHop, prefixes: prefixes.prefixes }, nlriStart };
  }
  if (afi === Afi.Ipv4 && safi === Safi.Unicast) {
    if (nextHopLength !== 4) return problem('value', `IPv4 next-hop length is ${nextHopLength}, expected 4`);
    const prefixes = decodeIpv4Prefixes(buf, nlri);
    if (!prefixes.ok) return problem('value', prefixes.error);
    return { value: { afi, safi, nextHop: buf.readUInt32BE(nextHopAt), linkLocalNextHop: null, prefixes: prefixes.prefixes }, nlriStart };
  }
  return problem('unsupported-family', `AFI ${afi} SAFI ${safi} is not supported`);
}

function decodeMpUnreach(buf: Buffer, span: ByteSpan, options: CodecOptions): Outcome<MpUnreach> {
  const length = span.end - span.start;
  if (length < 3) return problem('length', `length is ${length}, shorter than the 3-octet minimum`);
  const afi = buf.readUInt16BE(span.start);
  const safi = buf[span.start + 2]!;
  if (!familyNegotiated(options, afi, safi)) return problem('unsupported-family', `AFI ${afi} SAFI ${safi} was not negotiated`);
  const nlri = { start: span.start + 3, end: span.end };
  if (afi === Afi.Ipv6 && safi === Safi.Unicast) {
    const prefixes = decodeIpv6Prefixes(buf, nlri);
    return prefixes.ok ? { value: { afi, safi, prefixes: prefixes.prefixes } } : problem('value', prefixes.error);
  }
  if (afi === Afi.Ipv4 && safi === Safi.Unicast) {
    const prefixes = decodeIpv4Prefixes(buf, nlri);
    return prefixes.ok ? { value: { afi, safi, prefixes: prefixes.prefixes } } : problem('value', prefixes.error);
  }
  return problem('unsupported-family', `AFI ${afi} SAFI ${safi} is not supported`);
}

/** Number of ASNs a path counts for (RFC 4271 §9.1.2.2: a set counts one, confederation segments none). */
export function asPathLength(path: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of path) {
    if (s.type === AsSegmentType.AsSequence) n += s.asns.length;
    else if (s.type === AsSegmentType.AsSet) n += 1;
  }
  return n;
}

/** RFC 6793 §4.2.3: rebuild the four-octet path and aggregator from an old (two-octet) speaker's UPDATE. */
function mergeAs4(a: Mutable<PathAttributes>, as4Path: AsPathSegment[] | null, as4Aggregator: Aggregator | null): void {
  if (as4Aggregator !== null && a.aggregator !== null) {
    if (a.aggregator.asn !== AS_TRANS) return; // AS4_AGGREGATOR and AS4_PATH are both ignored
    a.aggregator = as4Aggregator;
  }
  if (as4Path === null || a.asPath === null) return;
  let need = asPathLength(a.asPath) - asPathLength(as4Path);
  if (need < 0) return; // AS4_PATH longer than AS_PATH: ignore it
  const merged: AsPathSegment[] = [];
  for (const segment of a.asPath) {
    if (segment.type === AsSegmentType.ConfedSequence || segment.type === AsSegmentType.ConfedSet) {
      merged.push(segment);
    } else if (need <= 0) {
      break;
    } else if (segment.type === AsSegmentType.AsSet) {
      merged.push(segment);
      need -= 1;
    } else {
      const take = Math.min(need, segment.asns.length);
      merged.push(take === segment.asns.length ? segment : { type: segment.type, asns: segment.asns.slice(0, take) });
      need -= take;
    }
  }
  a.asPath = [...merged, ...as4Path];
}

// ---------------------------------------------------------------------------
// Encoding

interface EncodedAttribute {
  readonly flags: number;
  readonly typeCode: number;
  readonly value: Buffer;
}

function uint32Value(n: number): Buffer {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(n >>> 0, 0);
  return value;
}

/** AS_PATH value; with 2-octet ASNs, larger ones become AS_TRANS. Segments over 255 ASNs are split. */
function encodeAsPath(path: readonly AsPathSegment[], asSize: 2 | 4): Buffer {
  const chunks: Buffer[] = [];
  for (const segment of path) {
    for (let from = 0; from < segment.asns.length; from += 255) {
      const asns = segment.asns.slice(from, from + 255);
      const chunk = Buffer.alloc(2 + asns.length * asSize);
      chunk[0] = segment.type;
      chunk[1] = asns.length;
      asns.forEach((asn, k) => {
        if (asSize === 4) chunk.writeUInt32BE(asn, 2 + 4 * k);
        else chunk.writeUInt16BE(asn > 0xffff ? AS_TRANS : asn, 2 + 2 * k);
      });
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks);
}

function encodeAggregator(aggregator: Aggregator, asSize: 2 | 4): Buffer {
  const value = Buffer.alloc(asSize + 4);
  if (asSize === 4) value.writeUInt32BE(aggregator.asn, 0);
  else value.writeUInt16BE(aggregator.asn > 0xffff ? AS_TRANS : aggregator.asn, 0);
  value.writeUInt32BE(aggregator.address, asSize);
  return value;
}

function writeIpv6(buf: Buffer, address: bigint, at: number): void {
  buf.writeBigUInt64BE(address >> 64n, at);
  buf.writeBigUInt64BE(address & 0xffffffffffffffffn, at + 8);
}

function encodeMpReach(reach: MpReach): Buffer {
  const nextHopLength = reach.afi === Afi.Ipv4 ? 4 : reach.linkLocalNextHop === null ? 16 : 32;
  const nlriSize = reach.afi === Afi.Ipv4 ? ipv4PrefixesSize(reach.prefixes) : ipv6PrefixesSize(reach.prefixes);
  const value = Buffer.alloc(5 + nextHopLength + nlriSize);
  value.writeUInt16BE(reach.afi, 0);
  value[2] = reach.safi;
  value[3] = nextHopLength;
  if (reach.afi === Afi.Ipv4) {
    value.writeUInt32BE(reach.nextHop, 4);
    writeIpv4Prefixes(value, reach.prefixes, 9);
  } else {
    writeIpv6(value, reach.nextHop, 4);
    if (reach.linkLocalNextHop !== null) writeIpv6(value, reach.linkLocalNextHop, 20);
    writeIpv6Prefixes(value, reach.prefixes, 5 + nextHopLength);
  }
  return value;
}

function encodeMpUnreach(unreach: MpUnreach): Buffer {
  const nlriSize = unreach.afi === Afi.Ipv4 ? ipv4PrefixesSize(unreach.prefixes) : ipv6PrefixesSize(unreach.prefixes);
  const value = Buffer.alloc(3 + nlriSize);
  value.writeUInt16BE(unreach.afi, 0);
  value[2] = unreach.safi;
  if (unreach.afi === Afi.Ipv4) writeIpv4Prefixes(value, unreach.prefixes, 3);
  else writeIpv6Prefixes(value, unreach.prefixes, 3);
  return value;
}

function hasWideAsn(path: readonly AsPathSegment[]): boolean {
  return path.some((s) => s.asns.some((asn) => asn > 0xffff));
}

function knownAttributes(a: PathAttributes, options: CodecOptions): EncodedAttribute[] {
  const asSize = options.fourOctetAs ? 4 : 2;
  const out: EncodedAttribute[] = [];
  if (a.origin !== null) out.push({ flags: WELL_KNOWN, typeCode: AttributeType.Origin, value: Buffer.from([a.origin]) });
  if (a.asPath !== null) out.push({ flags: WELL_KNOWN, typeCode: AttributeType.AsPath, value: encodeAsPath(a.asPath, asSize) });
  if (a.nextHop !== null) out.push({ flags: WELL_KNOWN, typeCode: AttributeType.NextHop, value: uint32Value(a.nextHop) });
  if (a.med !== null) out.push({ flags: OPTIONAL_NON_TRANSITIVE, typeCode: AttributeType.MultiExitDisc, value: uint32Value(a.med) });
  if (a.localPref !== null) out.push({ flags: WELL_KNOWN, typeCode: AttributeType.LocalPref, value: uint32Value(a.localPref) });
  if (a.atomicAggregate) out.push({ flags: WELL_KNOWN, typeCode: AttributeType.AtomicAggregate, value: Buffer.alloc(0) });
  if (a.aggregator !== null) {
    out.push({ flags: OPTIONAL_TRANSITIVE, typeCode: AttributeType.Aggregator, value: encodeAggregator(a.aggregator, asSize) });
  }
  if (a.communities !== null) {
    const value = Buffer.alloc(4 * a.communities.length);
    a.communities.forEach((c, k) => value.writeUInt32BE(c >>> 0, 4 * k));
    out.push({ flags: OPTIONAL_TRANSITIVE, typeCode: AttributeType.Communities, value });
  }
  if (a.mpReach !== null) out.push({ flags: OPTIONAL_NON_TRANSITIVE, typeCode: AttributeType.MpReachNlri, value: encodeMpReach(a.mpReach) });
  if (a.mpUnreach !== null) {
    out.push({ flags: OPTIONAL_NON_TRANSITIVE, typeCode: AttributeType.MpUnreachNlri, value: encodeMpUnreach(a.mpUnreach) });
  }
  if (!options.fourOctetAs) {
    // RFC 6793 §4.2.2: carry the real ASNs past an old speaker.
    if (a.asPath !== null && hasWideAsn(a.asPath)) {
      const path = a.asPath.filter((s) => s.type === AsSegmentType.AsSequence || s.type === AsSegmentType.AsSet);
      out.push({ flags: OPTIONAL_TRANSITIVE, typeCode: AttributeType.As4Path, value: encodeAsPath(path, 4) });
    }
    if (a.aggregator !== null && a.aggregator.asn > 0xffff) {
      out.push({ flags: OPTIONAL_TRANSITIVE, typeCode: AttributeType.As4Aggregator, value: encodeAggregator(a.aggregator, 4) });
    }
  }
  if (a.largeCommunities !== null) {
    const value = Buffer.alloc(12 * a.largeCommunities.length);
    a.largeCommunities.forEach((c, k) => {
      value.writeUInt32BE(c.globalAdmin, 12 * k);
      value.writeUInt32BE(c.localData1, 12 * k + 4);
      value.writeUInt32BE(c.localData2, 12 * k + 8);
    });
    out.push({ flags: OPTIONAL_TRANSITIVE, typeCode: AttributeType.LargeCommunities, value });
  }
  return out;
}

/** The Path Attributes field for `attributes`, in ascending type order (RFC 4271 §5). */
export function encodePathAttributes(attributes: PathAttributes, options: CodecOptions): Buffer {
  const all = [...knownAttributes(attributes, options), ...attributes.unknown].sort((x, y) => x.typeCode - y.typeCode);
  let size = 0;
  for (const attr of all) size += (attr.value.length > 255 ? 4 : 3) + attr.value.length;
  const buf = Buffer.alloc(size);
  let o = 0;
  for (const attr of all) {
    const extended = attr.value.length > 255;
    buf[o] = (attr.flags & 0xe0) | (extended ? AttributeFlag.ExtendedLength : 0);
    buf[o + 1] = attr.typeCode;
    if (extended) {
      buf.writeUInt16BE(attr.value.length, o + 2);
      o += 4;
    } else {
      buf[o + 2] = attr.value.length;
      o += 3;
    }
    o += attr.value.copy(buf, o);
  }
  return buf;
}

/**
 * The unknown attributes to send on with a route (RFC 4271 §5, §9.1.2.2 note):
 * optional transitive ones with the Partial bit set, optional non-transitive ones dropped.
 */
export function forwardableUnknownAttributes(unknown: readonly UnknownAttribute[]): UnknownAttribute[] {
  return unknown
    .filter((u) => (u.flags & OPTIONAL_TRANSITIVE) === OPTIONAL_TRANSITIVE)
    .map((u) => ({ ...u, flags: u.flags | AttributeFlag.Partial }));
}
