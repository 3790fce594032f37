import { describe, expect, it } from 'vitest';
import { UpdateRateLimit } from './update-rate.js';

describe('UpdateRateLimit', () => {
  it('lets a burst through, then asks for a pause that repays the excess', () => {
    let t = 0;
    const limit = new UpdateRateLimit({ perSecond: 100, burst: 1000 }, () => t);
    expect(limit.take(1000)).toBe(0);
    expect(limit.take(50)).toBe(500);
    t += 500;
    expect(limit.take(0)).toBe(0);
    t += 10_000;
    // Refill stops at the burst size.
    expect(limit.take(1000)).toBe(0);
    expect(limit.take(1)).toBe(10);
  });

  it('refuses a limit that could never pass an update', () => {
    expect(() => new UpdateRateLimit({ perSecond: 0, burst: 10 })).toThrow(/perSecond > 0/);
  });
});
