import { describe, expect, it } from 'vitest';
import { TurnBudget, Turns } from './turns.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A clock that moves only when a piece of work says it took time. */
function fakeClock(): { now: () => number; spend: (ms: number) => void } {
  let t = 0;
  return { now: () => t, spend: (ms) => (t += ms) };
}

describe('Turns', () => {
  it('runs waiting work in order until the turn has taken its budget; what is left, then what asked again, go next turn', async () => {
    const clock = fakeClock();
    const turns = new Turns(5, clock.now);
    const ran: string[][] = [[]];
    const work = (name: string, then?: () => void) => (): void => {
      ran[ran.length - 1]!.push(name);
      clock.spend(2);
      then?.();
    };
    turns.request(work('a', () => turns.request(work('a again'))));
    for (const name of ['b', 'c', 'd']) turns.request(work(name));
    // 2 + 2 ms leaves the turn under 5 ms, the third makes it 6: d waits, ahead of a's second batch.
    await nextTurn();
    ran.push([]);
    await nextTurn();
    expect(ran).toEqual([['a', 'b', 'c'], ['d', 'a again']]);
  });
});

describe('TurnBudget', () => {
  it('allows work until the budget is spent, and again in the next turn', async () => {
    const clock = fakeClock();
    const budget = new TurnBudget(3, clock.now);
    expect(budget.available()).toBe(true);
    clock.spend(2);
    expect(budget.available()).toBe(true);
    clock.spend(2);
    expect(budget.available()).toBe(false);
    await nextTurn();
    expect(budget.available()).toBe(true);
  });
});
