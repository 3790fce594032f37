const NONE = -1;

/**
 * A secondary index over a table's slots: one list of slots per key (an
 * origin AS), each a circular doubly linked list threaded through two typed
 * arrays indexed by slot. Adding and removing a slot is O(1) and listing a key
 * reads only that key's slots, in the order they were added. A slot is in at
 * most one list; the table must remove it before it reuses the slot. At a
 * million slots the arrays are 8 MiB plus one map entry per key.
 */
export class SlotLists {
  private readonly head = new Map<number, number>();
  private next = new Int32Array(1024).fill(NONE);
  private previous = new Int32Array(1024).fill(NONE);

  /** How many keys have at least one slot. */
  get keys(): number {
    return this.head.size;
  }

  /** Appends `slot` to the list of `key`. */
  add(key: number, slot: number): void {
    if (slot >= this.next.length) this.grow(slot);
    if (this.next[slot] !== NONE) throw new Error(`slot ${slot} is already in a list`);
    const first = this.head.get(key);
    if (first === undefined) {
      this.head.set(key, slot);
      this.next[slot] = slot;
      this.previous[slot] = slot;
      return;
    }
    const last = this.previous[first]!;
    this.next[last] = slot;
    this.previous[slot] = last;
    this.next[slot] = first;
    this.previous[first] = slot;
  }

  /** Takes `slot` out of the list of `key`; false if it was in none. */
  remove(key: number, slot: number): boolean {
    const after = slot < this.next.length ? this.next[slot]! : NONE;
    if (after === NONE) return false;
    const before = this.previous[slot]!;
    if (after === slot) this.head.delete(key);
    else {
      this.next[before] = after;
      this.previous[after] = before;
      if (this.head.get(key) === slot) this.head.set(key, after);
    }
    this.next[slot] = NONE;
    this.previous[slot] = NONE;
    return true;
  }

  /** The slots of `key`, oldest first. */
  *slots(key: number): Generator<number> {
    const first = this.head.get(key);
    if (first === undefined) return;
    let slot = first;
    do {
      yield slot;
      slot = this.next[slot]!;
    } while (slot !== first);
  }

  private grow(slot: number): void {
    let length = this.next.length;
    while (length <= slot) length *= 2;
    const next = new Int32Array(length).fill(NONE);
    const previous = new Int32Array(length).fill(NONE);
    next.set(this.next);
    previous.set(this.previous);
    this.next = next;
    this.previous = previous;
  }
}
