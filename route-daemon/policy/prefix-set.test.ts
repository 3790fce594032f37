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
});
