import { describe, expect, it } from 'vitest';
import { canonicalAddress, canonicalPrefix, parseWirePrefix } from './ip.js';

describe('ip text and wire bytes', () => {
  it('parses IPv4 on the fast path and IPv6 through the shared math', () => {
    expect([...parseWirePrefix('203.0.113.0/24', 'x').bytes]).toEqual([203, 0, 113, 0]);
    expect(parseWirePrefix('0.0.0.0/0', 'x').length).toBe(0);
    const v6 = parseWirePrefix('2001:db8::/32', 'x');
    expect(v6.family).toBe(6);
    expect([...v6.bytes.subarray(0, 4)]).toEqual([0x20, 0x01, 0x0d, 0xb8]);
  });

  it('rejects malformed prefixes with the field name', () => {
    for (const bad of ['1.2.3/24', '1.2.3.4.5/32', '256.0.0.0/8', '10.0.0.0/33', '10.0.0.0/', '10.0.0.1/24', '2001:db8::1/32', 'x/8']) {
      expect(() => parseWirePrefix(bad, 'pool 3')).toThrow(`pool 3: "${bad}" is not a valid prefix`);
    }
  });

  it('gives one canonical text for any spelling', () => {
    expect(canonicalPrefix('2001:DB8:0::/48', 'x')).toBe('2001:db8::/48');
    expect(canonicalAddress('2001:db8:0:0::1', 'x')).toBe('2001:db8::1');
    expect(canonicalAddress('192.0.2.1', 'x')).toBe('192.0.2.1');
  });
});
