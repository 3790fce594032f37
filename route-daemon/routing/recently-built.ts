/**
 * The sets built last from their packed form, by id, so that runs of reads
 * over the same few sets (a prefix's paths, a batch of changes, one set
 * encoded for each kind of session) build each once. Two generations: when
 * the current one is full it becomes the previous one, and a set read from
 * the previous one moves back into the current one; what neither holds is
 * built again. No clock and no per-entry bookkeeping on the hot path.
 */
export class RecentlyBuilt<T> {
  private current = new Map<number, T>();
  private previous = new Map<number, T>();

  /** 1,024 a generation: a run of reads is a prefix's paths or a batch of changes, a few hundred sets at most. */
  constructor(private readonly perGeneration = 1_024) {}

  get(id: number): T | undefined {
    const hit = this.current.get(id);
    if (hit !== undefined) return hit;
    const older = this.previous.get(id);
    if (older !== undefined) this.keep(id, older);
    return older;
  }

  keep(id: number, value: T): void {
    if (this.current.size >= this.perGeneration) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(id, value);
  }

  /** Forgets `id` (its id is about to be reused for another set). */
  delete(id: number): void {
    this.current.delete(id);
    this.previous.delete(id);
  }
}
