import { describe, expect, it } from 'vitest';
import { RefCountedIds } from './ref-counted-ids.js';

describe('RefCountedIds', () => {
  it('frees an id with its last reference and gives it out again', () => {
    const ids = new RefCountedIds('thing');
    const a = ids.take();
    const b = ids.take();
    expect(a).not.toBe(b);
    ids.retain(a);
    expect(ids.release(a)).toBe(false);
    expect(ids.held(a)).toBe(true);
    expect(ids.size).toBe(2);
    expect(ids.release(a)).toBe(true);
    expect(ids.held(a)).toBe(false);
    expect(ids.size).toBe(1);
    expect(ids.take()).toBe(a);
  });

  it('grows past its first thousand ids and refuses a release without a reference', () => {
    const ids = new RefCountedIds('thing');
    const taken = Array.from({ length: 3000 }, () => ids.take());
    expect(new Set(taken).size).toBe(3000);
    expect(taken.every((id) => ids.held(id))).toBe(true);
    expect(ids.release(2999)).toBe(true);
    expect(() => ids.release(2999)).toThrow('thing 2999 released more often than retained');
  });
});
