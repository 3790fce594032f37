/**
 * Byte strings by small integer id, kept while they are in use: the wire
 * encodings of outgoing attribute sets while the peers send them. Peers send
 * the same changes at about the same time, so a set encoded for the first is
 * still here for the others; keeping every live set's bytes instead cost
 * ~17 MiB at a full table. Two generations of about GENERATION_BYTES each in
 * one slab: when the newer fills up the older goes, and what is asked for
 * again after that is encoded again.
 */

const GENERATION_BYTES = 2 * 1024 * 1024;

class Generation {
  readonly slab = Buffer.allocUnsafe(GENERATION_BYTES);
  used = 0;
  /** id -> offset * 65,536 + length */
  readonly places = new Map<number, number>();

  get(id: number): Buffer | undefined {
    const place = this.places.get(id);
    if (place === undefined) return undefined;
    const offset = Math.floor(place / 65_536);
    return this.slab.subarray(offset, offset + (place % 65_536));
  }
}

export class RecentBytes {
  private current = new Generation();
  private previous = new Generation();

  /** A view of the bytes stored for `id`, or undefined: valid while the caller uses it, even if the generation goes. */
  get(id: number): Buffer | undefined {
    return this.current.get(id) ?? this.previous.get(id);
  }

  set(id: number, value: Buffer): void {
    if (value.length >= 65_536 || value.length > GENERATION_BYTES) throw new RangeError(`${value.length} bytes are too many to keep for ${id}`);
    this.drop(id);
    if (this.current.used + value.length > GENERATION_BYTES) {
      this.previous = this.current;
      this.current = new Generation();
    }
    const generation = this.current;
    value.copy(generation.slab, generation.used);
    generation.places.set(id, generation.used * 65_536 + value.length);
    generation.used += value.length;
  }

  /** Forgets `id`: its number may go to other bytes next. */
  drop(id: number): void {
    this.current.places.delete(id);
    this.previous.places.delete(id);
  }
}
