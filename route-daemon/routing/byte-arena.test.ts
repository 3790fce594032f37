import { describe, expect, it } from 'vitest';
import { ByteArena } from './byte-arena.js';

describe('ByteArena', () => {
  it('agrees with a Map of id to bytes over a seeded run of stores and drops, through compactions', () => {
    const arena = new ByteArena();
    const model = new Map<number, Buffer>();
    let seed = 7;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const early: { view: Buffer; copy: Buffer }[] = [];
    for (let step = 0; step < 50_000; step++) {
      const id = random(3000);
      if (random(3) === 0) {
        arena.drop(id);
        model.delete(id);
      } else {
        const value = Buffer.from(Array.from({ length: 1 + random(90) }, () => random(256)));
        arena.set(id, { bytes: value, length: value.length });
        model.set(id, value);
        if (step % 5000 === 0) early.push({ view: arena.get(id)!, copy: Buffer.from(value) });
      }
    }
    for (let id = 0; id < 3000; id++) {
      const value = model.get(id);
      expect(arena.get(id)).toEqual(value);
      if (!value) continue;
      // matches: the same bytes at the start of a longer buffer, and not one byte more, fewer or different.
      const longer = Buffer.concat([value, Buffer.from([7, 7])]);
      expect(arena.matches(id, { bytes: longer, length: value.length })).toBe(true);
      expect(arena.matches(id, { bytes: longer, length: value.length + 1 })).toBe(false);
      expect(arena.matches(id, { bytes: longer, length: value.length - 1 })).toBe(false);
      longer[value.length - 1] ^= 1;
      expect(arena.matches(id, { bytes: longer, length: value.length })).toBe(false);
    }
    expect(arena.matches(99_999, { bytes: Buffer.alloc(0), length: 0 })).toBe(false);
    expect(arena.size).toBe([...model.values()].reduce((n, b) => n + b.length, 0));
    // Views handed out before later compactions still hold what they held.
    for (const { view, copy } of early) expect(view).toEqual(copy);
    expect(arena.get(99_999)).toBeUndefined();
  });

  it('keeps every string, at the start of a longer scratch, through growths with nothing dropped', () => {
    const arena = new ByteArena();
    const scratch = Buffer.alloc(100, 0xee);
    const stored: Buffer[] = [];
    // 40,000 strings of 1..90 bytes: several doublings of the 64 KiB buffer, each a copy of the whole.
    for (let id = 0; id < 40_000; id++) {
      const length = 1 + (id % 90);
      for (let i = 0; i < length; i++) scratch[i] = (id * 31 + i) & 0xff;
      arena.set(id, { bytes: scratch, length });
      stored.push(Buffer.from(scratch.subarray(0, length)));
    }
    // One assertion over all: 40,000 expect() calls took 4.5 s of a CI run, near the 5 s test timeout.
    const differing = stored.flatMap((bytes, id) => (arena.get(id)?.equals(bytes) ? [] : [id]));
    expect(differing).toEqual([]);
    expect(arena.size).toBe(stored.reduce((n, b) => n + b.length, 0));
  });
});
