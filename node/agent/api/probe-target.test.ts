import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.js';
import { boundedCount, probeTarget } from './probe-target.js';

const mesh = { productionV4: '10.64.0.0/11', productionV6: 'fd64:6172::/48', experimentalV4: '10.96.0.0/11', experimentalV6: 'fd96:6172::/48' };
const self = { productionV4: '10.64.0.1', productionV6: 'fd64:6172::1', experimentalV4: '10.96.0.1', experimentalV6: 'fd96:6172::1' };

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('probeTarget', () => {
  it('takes the plane from the pool holding the target and leaves from that plane\'s loopback of the same family', () => {
    expect(probeTarget('10.64.3.1', mesh, self)).toEqual({ target: '10.64.3.1', plane: 'production', source: '10.64.0.1' });
    expect(probeTarget('fd96:6172:0:0::9', mesh, self)).toEqual({ target: 'fd96:6172::9', plane: 'experimental', source: 'fd96:6172::1' });
    expect(probeTarget('10.127.255.254', mesh, self).plane).toBe('experimental');
  });

  it('refuses an address outside every pool with INVALID_ARGUMENT naming the pools', () => {
    const err = refusal(() => probeTarget('192.0.2.1', mesh, self));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.message).toBe('"target" 192.0.2.1 is outside the mesh\'s pools');
    expect(err.hint).toContain('10.64.0.0/11');
    expect(refusal(() => probeTarget('10.128.0.1', mesh, self)).code).toBe(status.INVALID_ARGUMENT);
  });

  it('refuses names, prefixes, empty and hostile text as not an address', () => {
    for (const bad of ['example.org', '10.64.0.0/24', '; rm -rf /', '-c 1000', 'fe80::1%eth0']) {
      const err = refusal(() => probeTarget(bad, mesh, self));
      expect(err.code, bad).toBe(status.INVALID_ARGUMENT);
      expect(err.message, bad).toMatch(/is not an IPv4 or IPv6 address/);
    }
    expect(refusal(() => probeTarget('', mesh, self)).message).toBe('"target" is missing');
  });
});

describe('boundedCount', () => {
  const limits = { default: 3, max: 10 };
  it('0 is the default; within the cap as given', () => {
    expect(boundedCount('count', 0, limits)).toBe(3);
    expect(boundedCount('count', 10, limits)).toBe(10);
  });
  it('above the cap is RESOURCE_EXHAUSTED, a fraction or a negative INVALID_ARGUMENT', () => {
    expect(refusal(() => boundedCount('count', 11, limits)).code).toBe(status.RESOURCE_EXHAUSTED);
    expect(refusal(() => boundedCount('count', 1.5, limits)).code).toBe(status.INVALID_ARGUMENT);
    expect(refusal(() => boundedCount('count', -1, limits)).code).toBe(status.INVALID_ARGUMENT);
  });
});
