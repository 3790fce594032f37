import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../common/prefix.js';
import { attributesEqual } from './attribute-store.js';
import type { RouteAttributes } from './attributes.js';
import { PackBuffer, packAttributes, unpackAttributes } from './packed-attributes.js';

const nextHop = parseAddress('10.0.0.1');

function packed(a: RouteAttributes, options: { localPref?: number } = {}): Buffer {
  const into = new PackBuffer();
  packAttributes(a, into, options);
  return Buffer.from(into.bytes.subarray(0, into.length));
}

const roundTrip = (a: RouteAttributes): RouteAttributes => unpackAttributes(packed(a), a.nextHop);

/** Every attribute at once, with values at the edges of their fields. */
const full: RouteAttributes = {
  origin: 'incomplete',
  asPath: [
    { type: 'confed-sequence', asns: [65535] },
    { type: 'sequence', asns: [4_294_967_295, 1, 23_456] },
    { type: 'set', asns: [7, 8] },
    { type: 'confed-set', asns: [9] },
  ],
  nextHop: parseAddress('fd00::1'),
  nextHopLinkLocal: parseAddress('fe80::abcd:1234:5678:9abc'),
  med: 0,
  localPref: 4_294_967_295,
  atomicAggregate: true,
  aggregator: { asn: 4_200_000_000, address: parseAddress('192.0.2.1') },
  communities: [0, 0xffffffff, 0xfde80001],
  largeCommunities: [[4_294_967_295, 0, 1], [65001, 2, 3]],
  unknown: [
    { flags: 0xc0, type: 99, value: new Uint8Array([1, 2, 3]) },
    { flags: 0xe0, type: 255, value: new Uint8Array(0) },
  ],
};

describe('packed attribute sets', () => {
  it('unpack to the set that was packed, every attribute and its edge values included', () => {
    expect(roundTrip(full)).toEqual(full);
    const minimal: RouteAttributes = { origin: 'igp', asPath: [], nextHop };
    expect(roundTrip(minimal)).toEqual(minimal);
    const ipv6Aggregator = { ...minimal, aggregator: { asn: 1, address: parseAddress('2001:db8::ffff:1') } };
    expect(roundTrip(ipv6Aggregator)).toEqual(ipv6Aggregator);
  });

  it('keep a long path and a large unknown attribute (the buffer grows)', () => {
    const long: RouteAttributes = {
      origin: 'egp',
      asPath: Array.from({ length: 300 }, (_, k) => ({ type: 'sequence' as const, asns: Array.from({ length: 255 }, (_, i) => k * 1000 + i) })),
      nextHop,
      unknown: [{ flags: 0xd0, type: 200, value: new Uint8Array(65_535).fill(0x5a) }],
    };
    expect(roundTrip(long)).toEqual(long);
  });

  it('pack equal bytes exactly for the sets attributesEqual calls equal', () => {
    const variants: RouteAttributes[] = [
      { origin: 'igp', asPath: [{ type: 'sequence', asns: [1, 2] }], nextHop },
      { origin: 'igp', asPath: [{ type: 'sequence', asns: [1, 2] }], nextHop, communities: [] },
      { origin: 'igp', asPath: [{ type: 'sequence', asns: [1, 2] }], nextHop, atomicAggregate: false, largeCommunities: [], unknown: [] },
      { origin: 'egp', asPath: [{ type: 'sequence', asns: [1, 2] }], nextHop },
      { origin: 'igp', asPath: [{ type: 'set', asns: [1, 2] }], nextHop },
      { origin: 'igp', asPath: [{ type: 'sequence', asns: [1] }, { type: 'sequence', asns: [2] }], nextHop },
      { origin: 'igp', asPath: [{ type: 'sequence', asns: [1, 2] }], nextHop, med: 0 },
      { origin: 'igp', asPath: [{ type: 'sequence', asns: [1, 2] }], nextHop, localPref: 0 },
      { origin: 'igp', asPath: [{ type: 'sequence', asns: [1, 2] }], nextHop, communities: [5] },
      { origin: 'igp', asPath: [{ type: 'sequence', asns: [1, 2] }], nextHop, largeCommunities: [[5, 0, 0]] },
      { origin: 'igp', asPath: [{ type: 'sequence', asns: [1, 2] }], nextHop, unknown: [{ flags: 0xc0, type: 5, value: new Uint8Array(0) }] },
      { origin: 'igp', asPath: [{ type: 'sequence', asns: [1, 2] }], nextHop, nextHopLinkLocal: parseAddress('fe80::1') },
      full,
    ];
    for (const [i, x] of variants.entries()) {
      for (const [j, y] of variants.entries()) {
        const sameNextHop = { ...y, nextHop: x.nextHop };
        expect(packed(x).equals(packed(sameNextHop)), `${i} vs ${j}`).toBe(attributesEqual(x, sameNextHop));
      }
    }
  });

  it('pack the LOCAL_PREF they are given instead of the set\'s own', () => {
    const a: RouteAttributes = { origin: 'igp', asPath: [], nextHop, localPref: 300 };
    expect(unpackAttributes(packed(a, { localPref: 100 }), nextHop)).toEqual({ ...a, localPref: 100 });
    expect(packed({ ...a, localPref: undefined }, { localPref: 300 }).equals(packed(a))).toBe(true);
  });

  it('refuse a list too long for its count field', () => {
    const a: RouteAttributes = { origin: 'igp', asPath: [], nextHop, communities: new Array<number>(70_000).fill(1) };
    expect(() => packed(a)).toThrow(/70000 communities/);
  });
});
