import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix, type Prefix } from '../../common/prefix.js';
import { decodeMessage } from '../packet/codec.js';
import { AttributeFlag, MessageType, type CodecOptions, type UpdateMessage } from '../packet/types.js';
import type { RouteAttributes } from '../routing/attributes.js';
import { withPacked, type ExportBatch, type RouteUpdate } from '../routing/instance.js';
import { encodeExport, endOfRibFamily, endOfRibMessage, routeUpdate, type TooLargeRoutes } from './translate.js';

const codec: CodecOptions = { fourOctetAs: true, families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }] };
const both = ['ipv4-unicast', 'ipv6-unicast'] as const;

const attrs: RouteAttributes = {
  origin: 'igp',
  asPath: [{ type: 'sequence', asns: [4200000001, 65010] }, { type: 'set', asns: [7, 8] }],
  nextHop: parseAddress('192.0.2.1'),
  med: 10,
  communities: [((65000 << 16) | 42) >>> 0],
  largeCommunities: [[4200000001, 1, 2]],
  unknown: [{ flags: AttributeFlag.Optional | AttributeFlag.Transitive, type: 99, value: Buffer.from([1, 2, 3]) }],
};

function batch(fields: Partial<ExportBatch>): ExportBatch {
  return { withdrawn: [], announced: [], endOfRib: [], ...fields };
}

function decode(messages: Buffer[]): UpdateMessage[] {
  return messages.map((m) => {
    const d = decodeMessage(m, codec);
    if (d.type !== MessageType.Update) throw new Error('not an UPDATE');
    return d;
  });
}

type Unpacked = { withdrawn: Prefix[]; announced: { attributes: RouteAttributes; prefixes: readonly Prefix[] }[] };

/** An update with its packed IPv4 prefixes made Prefixes, put first as the UPDATE carries them. */
function unpacked(update: RouteUpdate): Unpacked {
  return {
    withdrawn: withPacked(update.withdrawn, update.withdrawnIpv4),
    announced: update.announced.map((g) => ({ attributes: g.attributes, prefixes: withPacked(g.prefixes, g.ipv4) })),
  };
}

/** What the peer's routing core would get from the UPDATEs we send. */
function received(messages: Buffer[]): Unpacked {
  const all = decode(messages).map((m) => unpacked(routeUpdate(m, { attributes: m.attributes, treatAsWithdraw: false })));
  return { withdrawn: all.flatMap((u) => u.withdrawn), announced: all.flatMap((u) => u.announced) };
}

describe('export on the wire and back', () => {
  it('IPv4 routes keep every attribute; unknown transitive ones gain the Partial bit', () => {
    const p4 = [parsePrefix('198.51.100.0/24'), parsePrefix('203.0.113.0/25')];
    const msgs = encodeExport(batch({ announced: [{ attributes: attrs, prefixes: p4 }] }), { families: both, codec });
    expect(msgs).toHaveLength(1);
    const back = received(msgs);
    expect(back.announced[0]?.prefixes).toEqual(p4);
    const { unknown, ...rest } = back.announced[0]!.attributes;
    const { unknown: _sent, ...sent } = attrs;
    expect(rest).toEqual(sent);
    expect(unknown).toEqual([{ flags: 0xe0, type: 99, value: Buffer.from([1, 2, 3]) }]);
  });
  it('one attribute set sent to a two-octet-AS peer and a four-octet one is encoded for each', () => {
    const p4 = [parsePrefix('198.51.100.0/24')];
    const old: CodecOptions = { fourOctetAs: false, families: codec.families };
    const toOld = encodeExport(batch({ announced: [{ attributes: attrs, prefixes: p4 }] }), { families: both, codec: old });
    const toNew = encodeExport(batch({ announced: [{ attributes: attrs, prefixes: p4 }] }), { families: both, codec });
    // Two octets per ASN and AS4_PATH (RFC 6793) for the old speaker: other bytes, the same path once read back.
    expect(toOld[0]!.equals(toNew[0]!)).toBe(false);
    expect((decodeMessage(toOld[0]!, old) as UpdateMessage).attributes.asPath).toEqual([{ type: 2, asns: [4200000001, 65010] }, { type: 1, asns: [7, 8] }]);
    expect(received(toNew).announced[0]?.attributes.asPath).toEqual(attrs.asPath);
    expect(encodeExport(batch({ announced: [{ attributes: attrs, prefixes: p4 }] }), { families: both, codec: old })).toEqual(toOld);
    // Through the routing core's cache: one encoding per AS number size, whoever asks first.
    const cache = new Map<string, Buffer>();
    let encoded = 0;
    const encodings = (key: string, encode: () => Buffer): Buffer => cache.get(key) ?? (encoded++, cache.set(key, encode()).get(key)!);
    const cached = batch({ announced: [{ attributes: attrs, prefixes: p4, encodings }] });
    expect(encodeExport(cached, { families: both, codec: old })).toEqual(toOld);
    expect(encodeExport(cached, { families: both, codec })).toEqual(toNew);
    expect(encodeExport(cached, { families: both, codec })).toEqual(toNew);
    expect(encoded).toBe(2);
  });
  it('IPv6 routes go in MP_REACH_NLRI; an IPv4 next hop becomes ::ffff:a.b.c.d', () => {
    const p6 = [parsePrefix('2001:db8:1::/48')];
    const msgs = encodeExport(batch({ announced: [{ attributes: attrs, prefixes: p6 }] }), { families: both, codec });
    const [update] = decode(msgs);
    expect(update?.nlri).toEqual([]);
    expect(update?.attributes.mpReach?.prefixes).toEqual(['20010db8000100000000000000000000/48']);
    expect(received(msgs).announced[0]?.attributes.nextHop).toEqual(parseAddress('::ffff:192.0.2.1'));
  });
  it('withdrawals of both families come back as withdrawals', () => {
    const gone = [parsePrefix('10.0.0.0/8'), parsePrefix('2001:db8::/32')];
    expect(received(encodeExport(batch({ withdrawn: gone }), { families: both, codec })).withdrawn).toEqual(gone);
  });
  it('leaves out families the session did not negotiate, End-of-RIB included', () => {
    const msgs = encodeExport(
      batch({ withdrawn: [parsePrefix('10.0.0.0/8'), parsePrefix('2001:db8::/32')], endOfRib: ['ipv4-unicast', 'ipv6-unicast'] }),
      { families: ['ipv4-unicast'], codec },
    );
    expect(received(msgs).withdrawn).toEqual([parsePrefix('10.0.0.0/8')]);
    expect(decode(msgs).map(endOfRibFamily)).toEqual([undefined, 'ipv4-unicast']);
  });
  it('splits a large batch into UPDATEs that each fit in 4,096 octets', () => {
    const many = Array.from({ length: 3000 }, (_, i) => parsePrefix(`10.${i >> 8}.${i & 255}.0/24`));
    const many6 = Array.from({ length: 400 }, (_, i) => parsePrefix(`2001:db8:${i.toString(16)}::/48`));
    const msgs = encodeExport(batch({ announced: [{ attributes: attrs, prefixes: [...many, ...many6] }] }), { families: both, codec });
    expect(msgs.length).toBeGreaterThan(3);
    expect(Math.max(...msgs.map((m) => m.length))).toBeLessThanOrEqual(4096);
    expect(received(msgs).announced.flatMap((a) => a.prefixes)).toEqual([...many, ...many6]);
  });
  it('withdraws, and reports, routes whose attributes leave no room for a prefix; the rest of the batch goes out', () => {
    // 4,040 octets of an unknown attribute: under 4096 as received, over it with the rest of the attributes.
    const bulky: RouteAttributes = { ...attrs, unknown: [{ flags: 0xc0, type: 99, value: Buffer.alloc(4_040) }] };
    const tooLarge = [parsePrefix('198.51.100.0/24'), parsePrefix('2001:db8:1::/48')];
    const fine = [parsePrefix('203.0.113.0/24')];
    const reports: TooLargeRoutes[] = [];
    const msgs = encodeExport(batch({ announced: [{ attributes: bulky, prefixes: tooLarge }, { attributes: attrs, prefixes: fine }] }), {
      families: both,
      codec,
      tooLarge: (routes) => reports.push(routes),
    });
    const back = received(msgs);
    expect(back.announced.map((a) => a.prefixes)).toEqual([fine]);
    expect(back.withdrawn).toEqual(tooLarge);
    expect(reports.map((r) => r.prefixes)).toEqual([[tooLarge[0]], [tooLarge[1]]]);
    expect(reports.every((r) => r.octets > 4_069)).toBe(true);
  });
  it('treat-as-withdraw turns every announced prefix into a withdrawal', () => {
    const [update] = decode(encodeExport(batch({ announced: [{ attributes: attrs, prefixes: [parsePrefix('192.0.2.0/24'), parsePrefix('2001:db8::/32')] }] }), { families: both, codec }));
    const withdrawing = routeUpdate(update!, { attributes: update!.attributes, treatAsWithdraw: true });
    expect(unpacked(withdrawing)).toEqual({ withdrawn: [parsePrefix('192.0.2.0/24')], announced: [] });
  });
});

describe('End-of-RIB', () => {
  it('recognizes the markers of both families and nothing else', () => {
    expect(decode([endOfRibMessage('ipv4-unicast')]).map(endOfRibFamily)).toEqual(['ipv4-unicast']);
    expect(decode([endOfRibMessage('ipv6-unicast')]).map(endOfRibFamily)).toEqual(['ipv6-unicast']);
    expect(decode(encodeExport(batch({ withdrawn: [parsePrefix('2001:db8::/32')] }), { families: both, codec })).map(endOfRibFamily)).toEqual([undefined]);
  });
});
