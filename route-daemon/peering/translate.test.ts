import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix, type Prefix } from '../../common/prefix.js';
import { Afi, AttributeFlag, ipv4Prefix, type UpdateMessage } from '../packet/types.js';
import type { RouteAttributes } from '../routing/attributes.js';
import { endOfRibFamily, endOfRibMessage, exportMessages, ipv4FromPrefix, ipv6FromPrefix, prefixFromIpv4, prefixFromIpv6, routeUpdate } from './translate.js';

const attrs: RouteAttributes = {
  origin: 'igp',
  asPath: [{ type: 'sequence', asns: [4200000001, 65010] }, { type: 'set', asns: [7, 8] }],
  nextHop: parseAddress('192.0.2.1'),
  med: 10,
  communities: [(65000 << 16) | 42],
  largeCommunities: [[4200000001, 1, 2]],
  unknown: [{ flags: AttributeFlag.Optional | AttributeFlag.Transitive, type: 99, value: Buffer.from([1, 2, 3]) }],
};

/** Feeds the messages we would send back through the receive path, as the peer would see them. */
function received(messages: UpdateMessage[]): { withdrawn: Prefix[]; announced: { attributes: RouteAttributes; prefixes: Prefix[] }[] } {
  const all = messages.map((m) => routeUpdate(m, { attributes: m.attributes, treatAsWithdraw: false }));
  return { withdrawn: all.flatMap((u) => u.withdrawn), announced: all.flatMap((u) => u.announced.map((a) => ({ attributes: a.attributes, prefixes: [...a.prefixes] }))) };
}

describe('prefix shapes', () => {
  it('round-trips IPv4 and IPv6 prefixes between the codec and the routing core', () => {
    for (const text of ['0.0.0.0/0', '192.0.2.0/24', '255.255.255.255/32']) {
      const p = parsePrefix(text);
      expect(prefixFromIpv4(ipv4FromPrefix(p))).toEqual(p);
    }
    for (const text of ['::/0', '2001:db8::/32', 'fd00:1:2:3::/64', 'ffff::1/128']) {
      const p = parsePrefix(text);
      expect(prefixFromIpv6(ipv6FromPrefix(p))).toEqual(p);
    }
    expect(ipv6FromPrefix(parsePrefix('2001:db8::/32'))).toBe('20010db8000000000000000000000000/32');
    expect(ipv4FromPrefix(parsePrefix('192.0.2.0/24'))).toBe(ipv4Prefix(0xc0000200, 24));
  });
});

describe('export and receive', () => {
  it('attributes survive the way out and back in, unknown transitive ones gain the Partial bit', () => {
    const p4 = [parsePrefix('198.51.100.0/24'), parsePrefix('203.0.113.0/25')];
    const msgs = exportMessages({ withdrawn: [], announced: [{ attributes: attrs, prefixes: p4 }], endOfRib: [] }, { families: ['ipv4-unicast'] });
    expect(msgs).toHaveLength(1);
    const back = received(msgs);
    expect(back.announced[0]?.prefixes).toEqual(p4);
    expect(back.announced[0]?.attributes).toEqual({ ...attrs, unknown: [{ ...attrs.unknown![0], flags: 0xe0, value: Buffer.from([1, 2, 3]) }] });
  });
  it('IPv6 prefixes go in MP_REACH_NLRI, an IPv4 next hop becomes ::ffff:a.b.c.d', () => {
    const p6 = [parsePrefix('2001:db8:1::/48')];
    const [msg] = exportMessages({ withdrawn: [], announced: [{ attributes: attrs, prefixes: p6 }], endOfRib: [] }, { families: ['ipv4-unicast', 'ipv6-unicast'] });
    expect(msg?.nlri).toEqual([]);
    expect(msg?.attributes.mpReach).toMatchObject({ afi: Afi.Ipv6, nextHop: 0xffffc0000201n, prefixes: ['20010db8000100000000000000000000/48'] });
    expect(received([msg!]).announced[0]?.attributes.nextHop).toEqual(parseAddress('::ffff:192.0.2.1'));
  });
  it('withdrawals of both families, then End-of-RIB for negotiated families only', () => {
    const msgs = exportMessages(
      { withdrawn: [parsePrefix('10.0.0.0/8'), parsePrefix('2001:db8::/32')], announced: [], endOfRib: ['ipv4-unicast', 'ipv6-unicast'] },
      { families: ['ipv4-unicast'] },
    );
    expect(received(msgs).withdrawn).toEqual([parsePrefix('10.0.0.0/8')]);
    expect(msgs.map(endOfRibFamily)).toEqual([undefined, 'ipv4-unicast']);
  });
  it('splits long prefix lists into several UPDATEs', () => {
    const many = Array.from({ length: 25 }, (_, i) => parsePrefix(`10.${i}.0.0/16`));
    const msgs = exportMessages({ withdrawn: [], announced: [{ attributes: attrs, prefixes: many }], endOfRib: [] }, { families: ['ipv4-unicast'], chunk: { ipv4: 10, ipv6: 10 } });
    expect(msgs.map((m) => m.nlri.length)).toEqual([10, 10, 5]);
  });
  it('treat-as-withdraw turns every announced prefix into a withdrawal', () => {
    const [msg] = exportMessages({ withdrawn: [], announced: [{ attributes: attrs, prefixes: [parsePrefix('192.0.2.0/24')] }], endOfRib: [] }, { families: ['ipv4-unicast'] });
    const u = routeUpdate(msg!, { attributes: msg!.attributes, treatAsWithdraw: true });
    expect(u).toEqual({ withdrawn: [parsePrefix('192.0.2.0/24')], announced: [] });
  });
});

describe('End-of-RIB', () => {
  it('recognizes its own markers and nothing else', () => {
    expect(endOfRibFamily(endOfRibMessage('ipv4-unicast'))).toBe('ipv4-unicast');
    expect(endOfRibFamily(endOfRibMessage('ipv6-unicast'))).toBe('ipv6-unicast');
    const [real] = exportMessages({ withdrawn: [parsePrefix('10.0.0.0/8')], announced: [], endOfRib: [] }, { families: ['ipv4-unicast'] });
    expect(endOfRibFamily(real!)).toBeUndefined();
  });
});
