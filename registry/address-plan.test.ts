import { describe, expect, it } from 'vitest';
import { parsePrefix, prefixContains, prefixesOverlap } from '../common/prefix.js';
import { AddressPlan, DEFAULT_POOLS, pickFreeSlot, validatePools } from './address-plan.js';

const small = {
  productionV4: '10.1.0.0/20',
  productionV6: 'fd00:1::/56',
  experimentalV4: '10.2.0.0/20',
  experimentalV6: 'fd00:2::/56',
  asnFirst: 4_200_000_000,
  asnLast: 4_200_000_009,
};

describe('validatePools', () => {
  it('accepts the defaults', () => {
    expect(() => validatePools(DEFAULT_POOLS)).not.toThrow();
  });

  it('refuses overlapping production and experimental pools, naming both', () => {
    expect(() => validatePools({ ...small, experimentalV4: '10.0.0.0/15' })).toThrow(/productionV4.*experimentalV4.*overlap/);
    expect(() => validatePools({ ...small, experimentalV6: 'fd00::/16' })).toThrow(/productionV6.*experimentalV6.*overlap/);
  });

  it('refuses the wrong family, a pool too small, host bits, and public ASNs', () => {
    expect(() => validatePools({ ...small, productionV4: 'fd00:9::/48' })).toThrow(/productionV4.*not an IPv4/);
    expect(() => validatePools({ ...small, productionV4: '10.1.0.0/24' })).toThrow(/productionV4.*too small/);
    expect(() => validatePools({ ...small, experimentalV6: 'fd00:2::1/56' })).toThrow(/experimentalV6.*host bits/);
    expect(() => validatePools({ ...small, asnFirst: 65000 })).toThrow(/asnFirst.*private/);
    expect(() => validatePools({ ...small, asnFirst: 4_200_000_010 })).toThrow(/above asnLast/);
  });
});

describe('AddressPlan', () => {
  const plan = new AddressPlan(small);

  it('derives capacities from the pool sizes', () => {
    // /20: loopback block /24 (254 hosts), 15 garage /24s; /56 has 255 spare /64s.
    expect(plan.nodeCapacity).toBe(15);
    expect(plan.experimentCapacity).toBe(15);
    expect(plan.asnCapacity).toBe(10);
    expect(new AddressPlan(DEFAULT_POOLS).nodeCapacity).toBe(8192 - 512);
  });

  it('gives every slot distinct space inside its own plane, outside the loopback block', () => {
    const seen = new Set<string>();
    for (let slot = 1; slot <= plan.nodeCapacity; slot++) {
      const lo = plan.loopbacks('production', slot);
      const xlo = plan.loopbacks('experimental', slot);
      const site = plan.site('production', slot);
      for (const a of [lo.v4, lo.v6, xlo.v4, xlo.v6, site.v4, site.v6]) {
        expect(seen.has(a)).toBe(false);
        seen.add(a);
      }
      expect(prefixContains(parsePrefix(small.productionV4), parsePrefix(`${lo.v4}/32`))).toBe(true);
      expect(prefixContains(parsePrefix(small.experimentalV6), parsePrefix(`${xlo.v6}/128`))).toBe(true);
      expect(prefixesOverlap(parsePrefix('10.1.0.0/24'), parsePrefix(site.v4))).toBe(false);
      expect(prefixesOverlap(parsePrefix('fd00:1::/64'), parsePrefix(site.v6))).toBe(false);
    }
    expect(plan.loopbacks('production', 1)).toEqual({ v4: '10.1.0.1', v6: 'fd00:1::1' });
    expect(plan.site('production', 1)).toEqual({ v4: '10.1.1.0/24', v6: 'fd00:1:0:1::/64' });
    expect(plan.site('experimental', 15)).toEqual({ v4: '10.2.15.0/24', v6: 'fd00:2:0:f::/64' });
  });

  it('maps ASN slots both ways and refuses slots outside the pool', () => {
    expect(plan.asnForSlot(1)).toBe(4_200_000_000);
    expect(plan.slotForAsn(plan.asnForSlot(7))).toBe(7);
    expect(() => plan.asnForSlot(11)).toThrow(RangeError);
    expect(() => plan.site('production', 16)).toThrow(RangeError);
    expect(() => plan.loopbacks('production', 0)).toThrow(RangeError);
  });
});

describe('pickFreeSlot', () => {
  it('returns only free slots and null when the pool is full', () => {
    const taken = new Set([1, 2, 3, 5]);
    for (let i = 0; i < 50; i++) {
      const slot = pickFreeSlot(6, taken);
      expect(slot === 4 || slot === 6).toBe(true);
    }
    expect(pickFreeSlot(5, new Set([1, 2, 3, 4, 5]))).toBeNull();
    const sparse = pickFreeSlot(1_000_000, new Set([7]));
    expect(sparse).toBeGreaterThanOrEqual(1);
    expect(sparse).toBeLessThanOrEqual(1_000_000);
    expect(sparse).not.toBe(7);
  });
});
