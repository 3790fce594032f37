import { describe, expect, it } from 'vitest';
import { endpointAfterMove, endpointHost } from './endpoint.js';

describe('endpointAfterMove', () => {
  const port = 51820;

  it('follows an endpoint that was our own local address to the new one', () => {
    expect(endpointAfterMove('198.18.1.2:51820', { previousLocal: '198.18.1.2', currentLocal: '198.18.101.2', port })).toBe('198.18.101.2:51820');
    expect(endpointAfterMove('[2001:db8::2]:51820', { previousLocal: '[2001:db8::2]', currentLocal: '[2001:db8::9]', port })).toBe('[2001:db8::9]:51820');
  });

  it('leaves the registry alone when nothing moved or the address is gone', () => {
    expect(endpointAfterMove('198.18.1.2:51820', { previousLocal: '198.18.1.2', currentLocal: '198.18.1.2', port })).toBeUndefined();
    expect(endpointAfterMove('198.18.1.2:51820', { previousLocal: '198.18.1.2', currentLocal: undefined, port })).toBeUndefined();
  });

  it('never overrides an endpoint the operator gave by hand, nor none (behind NAT)', () => {
    expect(endpointAfterMove('203.0.113.7:40000', { previousLocal: '192.168.1.20', currentLocal: '192.168.1.21', port })).toBeUndefined();
    expect(endpointAfterMove(undefined, { previousLocal: '192.168.1.20', currentLocal: '192.168.1.21', port })).toBeUndefined();
  });

  it('reads the host of an IPv4 or IPv6 endpoint', () => {
    expect(endpointHost('198.18.1.2:51820')).toBe('198.18.1.2');
    expect(endpointHost('[2001:db8::2]:51820')).toBe('[2001:db8::2]');
  });
});
