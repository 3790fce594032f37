import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.js';

describe('RateLimiter', () => {
  it('allows a burst, then refuses with the wait until enough tokens are back', () => {
    let now = 0;
    const r = new RateLimiter({ burst: 3, perSecond: 2, now: () => now });
    expect([1, 2, 3].map(() => r.take('192.0.2.1').allowed)).toEqual([true, true, true]);
    expect(r.take('192.0.2.1')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(r.take('192.0.2.2').allowed).toBe(true);
    now = 500;
    expect(r.take('192.0.2.1').allowed).toBe(true);
    expect(r.take('192.0.2.1', 3)).toEqual({ allowed: false, retryAfterSeconds: 2 });
  });

  it('counts an IPv6 client per /64 and an IPv4-mapped client as its IPv4 address', () => {
    const r = new RateLimiter({ burst: 2, perSecond: 0.001, now: () => 0 });
    expect(r.take('2001:db8:1:2::1').allowed).toBe(true);
    expect(r.take('2001:db8:1:2:ffff::9').allowed).toBe(true);
    expect(r.take('2001:db8:1:2::77').allowed).toBe(false);
    expect(r.take('2001:db8:1:3::1').allowed).toBe(true);
    expect(r.take('::ffff:192.0.2.9').allowed).toBe(true);
    expect(r.take('192.0.2.9').allowed).toBe(true);
    expect(r.take('192.0.2.9').allowed).toBe(false);
  });

  it('remembers a bounded number of clients', () => {
    let now = 0;
    const r = new RateLimiter({ burst: 1, perSecond: 1, maxClients: 2, now: () => now });
    r.take('192.0.2.1');
    r.take('192.0.2.2');
    now = 100;
    // A third client pushes out the oldest, whose bucket starts full again.
    r.take('192.0.2.3');
    expect(r.take('192.0.2.1').allowed).toBe(true);
  });
});
