import { describe, expect, it } from 'vitest';
import { parsePrefix } from '../common/prefix.js';
import { routeAuthorizations } from './registry-authorizations.js';

describe('routeAuthorizations', () => {
  it('converts the registry\'s records and sets aside the ones it cannot use, with the reason', () => {
    const { authorizations, refused } = routeAuthorizations([
      { prefix: '10.128.1.0/24', maxLength: 28, originAsn: 4200000100, plane: 'experimental' },
      { prefix: '10.128.2.0/24', maxLength: 20, originAsn: 4200000100, plane: 'experimental' },
      { prefix: '10.128.3.0/24', maxLength: 24, originAsn: 4200000100, plane: 'lab' },
      { prefix: '10.128.4.1/24', maxLength: 24, originAsn: 4200000100, plane: 'experimental' },
      { prefix: '10.64.0.0/16', maxLength: 24, originAsn: 0, plane: 'production' },
    ]);
    expect(authorizations).toEqual([{ prefix: parsePrefix('10.128.1.0/24'), maxLength: 28, originAsn: 4200000100, plane: 'experimental' }]);
    expect(refused).toEqual([
      { prefix: '10.128.2.0/24', reason: 'max length 20 is not between 24 and 32' },
      { prefix: '10.128.3.0/24', reason: '"lab" is not a plane' },
      { prefix: '10.128.4.1/24', reason: expect.stringMatching(/host bits set/) },
      { prefix: '10.64.0.0/16', reason: 'origin AS 0 is not an AS number' },
    ]);
  });
});
