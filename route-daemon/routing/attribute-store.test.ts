import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../common/prefix.js';
import type { RouteAttributes } from './attributes.js';
import { AttributeStore, attributesEqual, attributesHash } from './attribute-store.js';

const a: RouteAttributes = {
  origin: 'igp',
  asPath: [{ type: 'sequence', asns: [1, 2] }],
  nextHop: parseAddress('10.0.0.1'),
  communities: [5],
  unknown: [{ flags: 0xc0, type: 99, value: new Uint8Array([1, 2]) }],
};

describe('AttributeStore', () => {
  it('gives equal sets one id and frees a set with its last reference', () => {
    const store = new AttributeStore();
    const id = store.intern(a);
    expect(store.intern({ ...a, asPath: [{ type: 'sequence', asns: [1, 2] }] })).toBe(id);
    expect(store.intern({ ...a, med: 0 })).not.toBe(id);
    expect(store.size).toBe(2);
    store.release(id);
    expect(store.get(id)).toEqual(a);
    expect(store.nextHop(id)).toEqual(a.nextHop);
    store.release(id);
    expect(store.size).toBe(1);
    expect(() => store.get(id)).toThrow(/not held/);
    expect(() => store.nextHop(id)).toThrow(/not held/);
  });

  it('stores LOCAL_PREF as import policy gives it, and shares one next hop object among sets', () => {
    const store = new AttributeStore();
    const id = store.intern({ ...a, localPref: 300 }, { localPref: 100 });
    expect(store.get(id).localPref).toBe(100);
    expect(store.intern({ ...a, localPref: 100 })).toBe(id);
    const other = store.intern({ ...a, med: 5, nextHop: parseAddress('10.0.0.1') });
    expect(store.nextHop(other)).toBe(store.nextHop(id));
  });

  it('reads back every set the same after thousands of others were read since', () => {
    const store = new AttributeStore();
    const sets = Array.from({ length: 5000 }, (_, i): RouteAttributes => ({ ...a, asPath: [{ type: 'sequence', asns: [i, i + 1] }], med: i }));
    const ids = sets.map((s) => store.intern(s));
    for (const [k, id] of ids.entries()) expect(store.get(id)).toEqual(sets[k]);
    // Read twice in a row, a set is built once.
    expect(store.get(ids[10]!)).toBe(store.get(ids[10]!));
    // A freed id reused by another set reads as the new set, not as the old one built for it just before.
    expect(store.get(ids[7]!).med).toBe(7);
    store.release(ids[7]!);
    const reused = store.intern({ ...a, med: -1 >>> 1 });
    expect(reused).toBe(ids[7]);
    expect(store.get(reused).med).toBe(-1 >>> 1);
  });

  it('reads what the decision process compares where each set lies in its buffer, before and after sets are dropped', () => {
    const store = new AttributeStore();
    const sets = Array.from({ length: 5000 }, (_, i): RouteAttributes => ({
      ...a, origin: i % 3 === 0 ? 'egp' : 'igp', asPath: [{ type: 'sequence', asns: Array.from({ length: 1 + (i % 5) }, (_, k) => i + k) }], med: i,
    }));
    const ids = sets.map((s, k) => store.intern(s, { localPref: 100 + (k % 7) }));
    const expected = (k: number): object => ({ origin: sets[k]!.origin, localPref: 100 + (k % 7), asPathLength: 1 + (k % 5), med: k, neighborAs: k });
    for (const [k, id] of ids.entries()) expect(store.decisionAttributes(id), `set ${k}`).toStrictEqual(expected(k));
    // Drop most of them so that the buffer is compacted as new sets come in: the rest move and still read right.
    for (const id of ids.slice(0, 4000)) store.release(id);
    for (let k = 0; k < 4000; k++) store.intern({ ...a, med: 10_000 + k });
    for (let k = 4000; k < 5000; k++) expect(store.decisionAttributes(ids[k]!), `set ${k}`).toStrictEqual(expected(k));
    store.release(ids[4999]!);
    expect(() => store.decisionAttributes(ids[4999]!)).toThrow(/not held/);
  });

  it('tells apart sets that differ in any attribute', () => {
    const variants: RouteAttributes[] = [
      a,
      { ...a, origin: 'egp' },
      { ...a, asPath: [{ type: 'set', asns: [1, 2] }] },
      { ...a, asPath: [{ type: 'sequence', asns: [12] }] },
      { ...a, nextHop: parseAddress('10.0.0.2') },
      { ...a, localPref: 100 },
      { ...a, atomicAggregate: true },
      { ...a, communities: [6] },
      { ...a, largeCommunities: [[1, 2, 3]] },
      { ...a, unknown: [{ flags: 0xc0, type: 99, value: new Uint8Array([1, 3]) }] },
    ];
    for (const [i, x] of variants.entries()) {
      for (const [j, y] of variants.entries()) expect(attributesEqual(x, y), `${i} vs ${j}`).toBe(i === j);
    }
    // The hash is only a filter, but it should separate these too.
    expect(new Set(variants.map(attributesHash)).size).toBe(variants.length);
  });

  it('keeps sets apart when their hashes collide', () => {
    const store = new AttributeStore();
    // Thousands of sets: some share a 32-bit hash bucket chain only by accident; none may merge.
    const ids = Array.from({ length: 5000 }, (_, i) => store.intern({ ...a, med: i }));
    expect(new Set(ids).size).toBe(5000);
    expect(store.intern({ ...a, med: 1234 })).toBe(ids[1234]);
    store.release(ids[1234]!);
    for (const id of ids.slice(0, 2500)) store.release(id);
    expect(store.size).toBe(2500);
    expect(store.intern({ ...a, med: 4000 })).toBe(ids[4000]);
    expect(store.get(ids[4999]!).med).toBe(4999);
    expect(store.get(ids[4000]!)).toEqual({ ...a, med: 4000 });
  });
});
