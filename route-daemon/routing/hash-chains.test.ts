import { describe, expect, it } from 'vitest';
import { HashChains } from './hash-chains.js';

function idsWith(chains: HashChains, hash: number): number[] {
  const ids: number[] = [];
  for (let id = chains.first(hash); id >= 0; id = chains.next(id)) ids.push(id);
  return ids.sort((a, b) => a - b);
}

describe('HashChains', () => {
  it('agrees with a Map of hash to ids over a seeded run of adds and removes, through growth and shared hashes', () => {
    const chains = new HashChains();
    const model = new Map<number, Set<number>>();
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    // Few distinct hashes, some negative, so that chains hold several ids and several hashes share buckets.
    const hashOf = (k: number): number => (k % 3 === 0 ? -(k % 97) - 1 : (k % 211) * 65536);
    const live = new Map<number, number>();
    let nextId = 0;
    const free: number[] = [];
    for (let step = 0; step < 40_000; step++) {
      if (live.size > 0 && random(3) === 0) {
        const ids = [...live.keys()];
        const id = ids[random(ids.length)]!;
        chains.remove(id);
        model.get(live.get(id)!)!.delete(id);
        live.delete(id);
        free.push(id);
      } else {
        const id = free.pop() ?? nextId++;
        const hash = hashOf(random(5000));
        chains.add(id, hash);
        live.set(id, hash);
        if (!model.has(hash)) model.set(hash, new Set());
        model.get(hash)!.add(id);
      }
    }
    expect(live.size).toBeGreaterThan(5000);
    for (const [hash, ids] of model) expect(idsWith(chains, hash)).toEqual([...ids].sort((a, b) => a - b));
    expect(chains.first(12345)).toBe(-1);
  });
});
