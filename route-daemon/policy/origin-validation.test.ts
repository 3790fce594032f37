import { describe, expect, it } from 'vitest';
import { parsePrefix } from '../../common/prefix.js';
import { originAs, RouteAuthorizations } from './origin-validation.js';

const auths = new RouteAuthorizations('experimental', [
  { prefix: parsePrefix('10.128.0.0/16'), maxLength: 24, originAsn: 65010, plane: 'experimental' },
  { prefix: parsePrefix('10.128.5.0/24'), maxLength: 24, originAsn: 65020, plane: 'experimental' },
  { prefix: parsePrefix('10.64.0.0/16'), maxLength: 24, originAsn: 65010, plane: 'production' },
  { prefix: parsePrefix('fd00:80::/32'), maxLength: 48, originAsn: 65010, plane: 'experimental' },
]);

describe('RouteAuthorizations.validate (RFC 6811)', () => {
  it('is valid when a covering authorization matches origin and max length', () => {
    expect(auths.validate(parsePrefix('10.128.1.0/24'), 65010)).toBe('valid');
    expect(auths.validate(parsePrefix('fd00:80:1::/48'), 65010)).toBe('valid');
  });

  it('is valid through a more specific authorization for another AS', () => {
    expect(auths.validate(parsePrefix('10.128.5.0/24'), 65020)).toBe('valid');
  });

  it('is invalid for the wrong origin, too long a prefix, or an AS_SET origin', () => {
    expect(auths.validate(parsePrefix('10.128.1.0/24'), 65099)).toBe('invalid');
    expect(auths.validate(parsePrefix('10.128.1.0/25'), 65010)).toBe('invalid');
    expect(auths.validate(parsePrefix('10.128.1.0/24'), undefined)).toBe('invalid');
  });

  it('is not-found when nothing covers it, and ignores the other plane', () => {
    expect(auths.validate(parsePrefix('10.200.0.0/16'), 65010)).toBe('not-found');
    expect(auths.validate(parsePrefix('10.64.1.0/24'), 65010)).toBe('not-found');
    expect(auths.size).toBe(3);
  });

  it('names the covering authorizations for an explanation', () => {
    expect(auths.covering(parsePrefix('10.128.5.0/24'))).toEqual([
      '10.128.0.0/16 max /24 AS65010',
      '10.128.5.0/24 max /24 AS65020',
    ]);
  });
});

describe('originAs', () => {
  it('takes the last AS of a final sequence, none after a set, our own for an empty path', () => {
    expect(originAs([{ type: 'sequence', asns: [1, 2, 3] }], 9)).toBe(3);
    expect(originAs([{ type: 'sequence', asns: [1] }, { type: 'set', asns: [4, 5] }], 9)).toBeUndefined();
    expect(originAs([], 9)).toBe(9);
  });
});
