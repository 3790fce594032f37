import { describe, expect, it } from 'vitest';
import { TurnClock } from './turn-clock.js';

describe('TurnClock', () => {
  it('reads the clock once per turn of the event loop, and again in the next turn', async () => {
    let reads = 0;
    const clock = new TurnClock(() => 1000 + ++reads);
    expect([clock.time(), clock.time(), clock.time()]).toEqual([1001, 1001, 1001]);
    expect(reads).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(clock.time()).toBe(1002);
    expect(reads).toBe(2);
  });
});
