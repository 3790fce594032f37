import { describe, expect, it } from 'vitest';
import { FlapDamping, RFC7196_PARAMETERS } from './damping.js';

function clock(): { now: () => number; advance: (seconds: number) => void } {
  let t = 1_700_000_000_000;
  return { now: () => t, advance: (seconds) => { t += seconds * 1000; } };
}

describe('FlapDamping (RFC 2439, RFC 7196 parameters)', () => {
  it('adds 1000 per withdrawal and halves the figure every half-life', () => {
    const c = clock();
    const d = new FlapDamping(RFC7196_PARAMETERS, c.now);
    expect(d.record('a 10.0.0.0/8', 'withdrawal').penalty).toBe(1000);
    expect(d.record('a 10.0.0.0/8', 'attribute-change').penalty).toBe(1500);
    c.advance(900);
    expect(d.state('a 10.0.0.0/8').penalty).toBe(750);
  });

  it('suppresses only above 6000 (seven quick flaps, not six)', () => {
    const c = clock();
    const d = new FlapDamping(RFC7196_PARAMETERS, c.now);
    for (let i = 0; i < 6; i++) d.record('r', 'withdrawal');
    expect(d.state('r').suppressed).toBe(false);
    const seventh = d.record('r', 'withdrawal');
    expect(seventh.suppressed).toBe(true);
    expect(seventh.reason).toMatch(/^suppressed: penalty 7000 above 6000, reusable below 750 in \d+ s$/);
    // log2(7000/750) half-lives of 900 s.
    expect(seventh.reuseAt).toBe(c.now() + Math.ceil(900 * Math.log2(7000 / 750) * 1000));
  });

  it('reuses a route once its figure decays below 750, and reports it once', () => {
    const c = clock();
    const d = new FlapDamping(RFC7196_PARAMETERS, c.now);
    for (let i = 0; i < 7; i++) d.record('r', 'withdrawal');
    c.advance(2800);
    expect(d.reusable()).toEqual([]);
    expect(d.state('r').suppressed).toBe(true);
    c.advance(200);
    expect(d.reusable()).toEqual(['r']);
    expect(d.state('r').suppressed).toBe(false);
    expect(d.reusable()).toEqual([]);
  });

  it('caps the figure so that no route stays suppressed past the maximum suppress time', () => {
    const c = clock();
    const d = new FlapDamping(RFC7196_PARAMETERS, c.now);
    for (let i = 0; i < 100; i++) d.record('r', 'withdrawal');
    expect(d.state('r').penalty).toBe(12000);
    c.advance(3599);
    expect(d.state('r').suppressed).toBe(true);
    c.advance(2);
    expect(d.state('r').suppressed).toBe(false);
  });

  it('forgets calm routes so memory stays bounded', () => {
    const c = clock();
    const d = new FlapDamping(RFC7196_PARAMETERS, c.now);
    d.record('x', 'withdrawal');
    expect(d.size).toBe(1);
    c.advance(1800);
    expect(d.state('x')).toEqual({ penalty: 0, suppressed: false, reason: 'no flaps recorded' });
    expect(d.size).toBe(0);
  });

  it('refuses parameters that could never reuse a route', () => {
    expect(() => new FlapDamping({ ...RFC7196_PARAMETERS, reuseThreshold: 7000 })).toThrow(/reuse < suppress/);
  });
});
