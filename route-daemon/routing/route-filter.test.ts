import { describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../../bench/bgp/random.js';
import type { Family, Prefix } from '../../common/prefix.js';
import { originAs } from '../policy/origin-validation.js';
import { AttributeStore } from './attribute-store.js';
import type { AsPathSegmentType, RouteAttributes } from './attributes.js';
import type { RouteFilter } from './queries.js';
import { FamilyRib, LOCAL_PEER } from './rib.js';
import { RouteMatcher } from './route-filter.js';

const LOCAL_ASN = 65000;
const COMMUNITIES = [((65001 << 16) | 1) >>> 0, ((65002 << 16) | 2) >>> 0, 0xffffffff];
const LARGE = [[65001, 1, 1], [4_294_967_295, 2, 2]] as const;
const ASNS = [65001, 65002, 65003];
const SEGMENT_TYPES: readonly AsPathSegmentType[] = ['sequence', 'sequence', 'set', 'confed-sequence'];

const prefix = (family: Family, k: number): Prefix =>
  family === 4 ? { family, value: BigInt(0x0b000000 + k * 256), length: 24 } : { family, value: (0xfd00n << 112n) + (BigInt(k) << 80n), length: 48 };

function ribOf(store: AttributeStore, family: Family): FamilyRib {
  return new FamilyRib(store, (_rib, paths) => paths[0]!, { family });
}

describe('route matcher', () => {
  it('decides every slot as the built sets of its paths do, over generated tables of both families', () => {
    const random = seededRandom(3);
    const pick = <T>(from: readonly T[]): T => from[Math.floor(random() * from.length)]!;
    const store = new AttributeStore();
    const sets: RouteAttributes[] = Array.from({ length: 40 }, (_, k) => ({
      origin: 'igp',
      asPath: k % 10 === 0 ? [] : Array.from({ length: 1 + Math.floor(random() * 2) }, () => ({ type: pick(SEGMENT_TYPES), asns: ASNS.filter(() => random() < 0.5) })),
      nextHop: { family: 4, value: 0x0a000001n },
      ...(random() < 0.6 ? { communities: COMMUNITIES.filter(() => random() < 0.5) } : {}),
      ...(random() < 0.4 ? { largeCommunities: [pick(LARGE)] } : {}),
    }));
    const ribs = [ribOf(store, 4), ribOf(store, 6)];
    for (const rib of ribs) {
      for (let k = 0; k < 200; k++) {
        for (let owner = LOCAL_PEER; owner <= 3; owner++) {
          if (random() < 0.5) rib.upsert(prefix(rib.index.family, k), { peer: owner, attrId: store.intern(pick(sets)), flags: 0 });
        }
      }
      // Slots left without paths must never match.
      for (let k = 0; k < 200; k += 5) for (let owner = LOCAL_PEER; owner <= 3; owner++) rib.remove(prefix(rib.index.family, k), owner);
    }
    const cases: { filter: RouteFilter; owners?: number[] }[] = [
      { filter: {} },
      { filter: { peer: 'x' }, owners: [2] },
      { filter: { peer: 'local' }, owners: [LOCAL_PEER] },
      { filter: { peer: 'unknown' }, owners: [] },
      ...COMMUNITIES.map((community) => ({ filter: { community } })),
      ...LARGE.map((largeCommunity) => ({ filter: { largeCommunity } })),
      ...[...ASNS, LOCAL_ASN].map((originAsn) => ({ filter: { originAsn } })),
      { filter: { peer: 'y', community: COMMUNITIES[0]!, originAsn: 65002 }, owners: [1] },
      { filter: { community: COMMUNITIES[1]!, largeCommunity: LARGE[0] } },
    ];
    for (const { filter, owners } of cases) {
      const matcher = new RouteMatcher(filter, { store, localAsn: LOCAL_ASN, owners });
      let matched = 0;
      let missed = 0;
      for (const rib of ribs) {
        for (let slot = 0; slot < rib.index.slotLimit; slot++) {
          const expected = rib.pathsOf(slot).some((p) => {
            const a = store.get(rib.pathAttr[p]!);
            return (
              (owners === undefined || owners.includes(rib.pathPeer[p]!)) &&
              (filter.community === undefined || (a.communities ?? []).includes(filter.community)) &&
              (filter.largeCommunity === undefined || (a.largeCommunities ?? []).some((c) => c.every((v, i) => v === filter.largeCommunity![i]))) &&
              (filter.originAsn === undefined || originAs(a.asPath, LOCAL_ASN) === filter.originAsn)
            );
          });
          expect(matcher.matches(rib, slot), `${JSON.stringify(filter)}, slot ${slot} of IPv${rib.index.family}`).toBe(expected);
          if (expected) matched++;
          else missed++;
        }
      }
      expect(missed, JSON.stringify(filter)).toBeGreaterThan(0);
      if (filter.peer !== 'unknown') expect(matched, JSON.stringify(filter)).toBeGreaterThan(0);
    }
  });

  it('tests a set shared by many routes once', () => {
    const store = new AttributeStore();
    const rib = ribOf(store, 4);
    const shared = store.intern({ origin: 'igp', asPath: [{ type: 'sequence', asns: [65001, 65010] }], nextHop: { family: 4, value: 1n }, communities: [7] });
    for (let k = 0; k < 100; k++) {
      store.retain(shared);
      rib.upsert(prefix(4, k), { peer: 1, attrId: shared, flags: 0 });
    }
    const read = vi.spyOn(store, 'packedOf');
    const matcher = new RouteMatcher({ community: 7, originAsn: 65010 }, { store, localAsn: LOCAL_ASN, owners: undefined });
    for (let slot = 0; slot < rib.index.slotLimit; slot++) expect(matcher.matches(rib, slot)).toBe(true);
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('answers for the set an id stands for now when a new matcher is made (ids are reused once a set is gone)', () => {
    const store = new AttributeStore();
    const rib = ribOf(store, 4);
    const tagged = store.intern({ origin: 'igp', asPath: [], nextHop: { family: 4, value: 1n }, communities: [7] });
    rib.upsert(prefix(4, 1), { peer: 1, attrId: tagged, flags: 0 });
    const filter = { community: 7 };
    expect(new RouteMatcher(filter, { store, localAsn: LOCAL_ASN, owners: undefined }).matches(rib, 0)).toBe(true);
    rib.remove(prefix(4, 1), 1);
    const plain = store.intern({ origin: 'igp', asPath: [], nextHop: { family: 4, value: 1n } });
    expect(plain).toBe(tagged);
    rib.upsert(prefix(4, 1), { peer: 1, attrId: plain, flags: 0 });
    expect(new RouteMatcher(filter, { store, localAsn: LOCAL_ASN, owners: undefined }).matches(rib, 0)).toBe(false);
  });
});
