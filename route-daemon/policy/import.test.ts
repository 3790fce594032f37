import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix } from '../../common/prefix.js';
import type { RouteAttributes } from '../routing/attributes.js';
import { ImportPolicy } from './import.js';
import { maxPrefixReason } from './max-prefix.js';
import { RouteAuthorizations } from './origin-validation.js';
import { outsidePoolsReason } from './plane-pools.js';
import { PrefixSet } from './prefix-set.js';

const policy = new ImportPolicy({
  localAsn: 65000,
  pools: [parsePrefix('10.64.0.0/10')],
  authorizations: new RouteAuthorizations('production', [
    { prefix: parsePrefix('10.64.0.0/16'), maxLength: 24, originAsn: 65001, plane: 'production' },
  ]),
});

function attrs(asns: number[]): RouteAttributes {
  return { origin: 'igp', asPath: [{ type: 'sequence', asns }], nextHop: parseAddress('10.64.0.1') };
}

describe('ImportPolicy', () => {
  it('drops a path with our own AS in it', () => {
    expect(policy.checkPath(attrs([65001, 65000, 65002]), {})).toEqual({ check: 'as-path-loop', reason: 'own AS 65000 in the AS path' });
  });

  it('drops a path longer than the session limit, and only then', () => {
    expect(policy.checkPath(attrs([1, 2, 3, 4]), { maxAsPathLength: 3 })).toEqual({ check: 'as-path-length', reason: 'AS path length 4 exceeds 3' });
    expect(policy.checkPath(attrs([1, 2, 3]), { maxAsPathLength: 3 })).toBeNull();
  });

  it('checks bogons before pools before origin validation', () => {
    expect(policy.checkPrefix(parsePrefix('127.0.0.0/8'), attrs([65001])).rejection?.check).toBe('bogon');
    expect(policy.checkPrefix(parsePrefix('10.200.0.0/16'), attrs([65001])).rejection?.check).toBe('plane-pool');
    const invalid = policy.checkPrefix(parsePrefix('10.64.1.0/24'), attrs([65009]));
    expect(invalid).toEqual({
      validation: 'invalid',
      rejection: { check: 'origin-validation', reason: 'invalid: origin AS65009 not authorized (covered by 10.64.0.0/16 max /24 AS65001)' },
    });
  });

  it('accepts valid and not-found routes inside the pools, with their state', () => {
    expect(policy.checkPrefix(parsePrefix('10.64.1.0/24'), attrs([65002, 65001]))).toEqual({ validation: 'valid', rejection: null });
    expect(policy.checkPrefix(parsePrefix('10.65.0.0/16'), attrs([65002]))).toEqual({ validation: 'not-found', rejection: null });
  });
});

describe('small checks', () => {
  it('outsidePoolsReason accepts only prefixes inside a pool', () => {
    expect(outsidePoolsReason(parsePrefix('10.64.0.0/10'), new PrefixSet([parsePrefix('10.64.0.0/10')]))).toBeNull();
    expect(outsidePoolsReason(parsePrefix('10.0.0.0/8'), new PrefixSet([parsePrefix('10.64.0.0/10')]))).toBe("outside the plane's pools");
  });

  it('maxPrefixReason objects only above the limit', () => {
    expect(maxPrefixReason(10, 10)).toBeNull();
    expect(maxPrefixReason(11, 10)).toBe('11 prefixes exceed the limit of 10');
    expect(maxPrefixReason(1e6, undefined)).toBeNull();
  });
});
