import { describe, expect, it } from 'vitest';
import { formatPrefix, parsePrefix, type Prefix } from '../../common/prefix.js';
import { PrefixIndex } from './prefix-index.js';

/** A fixed-seed generator, so a failure replays. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('PrefixIndex', () => {
  it('agrees with a Map over a seeded run of inserts and removals, through growth and tombstones', () => {
    const next = random(7);
    const index = new PrefixIndex(4, { initialCapacity: 16 });
    const model = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const length = 8 + Math.floor(next() * 17);
      const value = BigInt(Math.floor(next() * 2 ** 12) << 20) & ((0xffffffffn << BigInt(32 - length)) & 0xffffffffn);
      const prefix: Prefix = { family: 4, value, length };
      const key = formatPrefix(prefix);
      if (next() < 0.6) {
        const slot = index.insert(prefix);
        if (model.has(key)) expect(slot).toBe(model.get(key));
        model.set(key, slot);
      } else if (model.has(key)) {
        index.remove(model.get(key)!);
        model.delete(key);
      }
    }
    expect(index.size).toBe(model.size);
    for (const [key, slot] of model) {
      expect(index.find(parsePrefix(key))).toBe(slot);
      expect(formatPrefix(index.prefixOf(slot))).toBe(key);
    }
  });

  it('keeps finding prefixes while removals and inserts of new ones fill the table with tombstones', () => {
    const index = new PrefixIndex(4, { initialCapacity: 16 });
    let live: number[] = [];
    // 40 rounds of 1,000 new prefixes replacing the last 1,000: without clearing tombstones the probe runs would never end.
    for (let round = 0; round < 40; round++) {
      for (const slot of live) index.remove(slot);
      live = [];
      for (let i = 0; i < 1000; i++) live.push(index.insertIpv4(((round * 1000 + i) << 8) >>> 0, 24));
      expect(index.size).toBe(1000);
    }
    for (let i = 0; i < 1000; i++) expect(index.findIpv4(((39_000 + i) << 8) >>> 0, 24)).toBe(live[i]);
    expect(index.findIpv4((38_999 << 8) >>> 0, 24)).toBe(-1);
    expect(index.slotLimit).toBeLessThanOrEqual(2000);
  });

  it('keys IPv6 prefixes on all 128 bits and the length', () => {
    const index = new PrefixIndex(6);
    const a = index.insert(parsePrefix('2001:db8::/32'));
    const b = index.insert(parsePrefix('2001:db8::/48'));
    const c = index.insert(parsePrefix('2001:db8:0:0:0:0:0:1/128'));
    expect(new Set([a, b, c]).size).toBe(3);
    expect(index.find(parsePrefix('2001:db8::/48'))).toBe(b);
    expect(formatPrefix(index.prefixOf(c))).toBe('2001:db8::1/128');
    index.remove(b);
    expect(index.find(parsePrefix('2001:db8::/48'))).toBe(-1);
    expect(index.holds(b)).toBe(false);
    expect(() => index.remove(b)).toThrow(/not in use/);
  });

  it('refuses a prefix of the other family', () => {
    expect(() => new PrefixIndex(4).insert(parsePrefix('::/0'))).toThrow(/IPv6 prefix given to the IPv4 index/);
  });
});
