import { describe, expect, it } from 'vitest';
import {
  addressFromBytes, addressToBytes, formatAddress, formatPrefix, hostAddress, parseAddress, parsePrefix,
  prefixContains, prefixContainsAddress, prefixesOverlap, subnet, subnetCount,
} from './prefix.js';

describe('addresses', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ])('%s formats as %s', (input, output) => {
    expect(formatAddress(parseAddress(input))).toBe(output);
  });

  it('round-trips through bytes', () => {
    for (const text of ['10.1.2.3', '2001:db8:ffff::42']) {
      const a = parseAddress(text);
      expect(addressFromBytes(addressToBytes(a))).toEqual(a);
    }
    expect([...addressToBytes(parseAddress('10.1.2.3'))]).toEqual([10, 1, 2, 3]);
  });

  it.each(['', '1.2.3', '256.1.1.1', 'fe80::1%eth0', 'hello', '1::2::3'])('refuses %j', (bad) => {
    expect(() => parseAddress(bad)).toThrow(/not an IPv4 or IPv6 address/);
  });
});

describe('prefixes', () => {
  it('parses and formats', () => {
    expect(formatPrefix(parsePrefix('10.0.0.0/8'))).toBe('10.0.0.0/8');
    expect(formatPrefix(parsePrefix('2001:db8::/32'))).toBe('2001:db8::/32');
    expect(formatPrefix(parsePrefix('10.1.2.3/8', { allowHostBits: true }))).toBe('10.0.0.0/8');
  });

  it('refuses host bits, bad lengths and missing lengths with a hint', () => {
    expect(() => parsePrefix('10.1.0.0/8')).toThrow(/host bits set/);
    expect(() => parsePrefix('10.0.0.0/33')).toThrow(/invalid prefix length/);
    expect(() => parsePrefix('10.0.0.0/-1')).toThrow(/invalid prefix length/);
    expect(() => parsePrefix('10.0.0.0')).toThrow(/not a prefix/);
  });

  it('answers containment and overlap', () => {
    const pool = parsePrefix('10.64.0.0/10');
    expect(prefixContains(pool, parsePrefix('10.100.0.0/24'))).toBe(true);
    expect(prefixContains(pool, parsePrefix('10.128.0.0/24'))).toBe(false);
    expect(prefixContains(parsePrefix('10.100.0.0/24'), pool)).toBe(false);
    expect(prefixContains(pool, parsePrefix('2001:db8::/32'))).toBe(false);
    expect(prefixesOverlap(pool, parsePrefix('10.0.0.0/8'))).toBe(true);
    expect(prefixesOverlap(pool, parsePrefix('10.0.0.0/10'))).toBe(false);
    expect(prefixContainsAddress(pool, parseAddress('10.127.255.255'))).toBe(true);
    expect(prefixContainsAddress(pool, parseAddress('10.128.0.0'))).toBe(false);
  });

  it('enumerates subnets and hosts', () => {
    const pool = parsePrefix('10.64.0.0/16');
    expect(subnetCount(pool, 24)).toBe(256n);
    expect(subnetCount(pool, 8)).toBe(0n);
    expect(formatPrefix(subnet(pool, 24, 0n))).toBe('10.64.0.0/24');
    expect(formatPrefix(subnet(pool, 24, 255n))).toBe('10.64.255.0/24');
    expect(() => subnet(pool, 24, 256n)).toThrow(RangeError);
    expect(formatPrefix(subnet(parsePrefix('fd00::/48'), 64, 3n))).toBe('fd00:0:0:3::/64');
    expect(formatAddress(hostAddress(parsePrefix('10.64.1.0/24'), 1n))).toBe('10.64.1.1');
  });
});
