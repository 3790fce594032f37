import { describe, expect, it } from 'vitest';
import { formatPrefix, parsePrefix, prefixContains, prefixesOverlap } from '../../common/prefix.js';
import { PrefixSet } from './prefix-set.js';

const members = ['10.64.0.0/10', '192.0.0.0/24', '0.0.0.0/8', 'fd00:64::/32', '224.0.0.0/4'].map((t) => parsePrefix(t));
const set = new PrefixSet(members);
const probes = ['10.64.1.0/24', '10.0.0.0/8', '10.128.0.0/10', '0.0.0.0/0', '0.1.0.0/16', '192.0.0.128/25', '192.0.1.0/24', '240.0.0.0/4',
  '224.0.0.0/3', 'fd00:64:1::/48', 'fd00::/16', 'fd01::/32'].map((t) => parsePrefix(t));

describe('PrefixSet', () => {
  it('answers covering and overlapping exactly as the bigint prefix math does', () => {
    for (const probe of probes) {
      expect(set.covering(probe), formatPrefix(probe)).toBe(members.find((m) => prefixContains(m, probe)));
      expect(set.overlapping(probe), formatPrefix(probe)).toBe(members.find((m) => prefixesOverlap(m, probe)));
    }
  });

  it('agrees with the bigint prefix math over 20,000 seeded IPv4 probes of every length, against members of every length', () => {
    let seed = 11;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    // A few bits of address only, so that probes and members often overlap.
    const random = (): ReturnType<typeof parsePrefix> => {
      const length = next(33);
      const address = (next(16) * 0x10000000 + next(4) * 0x1000000 + next(2) * 0x80) >>> 0;
      const mask = length === 0 ? 0n : ((0xffffffffn << BigInt(32 - length)) & 0xffffffffn);
      return { family: 4, value: BigInt(address) & mask, length };
    };
    const many = Array.from({ length: 40 }, random);
    const manySet = new PrefixSet(many);
    for (let i = 0; i < 20_000; i++) {
      const probe = random();
      expect(manySet.covering(probe), formatPrefix(probe)).toBe(many.find((m) => prefixContains(m, probe)));
      expect(manySet.overlapping(probe), formatPrefix(probe)).toBe(many.find((m) => prefixesOverlap(m, probe)));
    }
  });
});
