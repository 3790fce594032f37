import type { Family, Prefix } from '../../common/prefix.js';

/** Words of the longest key (IPv6: four address words and the length): room for a copy of any key. */
export const PREFIX_KEY_WORDS = 5;

/** The prefix whose key words (as `PrefixIndex.copyKey` writes them) start at `key.at`. */
export function prefixFromKey(family: Family, key: { words: Uint32Array; at: number }): Prefix {
  const { words, at } = key;
  if (family === 4) return { family: 4, value: BigInt(words[at]!), length: words[at + 1]! };
  let value = 0n;
  for (let i = 0; i < 4; i++) value = (value << 32n) | BigInt(words[at + i]!);
  return { family: 6, value, length: words[at + 4]! };
}

/**
 * Maps the prefixes of one address family to small dense slot numbers, so
 * that everything else about a prefix (its paths, its best path, what each
 * peer was sent) lives in typed arrays indexed by slot. A Map keyed by
 * prefix costs a heap object per entry; this costs a few words.
 * Open addressing with linear probing and backward-shift deletion.
 */
export class PrefixIndex {
  readonly family: Family;
  /** Words per key: the address in 32-bit words, then the length. */
  private readonly width: number;
  private table: Int32Array; // bucket -> slot, -1 empty
  private mask: number;
  private slotKeys: Uint32Array; // slot -> key words
  private slotHash: Uint32Array;
  private slotLive: Uint8Array;
  private freeSlots: number[] = [];
  private slotCount = 0; // high-water mark of slots handed out
  private live = 0;
  private readonly scratch: Uint32Array;

  constructor(family: Family, options: { initialCapacity?: number } = {}) {
    this.family = family;
    this.width = family === 4 ? 2 : 5;
    const capacity = Math.max(16, options.initialCapacity ?? 1024);
    const buckets = nextPowerOfTwo(capacity * 2);
    this.table = new Int32Array(buckets).fill(-1);
    this.mask = buckets - 1;
    this.slotKeys = new Uint32Array(capacity * this.width);
    this.slotHash = new Uint32Array(capacity);
    this.slotLive = new Uint8Array(capacity);
    this.scratch = new Uint32Array(this.width);
  }

  /** Prefixes held. */
  get size(): number {
    return this.live;
  }

  /** One past the highest slot ever handed out: arrays indexed by slot need this length. */
  get slotLimit(): number {
    return this.slotCount;
  }

  /** Slot arrays must be at least this long; it only grows. */
  get slotCapacity(): number {
    return this.slotHash.length;
  }

  find(prefix: Prefix): number {
    const words = this.toWords(prefix);
    const hash = this.hashWords(words);
    for (let b = hash & this.mask; ; b = (b + 1) & this.mask) {
      const slot = this.table[b]!;
      if (slot < 0) return -1;
      if (this.slotHash[slot] === hash && this.keyEquals(slot, words)) return slot;
    }
  }

  /** The slot of `prefix`, creating it if absent. */
  insert(prefix: Prefix): number {
    const words = this.toWords(prefix);
    const hash = this.hashWords(words);
    let b = hash & this.mask;
    for (; ; b = (b + 1) & this.mask) {
      const slot = this.table[b]!;
      if (slot < 0) break;
      if (this.slotHash[slot] === hash && this.keyEquals(slot, words)) return slot;
    }
    const slot = this.allocateSlot();
    // Word by word: a key is two words for IPv4, and TypedArray.set costs a call into the runtime per prefix.
    const base = slot * this.width;
    for (let i = 0; i < this.width; i++) this.slotKeys[base + i] = words[i]!;
    this.slotHash[slot] = hash;
    this.slotLive[slot] = 1;
    this.table[b] = slot;
    this.live++;
    if (this.live * 2 > this.table.length) this.rehash(this.table.length * 2);
    return slot;
  }

  /** Whether `slot` currently stands for a prefix. */
  holds(slot: number): boolean {
    return this.slotLive[slot] === 1;
  }

  remove(slot: number): void {
    if (!this.holds(slot)) throw new Error(`prefix slot ${slot} is not in use`);
    const hash = this.slotHash[slot]!;
    let b = hash & this.mask;
    while (this.table[b] !== slot) {
      if (this.table[b]! < 0) throw new Error(`prefix slot ${slot} is not in the index`);
      b = (b + 1) & this.mask;
    }
    // Backward shift: pull later members of the probe run into the hole.
    let hole = b;
    for (let next = (hole + 1) & this.mask; this.table[next]! >= 0; next = (next + 1) & this.mask) {
      const home = this.slotHash[this.table[next]!]! & this.mask;
      const distanceNext = (next - home) & this.mask;
      const distanceHole = (hole - home) & this.mask;
      if (distanceHole <= distanceNext) {
        this.table[hole] = this.table[next]!;
        hole = next;
      }
    }
    this.table[hole] = -1;
    this.freeSlots.push(slot);
    this.slotHash[slot] = 0;
    this.slotLive[slot] = 0;
    this.live--;
  }

  prefixOf(slot: number): Prefix {
    return prefixFromKey(this.family, { words: this.slotKeys, at: slot * this.width });
  }

  /** Copies the key words of `slot` (what `prefixFromKey` reads), without building its Prefix. */
  copyKey(slot: number, to: { into: Uint32Array; at: number }): void {
    const base = slot * this.width;
    for (let i = 0; i < this.width; i++) to.into[to.at + i] = this.slotKeys[base + i]!;
  }

  private toWords(prefix: Prefix): Uint32Array {
    if (prefix.family !== this.family) throw new Error(`IPv${prefix.family} prefix given to the IPv${this.family} index`);
    const w = this.scratch;
    if (prefix.family === 4) {
      w[0] = Number(prefix.value);
      w[1] = prefix.length;
    } else {
      const v = prefix.value;
      w[0] = Number(v >> 96n);
      w[1] = Number((v >> 64n) & 0xffffffffn);
      w[2] = Number((v >> 32n) & 0xffffffffn);
      w[3] = Number(v & 0xffffffffn);
      w[4] = prefix.length;
    }
    return w;
  }

  private hashWords(words: Uint32Array): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < words.length; i++) {
      h = Math.imul(h ^ words[i]!, 0x9e3779b1);
      h ^= h >>> 15;
    }
    h = Math.imul(h, 0x85ebca6b);
    return (h ^ (h >>> 13)) >>> 0;
  }

  private keyEquals(slot: number, words: Uint32Array): boolean {
    const base = slot * this.width;
    for (let i = 0; i < this.width; i++) if (this.slotKeys[base + i] !== words[i]) return false;
    return true;
  }

  private allocateSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.slotCount === this.slotHash.length) {
      const grown = this.slotHash.length * 2;
      const keys = new Uint32Array(grown * this.width);
      keys.set(this.slotKeys);
      this.slotKeys = keys;
      const hashes = new Uint32Array(grown);
      hashes.set(this.slotHash);
      this.slotHash = hashes;
      const live = new Uint8Array(grown);
      live.set(this.slotLive);
      this.slotLive = live;
    }
    return this.slotCount++;
  }

  private rehash(buckets: number): void {
    const table = new Int32Array(buckets).fill(-1);
    const mask = buckets - 1;
    for (const slot of this.table) {
      if (slot < 0) continue;
      let b = this.slotHash[slot]! & mask;
      while (table[b]! >= 0) b = (b + 1) & mask;
      table[b] = slot;
    }
    this.table = table;
    this.mask = mask;
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
