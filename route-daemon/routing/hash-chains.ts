/**
 * Small integer ids (interned attribute sets) found by a 32-bit hash of what
 * they stand for: buckets of chained ids, in typed arrays. A Map from hash to
 * id cost about 40 bytes per set at a full table's 218k sets, and a store
 * has as many; this costs about 12. Callers compare the candidates an id
 * chain gives them, since different sets may share a hash.
 */
export class HashChains {
  private heads = new Int32Array(1024).fill(-1);
  private links = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private count = 0;

  /** The first id added with `hash` still present, or -1. */
  first(hash: number): number {
    return this.sameHash(this.heads[hash & (this.heads.length - 1)]!, hash | 0);
  }

  /** The next id with the same hash as `id`, or -1. */
  next(id: number): number {
    return this.sameHash(this.links[id]!, this.hashes[id]!);
  }

  add(id: number, hash: number): void {
    if (id >= this.links.length) this.growIds(id + 1);
    if (++this.count > this.heads.length >> 1) this.rehash(this.heads.length * 2);
    const bucket = hash & (this.heads.length - 1);
    this.hashes[id] = hash;
    this.links[id] = this.heads[bucket]!;
    this.heads[bucket] = id;
  }

  remove(id: number): void {
    const bucket = this.hashes[id]! & (this.heads.length - 1);
    this.count--;
    if (this.heads[bucket] === id) {
      this.heads[bucket] = this.links[id]!;
      return;
    }
    let previous = this.heads[bucket]!;
    while (this.links[previous] !== id) previous = this.links[previous]!;
    this.links[previous] = this.links[id]!;
  }

  private sameHash(from: number, hash: number): number {
    let id = from;
    while (id >= 0 && this.hashes[id] !== hash) id = this.links[id]!;
    return id;
  }

  private rehash(buckets: number): void {
    const old = this.heads;
    this.heads = new Int32Array(buckets).fill(-1);
    const mask = buckets - 1;
    for (const head of old) {
      for (let id = head; id >= 0; ) {
        const next = this.links[id]!;
        const bucket = this.hashes[id]! & mask;
        this.links[id] = this.heads[bucket]!;
        this.heads[bucket] = id;
        id = next;
      }
    }
  }

  private growIds(atLeast: number): void {
    let size = this.links.length;
    while (size < atLeast) size *= 2;
    for (const name of ['links', 'hashes'] as const) {
      const grown = new Int32Array(size);
      grown.set(this[name]);
      this[name] = grown;
    }
  }
}
