import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix } from '../../common/prefix.js';
import type { RouteAttributes } from '../routing/attributes.js';
import { communityCountReason } from './community-count.js';
import { ImportPolicy } from './import.js';
import { RouteAuthorizations } from './origin-validation.js';

const LOCAL = 4200000001;
const ALICE = 4200000100;
const BOB = 4200000101;

// The registry's experiment authorizations: each experiment's slot, more-specifics down to /28, from its own ASN.
const policy = new ImportPolicy({
  localAsn: LOCAL,
  pools: [parsePrefix('10.128.0.0/10')],
  bogons: { maxLengthIpv4: 32 },
  authorizations: new RouteAuthorizations('experimental', [
    { prefix: parsePrefix('10.128.1.0/24'), maxLength: 28, originAsn: ALICE, plane: 'experimental' },
    { prefix: parsePrefix('10.128.2.0/24'), maxLength: 28, originAsn: BOB, plane: 'experimental' },
  ]),
});

function attrs(asns: number[], extra: Partial<RouteAttributes> = {}): RouteAttributes {
  return { origin: 'igp', asPath: [{ type: 'sequence', asns }], nextHop: parseAddress('10.128.0.2'), ...extra };
}

const alice = { experimentAsn: ALICE };
const check = (prefix: string, path: number[]) => policy.checkPrefix(parsePrefix(prefix), attrs(path), alice);

describe('import policy for an experiment\'s router', () => {
  it('accepts the experiment\'s allocation and its more-specifics up to the max length, from its AS', () => {
    expect(check('10.128.1.0/24', [ALICE])).toEqual({ validation: 'valid', rejection: null });
    expect(check('10.128.1.16/28', [ALICE, ALICE])).toEqual({ validation: 'valid', rejection: null });
  });

  it('rejects a more-specific beyond the max length as invalid', () => {
    expect(check('10.128.1.8/29', [ALICE]).rejection).toEqual({
      check: 'origin-validation', reason: `invalid: origin AS${ALICE} not authorized (covered by 10.128.1.0/24 max /28 AS${ALICE})`,
    });
  });

  it('rejects another experiment\'s prefix, from the researcher\'s AS or relayed with the other AS as origin', () => {
    expect(check('10.128.2.0/24', [ALICE]).rejection?.check).toBe('origin-validation');
    // Valid by the authorizations alone (BOB originates it), but not the experiment's own.
    expect(check('10.128.2.0/24', [ALICE, BOB])).toEqual({
      validation: 'valid', rejection: { check: 'experiment-origin', reason: `origin AS${BOB} is not the experiment's AS${ALICE}` },
    });
  });

  it('rejects unallocated experimental space that a plain peer would get as not-found', () => {
    expect(policy.checkPrefix(parsePrefix('10.130.0.0/24'), attrs([ALICE]))).toEqual({ validation: 'not-found', rejection: null });
    expect(check('10.130.0.0/24', [ALICE])).toEqual({
      validation: 'not-found', rejection: { check: 'experiment-origin', reason: `no route authorization of the experiment's AS${ALICE} covers it` },
    });
  });

  it('rejects production space by the plane\'s pools before anything else', () => {
    expect(check('10.64.1.0/24', [ALICE]).rejection?.check).toBe('plane-pool');
  });
});

describe('community count', () => {
  it('counts standard and large communities together, objecting only above the limit', () => {
    const three = attrs([ALICE], { communities: [1, 2], largeCommunities: [[ALICE, 1, 1]] });
    expect(communityCountReason(three, 3)).toBeNull();
    expect(communityCountReason(three, 2)).toBe('3 communities exceed 2');
    expect(communityCountReason(three, undefined)).toBeNull();
    expect(policy.checkPath(three, { maxCommunities: 2 })).toEqual({ check: 'community-count', reason: '3 communities exceed 2' });
    const longAndTagged = attrs([ALICE, ALICE, ALICE], { communities: [1, 2, 3] });
    expect(policy.checkPath(longAndTagged, { maxAsPathLength: 2, maxCommunities: 2 })?.check).toBe('as-path-length');
  });
});
