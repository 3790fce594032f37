import { describe, expect, it } from 'vitest';
import { emptyAttributes, encodePathAttributes, forwardableUnknownAttributes } from './attributes.js';
import { decodeMessage } from './codec.js';
import { AttributesTooLarge, encodeIpv4Announcements, encodeIpv4Withdrawals, encodeIpv6Announcements } from './update.js';
import { AttributeFlag, IPV4_UNICAST, IPV6_UNICAST, ipv4Prefix, MessageType } from './types.js';
import type { UpdateMessage } from './types.js';
import { validateUpdate } from './validate.js';

const OPTIONS = { fourOctetAs: true, families: [IPV4_UNICAST] };
const attributes = { ...emptyAttributes(), origin: 0 as const, asPath: [{ type: 2 as const, asns: [65001] }], nextHop: 0xc0000201, localPref: 100 };
const decodedCounts = (messages: Buffer[], options: typeof OPTIONS): number[] =>
  messages.map((m) => (decodeMessage(m, options) as UpdateMessage).attributes.mpReach?.prefixes.length ?? 0);
const prefixes = Array.from({ length: 3000 }, (_, k) => ipv4Prefix((0x0a000000 + k * 256) >>> 0, 24));

describe('packing UPDATEs', () => {
  it('splits announcements into messages of at most 4096 octets that carry every prefix once', () => {
    const messages = encodeIpv4Announcements({ attributes, prefixes }, OPTIONS);
    expect(messages.length).toBeGreaterThan(1);
    const seen: number[] = [];
    for (const m of messages) {
      expect(m.length).toBeLessThanOrEqual(4096);
      const u = decodeMessage(m, OPTIONS) as UpdateMessage;
      expect(u.attributes).toEqual(attributes);
      seen.push(...u.nlri);
    }
    expect(seen).toEqual(prefixes);
  });

  it('sends pre-encoded path attributes as they are: the same messages, decoding to the same attributes', () => {
    const full = { ...attributes, med: 7, communities: [0xfde80001], largeCommunities: [{ globalAdmin: 4200000000, localData1: 1, localData2: 2 }] };
    const encoded = encodePathAttributes(full, OPTIONS);
    const fromBytes = encodeIpv4Announcements({ attributes: encoded, prefixes }, OPTIONS);
    expect(fromBytes).toEqual(encodeIpv4Announcements({ attributes: full, prefixes }, OPTIONS));
    const decoded = fromBytes.map((m) => decodeMessage(m, OPTIONS) as UpdateMessage);
    expect(decoded.every((u) => u.problems.length === 0)).toBe(true);
    expect(decoded[0]!.attributes).toEqual(full);
    expect(decoded.flatMap((u) => u.nlri)).toEqual(prefixes);
  });

  it('packs IPv6 announcements by octets: with 2,000 octets of other attributes, 300 /128s in messages of at most 4096', () => {
    const options = { fourOctetAs: true, families: [IPV4_UNICAST, IPV6_UNICAST] };
    const bulky = { ...attributes, nextHop: null, unknown: [{ flags: 0xe0, typeCode: 99, value: Buffer.alloc(2_000, 7) }] };
    const v6 = Array.from({ length: 300 }, (_, k) => `20010db8${k.toString(16).padStart(24, '0')}/128`);
    const messages = encodeIpv6Announcements({ attributes: bulky, nextHop: 0x20010db8000000000000000000000001n, linkLocalNextHop: null, prefixes: v6 }, options);
    // 150 /128s take 2,550 octets, more than the 2,024 left beside the rest: 119 per message.
    expect(decodedCounts(messages, options)).toEqual([119, 119, 62]);
    const decoded = messages.map((m) => decodeMessage(m, options) as UpdateMessage);
    expect(messages.every((m) => m.length <= 4096)).toBe(true);
    expect(decoded.every((u) => u.problems.length === 0 && u.attributes.unknown[0]?.value.length === 2_000)).toBe(true);
    expect(decoded.flatMap((u) => (u.attributes.mpReach?.prefixes ?? []) as readonly string[])).toEqual(v6);
  });

  it('refuses attributes that leave no room for one prefix, saying how large they are', () => {
    const huge = { ...attributes, unknown: [{ flags: 0xe0, typeCode: 99, value: Buffer.alloc(4_045) }] };
    expect(() => encodeIpv4Announcements({ attributes: huge, prefixes: prefixes.slice(0, 1) }, OPTIONS)).toThrow(AttributesTooLarge);
    expect(() => encodeIpv4Announcements({ attributes: huge, prefixes: prefixes.slice(0, 1) }, OPTIONS)).toThrow(/take 4076 octets, too many for one UPDATE/);
    const v6 = { attributes: { ...huge, nextHop: null }, nextHop: 1n, linkLocalNextHop: null, prefixes: ['20010db8000000000000000000000000/32'] };
    expect(() => encodeIpv6Announcements(v6, OPTIONS)).toThrow(AttributesTooLarge);
    // 8 octets fewer, and a /32 fits beside them in exactly 4096.
    const fits = { ...attributes, unknown: [{ flags: 0xe0, typeCode: 99, value: Buffer.alloc(4_037) }] };
    expect(encodeIpv4Announcements({ attributes: fits, prefixes: [ipv4Prefix(0x0a000001, 32)] }, OPTIONS).map((m) => m.length)).toEqual([4096]);
  });

  it('splits withdrawals the same way', () => {
    const messages = encodeIpv4Withdrawals(prefixes);
    const seen = messages.flatMap((m) => (decodeMessage(m, OPTIONS) as UpdateMessage).withdrawn);
    expect(seen).toEqual(prefixes);
    expect(messages.every((m) => m.length <= 4096)).toBe(true);
  });
});

describe('attribute handling for the RIB', () => {
  it('passes on optional transitive unknown attributes with Partial set and drops non-transitive ones', () => {
    const out = forwardableUnknownAttributes([
      { flags: AttributeFlag.Optional | AttributeFlag.Transitive, typeCode: 99, value: Buffer.from([1]) },
      { flags: AttributeFlag.Optional, typeCode: 98, value: Buffer.from([2]) },
    ]);
    expect(out).toEqual([{ flags: 0xe0, typeCode: 99, value: Buffer.from([1]) }]);
  });

  it('drops LOCAL_PREF from an external peer but keeps it from an internal one', () => {
    const update: UpdateMessage = { type: MessageType.Update, withdrawn: [], attributes, nlri: [prefixes[0]!], attributeLength: 0, problems: [] };
    const external = validateUpdate(update, { external: true, peerAs: 65001 });
    const internal = validateUpdate(update, { external: false });
    expect(external.action === 'accept' && external.attributes.localPref).toBeNull();
    expect(internal.action === 'accept' && internal.attributes.localPref).toBe(100);
  });
});
