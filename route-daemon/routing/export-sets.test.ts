import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../common/prefix.js';
import { AttributeStore } from './attribute-store.js';
import type { RouteAttributes } from './attributes.js';
import { exportAttributes } from './export-attributes.js';
import { ExportSets } from './export-sets.js';

const target = { ebgp: true, localAsn: 65000, nextHopSelf: parseAddress('10.64.0.1') };
const learned: RouteAttributes = {
  origin: 'igp',
  asPath: [{ type: 'sequence', asns: [65002, 65003] }],
  nextHop: parseAddress('10.64.0.2'),
  med: 30,
  communities: [7],
};

describe('ExportSets', () => {
  it('makes each received set outgoing once per rule and gives equal outgoing sets one id', () => {
    const store = new AttributeStore();
    const sets = new ExportSets(store);
    const rule = sets.ruleId({ target, local: false });
    expect(sets.ruleId({ target: { ...target, nextHopSelf: parseAddress('10.64.0.1') }, local: false })).toBe(rule);
    const received = store.intern(learned);
    // The same path from another neighbour (other next hop and MED): the same once our next hop replaces theirs and their MED is dropped.
    const other = store.intern({ ...learned, nextHop: parseAddress('10.64.0.3'), med: 40 });
    const id = sets.export(received, rule);
    expect(sets.export(received, rule)).toBe(id);
    expect(sets.export(other, rule)).toBe(id);
    expect(sets.attributes(id)).toEqual(exportAttributes(learned, target, { local: false }));
    expect(sets.size).toBe(1);
    const local = sets.export(received, sets.ruleId({ target, local: true }));
    expect(local).not.toBe(id);
    expect(sets.attributes(local).med).toBe(30);
    expect(sets.size).toBe(2);
  });

  it('holds its received set while in use and frees both with the last reference', () => {
    const store = new AttributeStore();
    const sets = new ExportSets(store);
    const rule = sets.ruleId({ target, local: false });
    const received = store.intern(learned);
    const id = sets.export(received, rule);
    sets.export(received, rule);
    store.release(received);
    // The Adj-RIB-Out still sends it: the received set must stay readable.
    expect(store.size).toBe(1);
    sets.release(id);
    expect(store.size).toBe(1);
    sets.release(id);
    expect(store.size).toBe(0);
    expect(sets.size).toBe(0);
    expect(() => sets.attributes(id)).toThrow(/not held/);
    expect(() => sets.release(id)).toThrow(/more often/);
  });

  it('does not hand out a freed id for a received set whose id was reused', () => {
    const store = new AttributeStore();
    const sets = new ExportSets(store);
    const rule = sets.ruleId({ target, local: false });
    const first = store.intern(learned);
    sets.release(sets.export(first, rule));
    store.release(first);
    const reused = store.intern({ ...learned, asPath: [{ type: 'sequence', asns: [65009] }] });
    expect(reused).toBe(first);
    const id = sets.export(reused, rule);
    expect(sets.attributes(id).asPath).toEqual([{ type: 'sequence', asns: [65000, 65009] }]);
  });

  it('builds a set again after it fell out of the built cache, equal to what it was', () => {
    const store = new AttributeStore();
    const sets = new ExportSets(store);
    const rule = sets.ruleId({ target, local: false });
    const ids = Array.from({ length: 20_000 }, (_, k) => sets.export(store.intern({ ...learned, communities: [k] }), rule));
    const first = sets.attributes(ids[0]!);
    expect(first).toEqual(exportAttributes({ ...learned, communities: [0] }, target, { local: false }));
    expect(sets.attributes(ids[19_999]!).communities).toEqual([19_999]);
  });
});

describe('ExportSets encodings', () => {
  it('encodes a set once per key while it lives, and again after its id went to another set', () => {
    const store = new AttributeStore();
    const sets = new ExportSets(store);
    const rule = sets.ruleId({ target, local: false });
    const id = sets.export(store.intern(learned), rule);
    let calls = 0;
    const encode = (text: string) => (): Buffer => {
      calls++;
      return Buffer.from(text);
    };
    expect(sets.encoded(id, { key: 'as4', encode: encode('four') }).toString()).toBe('four');
    expect(sets.encoded(id, { key: 'as4', encode: encode('other') }).toString()).toBe('four');
    expect(sets.encoded(id, { key: 'as2', encode: encode('two') }).toString()).toBe('two');
    expect(calls).toBe(2);
    sets.release(id);
    const again = sets.export(store.intern({ ...learned, communities: [8] }), rule);
    expect(again).toBe(id);
    expect(sets.encoded(again, { key: 'as4', encode: encode('new') }).toString()).toBe('new');
    expect(calls).toBe(3);
  });
});
