import { describe, expect, it } from 'vitest';
import { canonicalAddress } from './listener.js';

describe('canonical peer addresses', () => {
  it('unwraps IPv4-mapped IPv6 from a dual-stack listener and normalizes IPv6 text', () => {
    expect(canonicalAddress('::ffff:10.64.0.2')).toBe('10.64.0.2');
    expect(canonicalAddress('10.64.0.2')).toBe('10.64.0.2');
    expect(canonicalAddress('FD00:0064:0000::0002')).toBe('fd00:64::2');
  });
});
