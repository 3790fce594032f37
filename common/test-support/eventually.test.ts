import { describe, expect, it } from 'vitest';
import { eventually, waitFor } from './eventually.js';

describe('eventually', () => {
  it('returns the first answer that is neither undefined nor false, after as many tries as it took', async () => {
    let tries = 0;
    const answers: Array<number | undefined | false> = [undefined, false, 0, 7];
    expect(await eventually(() => answers[tries++], 1_000, { intervalMs: 1 })).toBe(0);
    expect(tries).toBe(3);
  });

  it('gives undefined at the deadline, having kept trying until then', async () => {
    let tries = 0;
    const started = Date.now();
    expect(await eventually(() => (tries++, false), 50, { intervalMs: 5 })).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(tries).toBeGreaterThan(2);
  });

  it('treats a throw as "not yet", and rethrows it only if the last try at the deadline threw', async () => {
    let tries = 0;
    expect(await eventually(async () => {
      if (++tries < 3) throw new Error('connection refused');
      return 'up';
    }, 1_000, { intervalMs: 1 })).toBe('up');
    await expect(eventually(() => Promise.reject(new Error('socket gone')), 20, { intervalMs: 5 })).rejects.toThrow('socket gone');
  });
});

describe('waitFor', () => {
  it('gives the answer, or fails naming what it waited for and how the check last failed', async () => {
    let tries = 0;
    expect(await waitFor('the third try', () => (++tries === 3 ? 'ok' : undefined), { intervalMs: 1 })).toBe('ok');
    await expect(waitFor('session up', () => false, { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow('timed out waiting for session up (0.02 s)');
    await expect(waitFor('the socket', () => Promise.reject(new Error('ECONNREFUSED')), { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow('timed out waiting for the socket: ECONNREFUSED');
  });
});
