import { describe, expect, it } from 'vitest';
import { parsePrefix } from '../../common/prefix.js';
import { OriginValidator } from './origin-validation.js';

describe('OriginValidator', () => {
  const v = new OriginValidator([
    { prefix: '10.200.0.0/22', maxLength: 24, originAsn: 65001, plane: 'experimental' },
    { prefix: '10.97.1.0/24', maxLength: 24, originAsn: 65002, plane: 'production' },
  ]);
  it.each([
    ['experimental', '10.200.1.0/24', 65001, 'valid'],
    ['experimental', '10.200.0.0/22', 65001, 'valid'],
    ['experimental', '10.200.1.0/25', 65001, 'invalid'],
    ['experimental', '10.200.1.0/24', 65009, 'invalid'],
    ['experimental', '10.201.0.0/24', 65001, 'not-found'],
    ['production', '10.200.1.0/24', 65001, 'not-found'],
    ['production', '10.97.1.0/24', 65002, 'valid'],
  ] as const)('%s %s from AS%d is %s', (plane, prefix, asn, state) => {
    expect(v.validate(plane, parsePrefix(prefix), asn)).toBe(state);
  });
});
