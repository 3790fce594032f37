import { describe, expect, it } from 'vitest';
import { emptyAttributes, encodePathAttributes, forwardableUnknownAttributes } from './attributes.js';
import { decodeMessage } from './codec.js';
import { encodeIpv4Announcements, encodeIpv4Withdrawals } from './update.js';
import { AttributeFlag, IPV4_UNICAST, ipv4Prefix, MessageType } from './types.js';
import type { UpdateMessage } from './types.js';
import { validateUpdate } from './validate.js';

const OPTIONS = { fourOctetAs: true, families: [IPV4_UNICAST] };
const attributes = { ...emptyAttributes(), origin: 0 as const, asPath: [{ type: 2 as const, asns: [65001] }], nextHop: 0xc0000201, localPref: 100 };
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
