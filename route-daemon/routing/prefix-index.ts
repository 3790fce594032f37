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
 * Open addressing with linear probing; a removed prefix leaves a tombstone,
 * which the next insert along its probe run takes (a backward shift reads
 * the key of every prefix it moves, and removing a tenth of a million
 * prefixes that way was about a seventh of sending the withdrawals on). A bucket
 * is one 32-bit word: the slot in its low 24 bits and the top 8 bits of the
 * key's hash above them, so that a probe past another prefix is decided
 * without reading that prefix's key 255 times in 256. The first read of a
 * bucket is a cache miss on a table of a million prefixes, and it was about
 * a tenth of a full table's ingest: a word per bucket keeps the table half
 * the size of a slot and a hash side by side.
 */
export class PrefixIndex {
  readonly family: Family;
  /** Words per key: the address in 32-bit words, then the length. */
  private readonly width: number;
  /** Per bucket: tag | slot, or EMPTY. */
  private buckets: Int32Array;
  private mask: number;
  private slotKeys: Uint32Array; // slot -> key words
  private slotLive: Uint8Array;
  private freeSlots: number[] = [];
  private slotCount = 0; // high-water mark of slots handed out
  private live = 0;
  private tombstones = 0;
  /** The first tombstone bucketOf passed on its last probe, or -1. */
  private firstTombstone = -1;
  private readonly scratch: Uint32Array;

  constructor(family: Family, options: { initialCapacity?: number } = {}) {
    this.family = family;
    this.width = family === 4 ? 2 : 5;
    const capacity = Math.max(16, options.initialCapacity ?? 1024);
    const count = nextPowerOfTwo(capacity * 2);
    this.buckets = new Int32Array(count).fill(EMPTY);
    this.mask = count - 1;
    this.slotKeys = new Uint32Array(capacity * this.width);
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
    return this.slotLive.length;
  }

  /** The slot of `prefix`, or -1. */
  find(prefix: Prefix): number {
    return this.findWords(this.toWords(prefix));
  }

  /** `find` for the IPv4 prefix `address`/`length`, without a Prefix. */
  findIpv4(address: number, length: number): number {
    return this.findWords(this.ipv4Words(address, length));
  }

  /** The slot of `prefix`, creating it if absent. */
  insert(prefix: Prefix): number {
    return this.insertWords(this.toWords(prefix));
  }

  /** `insert` for the IPv4 prefix `address`/`length`, without a Prefix. */
  insertIpv4(address: number, length: number): number {
    return this.insertWords(this.ipv4Words(address, length));
  }

  private findWords(words: Uint32Array): number {
    const bucket = this.buckets[this.bucketOf(words, hashWords(words))]!;
    return bucket === EMPTY ? -1 : bucket & SLOT_MASK;
  }

  private insertWords(words: Uint32Array): number {
    const hash = hashWords(words);
    let b = this.bucketOf(words, hash);
    const found = this.buckets[b]!;
    if (found !== EMPTY) return found & SLOT_MASK;
    if (this.firstTombstone >= 0) {
      b = this.firstTombstone;
      this.tombstones--;
    }
    const slot = this.allocateSlot();
    // Word by word: a key is two words for IPv4, and TypedArray.set costs a call into the runtime per prefix.
    const base = slot * this.width;
    for (let i = 0; i < this.width; i++) this.slotKeys[base + i] = words[i]!;
    this.slotLive[slot] = 1;
    this.buckets[b] = (hash & TAG_MASK) | slot;
    this.live++;
    // Four times the buckets at a time: a rehash reads every key again, and doubling rehashed a million keys on the way to a full table (fourfold: 350,000).
    if (this.live * 2 > this.buckets.length) this.rehash(this.buckets.length * 4);
    else if ((this.live + this.tombstones) * 4 > this.buckets.length * 3) this.rehash(this.buckets.length);
    return slot;
  }

  /** Whether `slot` currently stands for a prefix. */
  holds(slot: number): boolean {
    return this.slotLive[slot] === 1;
  }

  remove(slot: number): void {
    if (!this.holds(slot)) throw new Error(`prefix slot ${slot} is not in use`);
    const words = this.scratch;
    this.copyKey(slot, words, 0);
    const b = this.bucketOf(words, hashWords(words));
    if ((this.buckets[b]! & SLOT_MASK) !== slot) throw new Error(`prefix slot ${slot} is not in the index`);
    this.buckets[b] = TOMBSTONE;
    this.tombstones++;
    this.freeSlots.push(slot);
    this.slotLive[slot] = 0;
    this.live--;
  }

  prefixOf(slot: number): Prefix {
    return prefixFromKey(this.family, { words: this.slotKeys, at: slot * this.width });
  }

  /** Word `i` of the key of `slot`: for IPv4, 0 is the network and 1 the length. */
  keyWord(slot: number, i: number): number {
    return this.slotKeys[slot * this.width + i]!;
  }

  /** Copies the key words of `slot` (what `prefixFromKey` reads), without building its Prefix. */
  copyKey(slot: number, into: Uint32Array, at: number): void {
    const base = slot * this.width;
    for (let i = 0; i < this.width; i++) into[at + i] = this.slotKeys[base + i]!;
  }

  /** The bucket holding the key, or the empty bucket that ends its probe run (noting the first tombstone before it). */
  private bucketOf(words: Uint32Array, hash: number): number {
    const buckets = this.buckets;
    const tag = hash & TAG_MASK;
    this.firstTombstone = -1;
    for (let b = hash & this.mask; ; b = (b + 1) & this.mask) {
      const bucket = buckets[b]!;
      if (bucket === EMPTY) return b;
      if (bucket === TOMBSTONE) {
        if (this.firstTombstone < 0) this.firstTombstone = b;
      } else if ((bucket & TAG_MASK) === tag && this.keyEquals(bucket & SLOT_MASK, words)) {
        return b;
      }
    }
  }

  private ipv4Words(address: number, length: number): Uint32Array {
    if (this.family !== 4) throw new Error('IPv4 prefix given to the IPv6 index');
    const w = this.scratch;
    w[0] = address;
    w[1] = length;
    return w;
  }

  private toWords(prefix: Prefix): Uint32Array {
    if (prefix.family !== this.family) throw new Error(`IPv${prefix.family} prefix given to the IPv${this.family} index`);
    if (prefix.family === 4) return this.ipv4Words(Number(prefix.value), prefix.length);
    const w = this.scratch;
    const v = prefix.value;
    w[0] = Number(v >> 96n);
    w[1] = Number((v >> 64n) & 0xffffffffn);
    w[2] = Number((v >> 32n) & 0xffffffffn);
    w[3] = Number(v & 0xffffffffn);
    w[4] = prefix.length;
    return w;
  }

  private keyEquals(slot: number, words: Uint32Array): boolean {
    const base = slot * this.width;
    for (let i = 0; i < this.width; i++) if (this.slotKeys[base + i] !== words[i]) return false;
    return true;
  }

  private allocateSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.slotCount === SLOT_LIMIT) {
      throw new Error(`more than ${SLOT_LIMIT} IPv${this.family} prefixes: the prefix index holds no more (set a lower max-prefix)`);
    }
    if (this.slotCount === this.slotLive.length) {
      const grown = this.slotLive.length * 2;
      const keys = new Uint32Array(grown * this.width);
      keys.set(this.slotKeys);
      this.slotKeys = keys;
      const live = new Uint8Array(grown);
      live.set(this.slotLive);
      this.slotLive = live;
    }
    return this.slotCount++;
  }

  /** Each key is hashed again from its slot's words, read in slot order. */
  private rehash(count: number): void {
    this.buckets = new Int32Array(count).fill(EMPTY);
    this.mask = count - 1;
    this.tombstones = 0;
    const words = this.scratch;
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.slotLive[slot] !== 1) continue;
      this.copyKey(slot, words, 0);
      const hash = hashWords(words);
      let b = hash & this.mask;
      while (this.buckets[b] !== EMPTY) b = (b + 1) & this.mask;
      this.buckets[b] = (hash & TAG_MASK) | slot;
    }
  }
}

/** A 32-bit hash of a key, as a signed int. */
function hashWords(words: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    h = Math.imul(h ^ words[i]!, 0x9e3779b1);
    h ^= h >>> 15;
  }
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** A bucket's low 24 bits: its slot. Slots go up to two below, so that no full bucket is EMPTY or TOMBSTONE. */
const SLOT_MASK = 0xffffff;
/** A bucket's high 8 bits: the top of its key's hash. */
const TAG_MASK = ~SLOT_MASK;
/** All ones: a tag of 0xff with slot SLOT_MASK, which is never handed out. */
const EMPTY = -1;
/** A removed prefix's bucket: a tag of 0xff with slot SLOT_MASK - 1, which is never handed out either. */
const TOMBSTONE = -2;
/** One more than the highest slot handed out. */
const SLOT_LIMIT = SLOT_MASK - 1;

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
