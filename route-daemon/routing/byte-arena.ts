/**
 * Byte strings stored by small integer id in one growing buffer: the packed
 * received attribute sets, and the wire encodings of outgoing ones, kept
 * while the sets live. A Buffer per set would cost an object and a backing
 * store each, several times the 30 to 80 bytes of the string. Dropped strings
 * leave holes that a compaction reclaims once they are half of the buffer.
 */
export class ByteArena {
  private bytes = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  private dead = 0;
  private offsets = new Int32Array(1024).fill(-1);
  private lengths = new Int32Array(1024);

  /** Bytes held for live ids. */
  get size(): number {
    return this.used - this.dead;
  }

  /** The bytes stored for `id`, or undefined. A view: valid until `id` is dropped or stored again. */
  get(id: number): Buffer | undefined {
    const offset = id < this.offsets.length ? this.offsets[id]! : -1;
    return offset < 0 ? undefined : this.bytes.subarray(offset, offset + this.lengths[id]!);
  }

  /** `reader` applied to the bytes of `id` where they lie, from `at` in the arena's buffer (no view is made), or undefined. */
  read<T>(id: number, reader: (bytes: Buffer, at: number) => T): T | undefined {
    const offset = id < this.offsets.length ? this.offsets[id]! : -1;
    return offset < 0 ? undefined : reader(this.bytes, offset);
  }

  /** Whether `id` holds exactly the first `value.length` bytes of `value.bytes`; builds no view. */
  matches(id: number, value: { readonly bytes: Uint8Array; readonly length: number }): boolean {
    const offset = id < this.offsets.length ? this.offsets[id]! : -1;
    if (offset < 0 || this.lengths[id] !== value.length) return false;
    for (let i = 0; i < value.length; i++) if (this.bytes[offset + i] !== value.bytes[i]) return false;
    return true;
  }

  /** Stores the first `value.length` bytes of `value.bytes` for `id`. */
  set(id: number, value: { readonly bytes: Uint8Array; readonly length: number }): void {
    this.drop(id);
    if (id >= this.offsets.length) this.growIds(id + 1);
    const { bytes, length } = value;
    if (this.used + length > this.bytes.length) this.makeRoom(length);
    // Byte by byte: strings are 30 to 80 bytes, and Buffer.copy is a call into the runtime per string.
    const at = this.used;
    for (let i = 0; i < length; i++) this.bytes[at + i] = bytes[i]!;
    this.offsets[id] = at;
    this.lengths[id] = length;
    this.used += length;
  }

  drop(id: number): void {
    if (id >= this.offsets.length || this.offsets[id]! < 0) return;
    this.dead += this.lengths[id]!;
    this.offsets[id] = -1;
  }

  /** Compacts into a buffer with room for `more`; views handed out earlier keep the old buffer and stay valid. */
  private makeRoom(more: number): void {
    const live = this.used - this.dead;
    let capacity = this.bytes.length;
    while (live + more > capacity / 2) capacity *= 2;
    const bytes = Buffer.allocUnsafe(capacity);
    if (this.dead === 0) {
      // Nothing to squeeze out (a table loading): one copy, not one per string.
      this.bytes.copy(bytes, 0, 0, this.used);
      this.bytes = bytes;
      return;
    }
    let used = 0;
    for (let id = 0; id < this.offsets.length; id++) {
      const offset = this.offsets[id]!;
      if (offset < 0) continue;
      this.bytes.copy(bytes, used, offset, offset + this.lengths[id]!);
      this.offsets[id] = used;
      used += this.lengths[id]!;
    }
    this.bytes = bytes;
    this.used = used;
    this.dead = 0;
  }

  private growIds(atLeast: number): void {
    let size = this.offsets.length;
    while (size < atLeast) size *= 2;
    const offsets = new Int32Array(size).fill(-1);
    offsets.set(this.offsets);
    this.offsets = offsets;
    const lengths = new Int32Array(size);
    lengths.set(this.lengths);
    this.lengths = lengths;
  }
}
