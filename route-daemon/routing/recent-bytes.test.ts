import { describe, expect, it } from 'vitest';
import { RecentBytes } from './recent-bytes.js';

describe('RecentBytes', () => {
  it('returns what was stored for an id until it is dropped or two generations have filled after it', () => {
    const recent = new RecentBytes();
    recent.set(1, Buffer.from('one'));
    recent.set(2, Buffer.from('two'));
    const view = recent.get(1)!;
    expect(view.toString()).toBe('one');
    recent.set(1, Buffer.from('uno'));
    expect(recent.get(1)!.toString()).toBe('uno');
    recent.drop(2);
    expect(recent.get(2)).toBeUndefined();
    // Fill a little over one generation (2 MiB) with other ids: 1 is in the older one now, still there.
    const big = Buffer.alloc(4000, 7);
    for (let id = 10; id < 10 + 530; id++) recent.set(id, big);
    expect(recent.get(1)!.toString()).toBe('uno');
    expect(recent.get(12)).toEqual(big);
    // And over another: the generation holding 1 is gone.
    for (let id = 1000; id < 1000 + 530; id++) recent.set(id, big);
    expect(recent.get(1)).toBeUndefined();
    expect(recent.get(1529)).toEqual(big);
    // A view handed out earlier still holds its bytes.
    expect(view.toString()).toBe('one');
  });

  it('refuses bytes too long to place', () => {
    expect(() => new RecentBytes().set(1, Buffer.alloc(70_000))).toThrow(/too many/);
  });
});
