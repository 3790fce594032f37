import type { Address, Prefix } from '../../common/prefix.js';
import { encodeMessage } from '../packet/codec.js';
import { ipv4PrefixToPrefix, ipv6PrefixToPrefix, prefixToNlri } from '../packet/nlri.js';
import {
  Afi,
  AsSegmentType,
  AttributeFlag,
  MessageType,
  Origin as WireOrigin,
  Safi,
  type AsPathSegment as WireSegment,
  type CodecOptions,
  type Ipv4Prefix,
  type Ipv6Prefix,
  type PathAttributes,
  type UpdateMessage,
} from '../packet/types.js';
import { AttributesTooLarge, encodeIpv4Announcements, encodeIpv4Withdrawals, encodeIpv6Announcements, type Ipv6Announcement } from '../packet/update.js';
import { emptyAttributes, encodePathAttributes, type Mutable } from '../packet/attributes.js';
import type { AsPathSegment, AsPathSegmentType, Origin, RouteAttributes } from '../routing/attributes.js';
import type { AddressFamily, AnnouncedGroup, ExportBatch, RouteUpdate } from '../routing/instance.js';

/**
 * Between the codec's compact wire shapes (prefixes as numbers and keyed
 * strings, numeric codes) and the routing core's typed ones (named origins
 * and segment types, common Prefix and Address). The session calls these once
 * per UPDATE in each direction.
 */

const ORIGIN_NAMES: readonly Origin[] = ['igp', 'egp', 'incomplete'];
const ORIGIN_CODES: Readonly<Record<Origin, WireOrigin>> = { igp: WireOrigin.Igp, egp: WireOrigin.Egp, incomplete: WireOrigin.Incomplete };
const SEGMENT_NAMES: Readonly<Record<number, AsPathSegmentType>> = {
  [AsSegmentType.AsSet]: 'set',
  [AsSegmentType.AsSequence]: 'sequence',
  [AsSegmentType.ConfedSequence]: 'confed-sequence',
  [AsSegmentType.ConfedSet]: 'confed-set',
};
const SEGMENT_CODES: Readonly<Record<AsPathSegmentType, WireSegment['type']>> = {
  set: AsSegmentType.AsSet,
  sequence: AsSegmentType.AsSequence,
  'confed-sequence': AsSegmentType.ConfedSequence,
  'confed-set': AsSegmentType.ConfedSet,
};

/**
 * The last IPv4 address made, given again while the number is the same: a
 * peer's UPDATEs mostly share one NEXT_HOP, and making its bigint anew was 1%
 * of a full-table ingest. Addresses are read-only, so sharing one is safe.
 */
let lastIpv4 = { number: 0, address: { family: 4, value: 0n } as Address };

function ipv4Address(value: number): Address {
  if (value !== lastIpv4.number) lastIpv4 = { number: value, address: { family: 4, value: BigInt(value) } };
  return lastIpv4.address;
}
const ipv6Address = (value: bigint): Address => ({ family: 6, value });

/** The routing core's view of received attributes, with the next hop of the NLRI they go with. */
function routeAttributes(a: PathAttributes, nextHop: Address, nextHopLinkLocal: Address | undefined): RouteAttributes {
  // Optional fields set one by one, not spread in: built with spreads, this function was 2% of a full-table ingest (CPU profile).
  const out: Mutable<RouteAttributes> = {
    origin: ORIGIN_NAMES[a.origin ?? WireOrigin.Incomplete] ?? 'incomplete',
    asPath: (a.asPath ?? []).map((s): AsPathSegment => ({ type: SEGMENT_NAMES[s.type] ?? 'sequence', asns: s.asns })),
    nextHop,
  };
  if (nextHopLinkLocal) out.nextHopLinkLocal = nextHopLinkLocal;
  if (a.med !== null) out.med = a.med;
  if (a.localPref !== null) out.localPref = a.localPref;
  if (a.atomicAggregate) out.atomicAggregate = true;
  if (a.aggregator) out.aggregator = { asn: a.aggregator.asn, address: ipv4Address(a.aggregator.address) };
  if (a.communities) out.communities = a.communities;
  if (a.largeCommunities) out.largeCommunities = a.largeCommunities.map((c) => [c.globalAdmin, c.localData1, c.localData2] as const);
  if (a.unknown.length > 0) out.unknown = a.unknown.map((u) => ({ flags: u.flags, type: u.typeCode, value: u.value }));
  return out;
}

function mpPrefixes(mp: NonNullable<PathAttributes['mpUnreach']>): Prefix[] {
  return mp.afi === Afi.Ipv6 ? mp.prefixes.map(ipv6PrefixToPrefix) : mp.prefixes.map(ipv4PrefixToPrefix);
}

/**
 * One received UPDATE as the routing core takes it. `attributes` are the
 * validator's (discarded attributes removed); with `treatAsWithdraw` every
 * announced prefix is withdrawn instead (RFC 7606 §2). The UPDATE's own IPv4
 * fields stay packed (RouteUpdate explains why); MP_REACH/MP_UNREACH NLRI
 * become Prefixes.
 */
export function routeUpdate(update: UpdateMessage, options: { attributes: PathAttributes; treatAsWithdraw: boolean }): RouteUpdate {
  const a = options.attributes;
  const withdrawn: Prefix[] = update.attributes.mpUnreach ? mpPrefixes(update.attributes.mpUnreach) : [];
  const reach = update.attributes.mpReach;
  if (options.treatAsWithdraw) {
    if (reach) withdrawn.push(...mpPrefixes(reach));
    return { withdrawn, withdrawnIpv4: [...update.withdrawn, ...update.nlri], announced: [] };
  }
  const announced: AnnouncedGroup[] = [];
  if (update.nlri.length > 0 && a.nextHop !== null) {
    announced.push({ attributes: routeAttributes(a, ipv4Address(a.nextHop), undefined), prefixes: [], ipv4: update.nlri });
  }
  const mp = a.mpReach;
  if (mp && mp.prefixes.length > 0) {
    const nextHop = mp.afi === Afi.Ipv6 ? ipv6Address(mp.nextHop) : ipv4Address(mp.nextHop);
    const linkLocal = mp.afi === Afi.Ipv6 && mp.linkLocalNextHop !== null ? ipv6Address(mp.linkLocalNextHop) : undefined;
    announced.push({ attributes: routeAttributes(a, nextHop, linkLocal), prefixes: mpPrefixes(mp) });
  }
  return { withdrawn, withdrawnIpv4: update.withdrawn, announced };
}

/**
 * An End-of-RIB marker (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an
 * UPDATE holding only an empty MP_UNREACH_NLRI for other families.
 */
export function endOfRibFamily(update: UpdateMessage): AddressFamily | undefined {
  const a = update.attributes;
  if (update.withdrawn.length > 0 || update.nlri.length > 0) return undefined;
  if (a.origin !== null || a.asPath !== null || a.nextHop !== null || a.mpReach !== null) return undefined;
  if (a.mpUnreach === null) return update.attributeLength === 0 ? 'ipv4-unicast' : undefined;
  if (a.mpUnreach.prefixes.length > 0 || a.mpUnreach.safi !== Safi.Unicast) return undefined;
  return a.mpUnreach.afi === Afi.Ipv4 ? 'ipv4-unicast' : 'ipv6-unicast';
}

function updateMessage(attributes: PathAttributes): UpdateMessage {
  return { type: MessageType.Update, withdrawn: [], attributes, nlri: [], attributeLength: 0, problems: [] };
}

/** ::ffff:a.b.c.d, for an IPv6 route announced over a session that has only an IPv4 address of ours. */
function asIpv6(address: Address): bigint {
  return address.family === 6 ? address.value : 0xffff00000000n | address.value;
}

function wireAttributes(a: RouteAttributes): PathAttributes {
  return {
    ...emptyAttributes(),
    origin: ORIGIN_CODES[a.origin],
    asPath: a.asPath.map((s) => ({ type: SEGMENT_CODES[s.type], asns: s.asns })),
    med: a.med ?? null,
    localPref: a.localPref ?? null,
    atomicAggregate: a.atomicAggregate ?? false,
    aggregator: a.aggregator ? { asn: a.aggregator.asn, address: Number(a.aggregator.address.value) } : null,
    communities: a.communities && a.communities.length > 0 ? a.communities : null,
    largeCommunities: a.largeCommunities && a.largeCommunities.length > 0
      ? a.largeCommunities.map(([globalAdmin, localData1, localData2]) => ({ globalAdmin, localData1, localData2 }))
      : null,
    // Unknown optional transitive attributes travel on with the Partial bit (RFC 4271 §5).
    unknown: (a.unknown ?? [])
      .filter((u) => (u.flags & AttributeFlag.Optional) !== 0 && (u.flags & AttributeFlag.Transitive) !== 0)
      .map((u) => ({ flags: u.flags | AttributeFlag.Partial, typeCode: u.type, value: Buffer.from(u.value) })),
  };
}

/**
 * The Path Attributes field of an outgoing set with IPv4 NLRI, or nothing
 * when its next hop is not IPv4 (such routes do not go out as IPv4 NLRI).
 * Through the routing core's cache when there is one: a set is then encoded
 * once for all peers with the same AS number size, not per peer and batch.
 */
function ipv4PathAttributes(group: ExportBatch['announced'][number], codec: CodecOptions): Buffer {
  const encode = (): Buffer => {
    const { attributes } = group;
    if (attributes.nextHop.family !== 4) return Buffer.alloc(0);
    return encodePathAttributes({ ...wireAttributes(attributes), nextHop: Number(attributes.nextHop.value) }, codec);
  };
  return group.encodings ? group.encodings(codec.fourOctetAs ? 'ipv4 as4' : 'ipv4 as2', encode) : encode();
}

/** The packed IPv4 prefixes and those made from Prefixes, one list (without a copy when one is empty). */
function joined(packed: readonly Ipv4Prefix[] | undefined, more: Ipv4Prefix[]): readonly Ipv4Prefix[] {
  if (!packed || packed.length === 0) return more;
  return more.length === 0 ? packed : [...packed, ...more];
}

/** IPv6 prefixes per MP_UNREACH UPDATE: at most 17 octets each, so 150 stay under 2,600 octets. */
const IPV6_WITHDRAWALS_PER_UPDATE = 150;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function endOfRibMessage(family: AddressFamily): Buffer {
  const unreach = family === 'ipv4-unicast' ? null : { afi: Afi.Ipv6, safi: Safi.Unicast, prefixes: [] as Ipv6Prefix[] };
  return encodeMessage(updateMessage({ ...emptyAttributes(), mpUnreach: unreach }), { fourOctetAs: true, families: [] });
}

/** Routes that could not go out to a peer: their attributes leave no room for a prefix in an UPDATE. */
export interface TooLargeRoutes {
  prefixes: readonly Prefix[];
  /** The Path Attributes field's octets for this peer. */
  octets: number;
}

interface ExportOptions {
  families: readonly AddressFamily[];
  codec: CodecOptions;
  tooLarge?: (routes: TooLargeRoutes) => void;
}

/** One pass and one array per family: this runs for every prefix sent to every peer. */
function nlriOf(prefixes: readonly Prefix[], family: 4 | 6): (Ipv4Prefix | Ipv6Prefix)[] {
  const out: (Ipv4Prefix | Ipv6Prefix)[] = [];
  for (const p of prefixes) if (p.family === family) out.push(prefixToNlri(p));
  return out;
}

function pushWithdrawals(out: Buffer[], ipv4: readonly Ipv4Prefix[], ipv6: readonly Ipv6Prefix[], codec: CodecOptions): void {
  if (ipv4.length > 0) out.push(...encodeIpv4Withdrawals(ipv4));
  for (const part of chunks(ipv6, IPV6_WITHDRAWALS_PER_UPDATE)) {
    out.push(encodeMessage(updateMessage({ ...emptyAttributes(), mpUnreach: { afi: Afi.Ipv6, safi: Safi.Unicast, prefixes: part } }), codec));
  }
}

/**
 * Pushes the messages `encode` makes; when the attributes are too large,
 * adds the prefixes to `unsent` instead and tells `options.tooLarge`.
 */
function pushAnnouncements<P extends Ipv4Prefix | Ipv6Prefix>(out: Buffer[], prefixes: readonly P[], encode: () => Buffer[], unsent: P[], options: ExportOptions): void {
  let messages: Buffer[];
  try {
    messages = encode();
  } catch (err) {
    if (!(err instanceof AttributesTooLarge)) throw err;
    unsent.push(...prefixes);
    const routes = prefixes.map((p) => (typeof p === 'number' ? ipv4PrefixToPrefix(p) : ipv6PrefixToPrefix(p as Ipv6Prefix)));
    options.tooLarge?.({ prefixes: routes, octets: err.octets });
    return;
  }
  out.push(...messages);
}

/**
 * The UPDATE messages, encoded, for one export batch: withdrawals first, then
 * the announcements per attribute set and family, then End-of-RIB markers.
 * Families the session did not negotiate are left out. A route whose
 * attributes do not fit one UPDATE is withdrawn instead, as BIRD and FRR do,
 * so that the peer keeps no older version of it; `tooLarge` hears of it.
 */
export function encodeExport(batch: ExportBatch, options: ExportOptions): Buffer[] {
  const { codec } = options;
  const v4 = options.families.includes('ipv4-unicast');
  const v6 = options.families.includes('ipv6-unicast');
  const out: Buffer[] = [];
  const withdrawn4 = v4 ? joined(batch.withdrawnIpv4, nlriOf(batch.withdrawn, 4) as Ipv4Prefix[]) : [];
  pushWithdrawals(out, withdrawn4, v6 ? (nlriOf(batch.withdrawn, 6) as Ipv6Prefix[]) : [], codec);
  const unsent4: Ipv4Prefix[] = [];
  const unsent6: Ipv6Prefix[] = [];
  for (const group of batch.announced) {
    const p4 = v4 ? joined(group.ipv4, nlriOf(group.prefixes, 4) as Ipv4Prefix[]) : [];
    const encoded = p4.length > 0 ? ipv4PathAttributes(group, codec) : undefined;
    if (encoded && encoded.length > 0) pushAnnouncements(out, p4, () => encodeIpv4Announcements({ attributes: encoded, prefixes: p4 }, codec), unsent4, options);
    const p6 = v6 ? (nlriOf(group.prefixes, 6) as Ipv6Prefix[]) : [];
    if (p6.length > 0) pushAnnouncements(out, p6, () => encodeIpv6Announcements(ipv6Announcement(group.attributes, p6), codec), unsent6, options);
  }
  if (unsent4.length > 0 || unsent6.length > 0) pushWithdrawals(out, unsent4, unsent6, codec);
  for (const family of batch.endOfRib) if (options.families.includes(family)) out.push(endOfRibMessage(family));
  return out;
}

function ipv6Announcement(attributes: RouteAttributes, prefixes: readonly Ipv6Prefix[]): Ipv6Announcement {
  const linkLocalNextHop = attributes.nextHopLinkLocal?.family === 6 ? attributes.nextHopLinkLocal.value : null;
  return { attributes: wireAttributes(attributes), nextHop: asIpv6(attributes.nextHop), linkLocalNextHop, prefixes };
}
