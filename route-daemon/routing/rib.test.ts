import { describe, expect, it } from 'vitest';
import { formatPrefix, type Prefix } from '../../common/prefix.js';
import { AttributeStore } from './attribute-store.js';
import type { RouteAttributes } from './attributes.js';
import { FamilyRib } from './rib.js';

const attributes = (k: number): RouteAttributes => ({ origin: 'igp', asPath: [{ type: 'sequence', asns: [65001, k] }], nextHop: { family: 4, value: 0x0a000001n } });
const prefix = (k: number): Prefix => ({ family: 4, value: BigInt(0x0b000000 + k * 256), length: 24 });

/** A consumer like a peer's: holds the best path's set, records what it was told per prefix. */
function follow(rib: FamilyRib, options: { source?: number } = {}): { drain(max: number): boolean; seen: Map<string, number>; asked: number } {
  const seen = new Map<string, number>();
  const id = rib.addConsumer(() => {}, options);
  const consumer = {
    seen,
    asked: 0,
    drain(max: number) {
      return rib.drain(id, {
        max,
        desired: (slot) => {
          consumer.asked++;
          const p = rib.best[slot]!;
          // As export policy does: nothing goes back to the peer it came from.
          if (p < 0 || rib.pathPeer[p] === options.source) return -1;
          rib.store.retain(rib.pathAttr[p]!);
          return rib.pathAttr[p]!;
        },
        emit: (slot, _previous, next) => {
          const key = formatPrefix(rib.index.prefixOf(slot));
          if (next < 0) seen.delete(key);
          else seen.set(key, next);
          return true;
        },
      }).pending;
    },
  };
  return consumer;
}

describe('FamilyRib consumers', () => {
  it('a consumer far behind (more changes than its queue holds, some behind its scan) ends with exactly the Loc-RIB', () => {
    const store = new AttributeStore();
    const rib = new FamilyRib(store, (_rib, paths) => paths[0]!, { family: 4 });
    const consumer = follow(rib);
    consumer.drain(1000);
    const truth = new Map<string, number>();
    const announce = (k: number, set: number): void => {
      const attrId = store.intern(attributes(set));
      rib.upsert(prefix(k), { peer: 1, attrId, flags: 0 });
      truth.set(formatPrefix(prefix(k)), attrId);
    };
    // 60,000 changes: 16,384 queued, the rest left to a scan of the dirty flags.
    for (let k = 0; k < 60_000; k++) announce(k, k % 7);
    // Through the queue and part of the scan; then more changes than the queue holds, the
    // overflowing ones behind the scan (the scan must start again), and some withdrawals.
    for (let i = 0; i < 30; i++) consumer.drain(1000);
    for (let k = 59_998; k >= 0; k -= 2) announce(k, 100 + (k % 5));
    for (let k = 1; k < 60_000; k += 10) {
      rib.remove(prefix(k), 1);
      truth.delete(formatPrefix(prefix(k)));
    }
    let rounds = 0;
    while (consumer.drain(1000)) expect(++rounds).toBeLessThan(1000);
    expect(consumer.seen.size).toBe(truth.size);
    expect(new Map([...consumer.seen].sort())).toEqual(new Map([...truth].sort()));
  });

  it('frees the slot of a withdrawn prefix once every consumer has sent the withdrawal', () => {
    const store = new AttributeStore();
    const rib = new FamilyRib(store, (_rib, paths) => paths[0]!, { family: 4 });
    const consumer = follow(rib);
    for (let k = 0; k < 20_000; k++) rib.upsert(prefix(k), { peer: 1, attrId: store.intern(attributes(1)), flags: 0 });
    while (consumer.drain(4096));
    for (let k = 0; k < 20_000; k++) rib.remove(prefix(k), 1);
    expect(rib.index.size).toBe(20_000);
    while (consumer.drain(4096));
    expect(consumer.seen.size).toBe(0);
    expect(rib.index.size).toBe(0);
    expect(store.size).toBe(0);
  });

  it("does not offer a consumer its source's routes, yet withdraws what it holds when its source's path becomes best", () => {
    const store = new AttributeStore();
    // The newest path wins: the head of the list.
    const rib = new FamilyRib(store, (_rib, paths) => paths[0]!, { family: 4 });
    const consumer = follow(rib, { source: 2 });
    while (consumer.drain(1000));
    for (let k = 0; k < 1000; k++) rib.upsert(prefix(k), { peer: 2, attrId: store.intern(attributes(2)), flags: 0 });
    while (consumer.drain(1000));
    expect(consumer.asked).toBe(0);
    expect(consumer.seen.size).toBe(0);

    const x = formatPrefix(prefix(5000));
    rib.upsert(prefix(5000), { peer: 1, attrId: store.intern(attributes(1)), flags: 0 });
    while (consumer.drain(1000));
    expect(consumer.seen.has(x)).toBe(true);
    rib.upsert(prefix(5000), { peer: 2, attrId: store.intern(attributes(2)), flags: 0 });
    while (consumer.drain(1000));
    expect(consumer.seen.has(x)).toBe(false);
    rib.remove(prefix(5000), 2);
    while (consumer.drain(1000));
    expect(consumer.seen.has(x)).toBe(true);

    // A prefix left with no path is queued for every consumer, which held it or not (markDirty reads no
    // Adj-RIB-Out for it); the source's own prefixes are freed once their consumer has looked, sending nothing.
    for (let k = 0; k < 1000; k++) rib.remove(prefix(k), 2);
    expect(rib.index.size).toBe(1001);
    while (consumer.drain(1000));
    expect(rib.index.size).toBe(1);
    expect([...consumer.seen.keys()]).toEqual([x]);
    // A second consumer walks the table: only the one prefix not from its source is looked at.
    for (let k = 0; k < 10; k++) rib.upsert(prefix(k), { peer: 2, attrId: store.intern(attributes(2)), flags: 0 });
    const late = follow(rib, { source: 2 });
    while (late.drain(1000));
    expect(late.asked).toBe(1);
    expect([...late.seen.keys()]).toEqual([x]);
  });
});
