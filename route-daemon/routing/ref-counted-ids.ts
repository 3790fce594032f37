/**
 * Ids of interned things counted by reference: the attribute store's
 * received sets and export-sets.ts's outgoing ones. A new thing gets a free
 * id holding one reference; with its last reference the id is free again,
 * for the next new thing.
 */
export class RefCountedIds {
  private refs = new Int32Array(1024);
  private readonly free: number[] = [];
  private allocated = 0;
  private live = 0;

  /** `what` names the things in errors ("attribute set"). */
  constructor(private readonly what: string) {}

  /** Ids held. */
  get size(): number {
    return this.live;
  }

  /** A free id, holding one reference. */
  take(): number {
    const id = this.free.pop() ?? this.allocated++;
    if (id >= this.refs.length) {
      const grown = new Int32Array(this.refs.length * 2);
      grown.set(this.refs);
      this.refs = grown;
    }
    this.refs[id] = 1;
    this.live++;
    return id;
  }

  held(id: number): boolean {
    return this.refs[id]! > 0;
  }

  retain(id: number): void {
    this.refs[id]!++;
  }

  /** Drops one reference; true when it was the last: the id is free, and what it named is to be forgotten. */
  release(id: number): boolean {
    const left = --this.refs[id]!;
    if (left > 0) return false;
    if (left < 0) throw new Error(`${this.what} ${id} released more often than retained`);
    this.free.push(id);
    this.live--;
    return true;
  }
}
