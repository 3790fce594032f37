import { describe, expect, it } from 'vitest';
import { ipv4Prefix, ipv4PrefixAddress, ipv4PrefixLength, ipv6PrefixLength } from './types.js';

describe('packed IPv4 prefix', () => {
  it('packs address and length into one number and unpacks them', () => {
    const p = ipv4Prefix(0xc0000201, 24); // 192.0.2.1/24
    expect(ipv4PrefixAddress(p)).toBe(0xc0000200);
    expect(ipv4PrefixLength(p)).toBe(24);
  });

  it('clears host bits so equal prefixes are equal numbers', () => {
    expect(ipv4Prefix(0x0a0000ff, 8)).toBe(ipv4Prefix(0x0a000000, 8));
    expect(ipv4Prefix(0xffffffff, 0)).toBe(0);
    expect(ipv4Prefix(0xffffffff, 32)).toBe(0xffffffff * 64 + 32);
  });

  it('orders by address first, then length', () => {
    expect(ipv4Prefix(0x0a000000, 8)).toBeLessThan(ipv4Prefix(0x0a000000, 9));
    expect(ipv4Prefix(0x0a000000, 32)).toBeLessThan(ipv4Prefix(0x0a000001, 32));
  });
});

describe('IPv6 prefix key', () => {
  it('reads the length after the slash', () => {
    expect(ipv6PrefixLength('20010db8000000000000000000000000/32')).toBe(32);
  });
});
