import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../common/prefix.js';
import type { RouteAttributes } from './attributes.js';
import { AttributeStore, attributesKey } from './attribute-store.js';

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
    expect(store.get(id)).toBe(a);
    store.release(id);
    expect(store.size).toBe(1);
    expect(() => store.get(id)).toThrow(/not held/);
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
    expect(new Set(variants.map(attributesKey)).size).toBe(variants.length);
  });
});
