import { describe, expect, it } from 'vitest';
import { RecentlyBuilt } from './recently-built.js';

describe('RecentlyBuilt', () => {
  it('keeps the last generation and the one before, and forgets older ones', () => {
    const cache = new RecentlyBuilt<string>(2);
    cache.keep(1, 'a');
    cache.keep(2, 'b');
    cache.keep(3, 'c'); // 1 and 2 become the previous generation
    expect([cache.get(1), cache.get(2), cache.get(3)]).toEqual(['a', 'b', 'c']);
    cache.keep(4, 'd');
    cache.keep(5, 'e');
    cache.keep(6, 'f');
    expect([cache.get(1), cache.get(3), cache.get(6)]).toEqual([undefined, undefined, 'f']);
  });

  it('moves a set read from the previous generation back into the current one', () => {
    const cache = new RecentlyBuilt<string>(2);
    cache.keep(1, 'a');
    cache.keep(2, 'b');
    cache.keep(3, 'c'); // previous: 1, 2; current: 3
    expect(cache.get(1)).toBe('a'); // current: 3, 1
    cache.keep(4, 'd'); // previous: 3, 1; current: 4
    cache.keep(5, 'e'); // current: 4, 5
    cache.keep(6, 'f'); // previous: 4, 5; 1 is gone, as is 2 (never read again)
    expect([cache.get(1), cache.get(2), cache.get(4)]).toEqual([undefined, undefined, 'd']);
  });

  it('forgets a deleted id in both generations', () => {
    const cache = new RecentlyBuilt<string>(1);
    cache.keep(1, 'a');
    cache.keep(2, 'b'); // previous: 1; current: 2
    cache.delete(1);
    cache.delete(2);
    expect([cache.get(1), cache.get(2)]).toEqual([undefined, undefined]);
  });
});
