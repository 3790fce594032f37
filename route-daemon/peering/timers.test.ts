import { describe, expect, it } from 'vitest';
import { jitter, keepaliveInterval, negotiateHoldTime } from './timers.js';

describe('BGP timers', () => {
  it('negotiates the smaller hold time, 0 from either side wins', () => {
    expect(negotiateHoldTime(90, 9)).toBe(9);
    expect(negotiateHoldTime(3, 180)).toBe(3);
    expect(negotiateHoldTime(0, 180)).toBe(0);
    expect(negotiateHoldTime(90, 0)).toBe(0);
  });
  it('keepalive is a third of the hold time, at least a second, 0 when hold is 0', () => {
    expect(keepaliveInterval(9)).toBe(3);
    expect(keepaliveInterval(4)).toBe(1);
    expect(keepaliveInterval(0)).toBe(0);
    expect(keepaliveInterval(90, 10)).toBe(10);
    expect(keepaliveInterval(9, 60)).toBe(3);
  });
  it('jitter stays within 75% to 100%', () => {
    expect(jitter(120, 0)).toBe(90);
    expect(jitter(120, 0.999)).toBeLessThan(120);
    expect(jitter(120, 0.5)).toBe(105);
  });
});
