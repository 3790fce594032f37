import { describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '../../bench/bgp/random.js';
import { parseAddress, type Address } from '../../common/prefix.js';
import { originAs } from '../policy/origin-validation.js';
import { attributesEqual } from './attribute-store.js';
import type { AsPathSegment, AsPathSegmentType, LargeCommunity, RouteAttributes } from './attributes.js';
import { asPathLength, type DecisionAttributes } from './decision.js';
import {
  PackBuffer, packAttributes, packedDecisionAttributes, packedHasCommunity, packedHasLargeCommunity, packedOriginAs, unpackAttributes,
} from './packed-attributes.js';

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

/** The neighbor AS as DecisionAttributes defines it, read from the built set's path. */
function neighborAs(path: readonly AsPathSegment[]): number | undefined {
  const first = path.find((s) => s.type === 'sequence' || s.type === 'set');
  return first?.type === 'sequence' ? first.asns[0] : undefined;
}

/** Values from small pools, so that the probes below hit as often as they miss. */
const COMMUNITIES = [0, 1, 0xfde80001, 0xffffffff, 65001 * 65536 + 100];
const LARGE: readonly LargeCommunity[] = [[65001, 1, 2], [65001, 2, 1], [4_294_967_295, 0, 0], [0, 0, 0]];
const ASNS = [65000, 65001, 65002, 4_200_000_000];
const SEGMENT_TYPES: readonly AsPathSegmentType[] = ['sequence', 'set', 'confed-sequence', 'confed-set'];
const LOCAL_ASN = 65000;

/** Any attribute present or not, segments of every type (empty ones too), addresses of both families. */
function generatedSet(random: Random): RouteAttributes {
  const pick = <T>(from: readonly T[]): T => from[Math.floor(random() * from.length)]!;
  const some = <T>(from: readonly T[], max: number): T[] => Array.from({ length: Math.floor(random() * (max + 1)) }, () => pick(from));
  const address = (): Address => (random() < 0.5 ? parseAddress('192.0.2.7') : parseAddress('2001:db8::7'));
  return {
    origin: pick(['igp', 'egp', 'incomplete'] as const),
    asPath: Array.from({ length: Math.floor(random() * 4) }, () => ({ type: pick(SEGMENT_TYPES), asns: some(ASNS, 3) })),
    nextHop: address(),
    ...(random() < 0.5 ? { med: pick([0, 4_294_967_295, Math.floor(random() * 1000)]) } : {}),
    ...(random() < 0.5 ? { localPref: pick([0, 100, 4_294_967_295]) } : {}),
    ...(random() < 0.3 ? { atomicAggregate: true } : {}),
    ...(random() < 0.4 ? { aggregator: { asn: pick(ASNS), address: address() } } : {}),
    ...(random() < 0.3 ? { nextHopLinkLocal: parseAddress('fe80::1') } : {}),
    ...(random() < 0.7 ? { communities: some(COMMUNITIES, 4) } : {}),
    ...(random() < 0.5 ? { largeCommunities: some(LARGE, 3) } : {}),
    ...(random() < 0.3 ? { unknown: [{ flags: 0xc0, type: 99, value: new Uint8Array(Math.floor(random() * 5)).fill(0xfd) }] } : {}),
  };
}

describe('packed attribute readers', () => {
  it('answer as the built set does, over many generated sets', () => {
    const random = seededRandom(7);
    const outcomes = new Set<string>();
    for (let n = 0; n < 3000; n++) {
      const set = generatedSet(random);
      const bytes = packed(set);
      const built = unpackAttributes(bytes, set.nextHop);
      const origin = originAs(built.asPath, LOCAL_ASN);
      expect(packedOriginAs(bytes, LOCAL_ASN), JSON.stringify(set.asPath)).toBe(origin);
      outcomes.add(`origin ${origin}`);
      for (const c of COMMUNITIES) {
        const has = built.communities?.includes(c) ?? false;
        expect(packedHasCommunity(bytes, c), `community ${c} of set ${n}`).toBe(has);
        outcomes.add(`community ${has}`);
      }
      for (const l of LARGE) {
        const has = built.largeCommunities?.some((x) => x[0] === l[0] && x[1] === l[1] && x[2] === l[2]) ?? false;
        expect(packedHasLargeCommunity(bytes, l), `large community ${l.join(':')} of set ${n}`).toBe(has);
        outcomes.add(`large ${has}`);
      }
      const decision: DecisionAttributes = {
        origin: built.origin, localPref: built.localPref, asPathLength: asPathLength(built.asPath), med: built.med, neighborAs: neighborAs(built.asPath),
      };
      expect(packedDecisionAttributes(bytes), `set ${n}: ${JSON.stringify(set.asPath)} med ${set.med} local pref ${set.localPref}`).toStrictEqual(decision);
      outcomes.add(`neighbor AS ${decision.neighborAs}`);
    }
    // Every kind of answer came up: an origin of each ASN, none (a set last, an empty sequence), our own AS, hits and misses;
    // a neighbor AS of each ASN and none (a leading set, an empty sequence, no path).
    expect([...outcomes].sort()).toEqual([
      'community false', 'community true', 'large false', 'large true',
      'neighbor AS 4200000000', 'neighbor AS 65000', 'neighbor AS 65001', 'neighbor AS 65002', 'neighbor AS undefined',
      'origin 4200000000', 'origin 65000', 'origin 65001', 'origin 65002', 'origin undefined',
    ]);
  });

  it('read the decision attributes past confederation segments and an AS_SET, and with MED and LOCAL_PREF at their edges', () => {
    const at = (a: Partial<RouteAttributes>): DecisionAttributes => packedDecisionAttributes(packed({ origin: 'egp', asPath: [], nextHop, ...a }));
    expect(at({})).toStrictEqual({ origin: 'egp', localPref: undefined, asPathLength: 0, med: undefined, neighborAs: undefined });
    expect(at({
      asPath: [{ type: 'confed-sequence', asns: [64512, 64513] }, { type: 'sequence', asns: [7, 8] }, { type: 'set', asns: [3, 4] }, { type: 'confed-set', asns: [9] }],
      med: 0,
      localPref: 4_294_967_295,
    })).toStrictEqual({ origin: 'egp', localPref: 4_294_967_295, asPathLength: 3, med: 0, neighborAs: 7 });
    expect(at({ asPath: [{ type: 'set', asns: [] }, { type: 'sequence', asns: [7] }], localPref: 0 }))
      .toStrictEqual({ origin: 'egp', localPref: 0, asPathLength: 2, med: undefined, neighborAs: undefined });
    expect(at({ asPath: [{ type: 'sequence', asns: [] }, { type: 'sequence', asns: [7] }], med: 4_294_967_295 }))
      .toStrictEqual({ origin: 'egp', localPref: undefined, asPathLength: 1, med: 4_294_967_295, neighborAs: undefined });
  });

  it('read the origin of an empty path, of confederation segments alone, and past a final confederation segment', () => {
    const at = (asPath: RouteAttributes['asPath']): number | undefined => packedOriginAs(packed({ origin: 'igp', asPath, nextHop }), LOCAL_ASN);
    expect(at([])).toBe(LOCAL_ASN);
    expect(at([{ type: 'confed-sequence', asns: [1] }])).toBe(LOCAL_ASN);
    expect(at([{ type: 'sequence', asns: [1, 2] }, { type: 'confed-set', asns: [3] }])).toBe(2);
    expect(at([{ type: 'sequence', asns: [1, 2] }, { type: 'set', asns: [3] }])).toBeUndefined();
  });
});
