import { describe, expect, it } from 'vitest';
import { SlotLists } from './slot-lists.js';

describe('SlotLists', () => {
  it('keeps each key\'s slots in the order they were added, through removals at the head, middle and tail', () => {
    const lists = new SlotLists();
    for (const slot of [3, 1, 4, 5, 9]) lists.add(7, slot);
    lists.add(8, 2);
    expect([...lists.slots(7)]).toEqual([3, 1, 4, 5, 9]);
    expect(lists.remove(7, 3)).toBe(true);
    expect(lists.remove(7, 4)).toBe(true);
    expect(lists.remove(7, 9)).toBe(true);
    expect([...lists.slots(7)]).toEqual([1, 5]);
    lists.add(7, 3);
    expect([...lists.slots(7)]).toEqual([1, 5, 3]);
    expect([...lists.slots(8)]).toEqual([2]);
    expect(lists.keys).toBe(2);
  });

  it('drops a key with its last slot, and says when a slot was in no list', () => {
    const lists = new SlotLists();
    lists.add(7, 0);
    expect(lists.remove(7, 0)).toBe(true);
    expect(lists.remove(7, 0)).toBe(false);
    expect(lists.remove(7, 1_000_000)).toBe(false);
    expect([...lists.slots(7)]).toEqual([]);
    expect(lists.keys).toBe(0);
  });

  it('grows past its first capacity and refuses a slot that is already in a list', () => {
    const lists = new SlotLists();
    lists.add(1, 5000);
    lists.add(1, 10);
    lists.add(2, 70_000);
    expect([...lists.slots(1)]).toEqual([5000, 10]);
    expect([...lists.slots(2)]).toEqual([70_000]);
    expect(() => lists.add(2, 10)).toThrow(/slot 10 is already in a list/);
  });
});
