import type { Prefix } from '../../common/prefix.js';
import type { AttributeStore } from './attribute-store.js';
import { PrefixIndex } from './prefix-index.js';

/**
 * The RIBs of one address family in one routing instance, in typed arrays:
 * - Adj-RIB-In: each prefix keeps a short list of paths, one per peer that
 *   announced it (after import policy), pointing at an interned attribute set;
 * - Loc-RIB: the best path of each prefix;
 * - Adj-RIB-Out: per consumer (a peer, or the FIB), the attribute set last
 *   sent for each prefix, plus a coalesced queue of prefixes to look at again.
 * A prefix keeps its slot while any consumer still holds it (advertised or
 * queued), so a withdrawal can never be lost to slot reuse.
 *
 * A consumer's queue is a ring of fixed size: a peer that lags behind a full
 * table would otherwise queue a million slots (8 bytes each, and as many
 * again while the array grows), times the number of peers. Changes that do
 * not fit are still marked dirty and found by a scan of the dirty flags,
 * one bit per prefix (a byte per prefix and peer was 10 MiB for ten peers).
 */

/** Path owner of locally originated routes; peers count from 1. */
export const LOCAL_PEER = 0;

export const PATH_VALIDATION_MASK = 0b11;
export const PATH_STALE = 0b100;
/** Held back by flap damping: kept, but not a candidate for best path. */
export const PATH_SUPPRESSED = 0b1000;

/**
 * Told about every change of a prefix's best path (or of its attributes); -1
 * is none. The paths are still readable. `change` is one object reused for
 * every call (a full table makes a million changes): read it, do not keep it.
 */
export type BestChangeListener = (slot: number, change: { readonly before: number; readonly after: number }) => void;

/** Chooses the best of the paths (indexes into the path arrays) of one prefix. */
export type BestPathChooser = (rib: FamilyRib, paths: readonly number[]) => number;

/**
 * Changes a consumer queues in order before it falls back to scanning its
 * dirty flags. Small: a burst is better taken by the scan, in slot order,
 * which reads the RIB's arrays in order too (the queue reads them in the
 * order changes came, a cache miss each). At 16,384, a withdrawal from ten
 * peers took a tenth longer to export.
 */
const QUEUE_SLOTS = 1_024;

interface Consumer {
  out: Int32Array;
  /** One bit per slot: the slot is queued, or waits for the scan. */
  dirty: Uint32Array;
  /** Ring of dirty slots in the order they changed; a slot found clean when taken was settled by a scan. */
  readonly queue: Int32Array;
  queueHead: number;
  queued: number;
  /** Next slot of a scan for dirty slots that did not fit in the queue, or -1. */
  scan: number;
  /** A slot the scan had passed got dirty without room in the queue: scan again from the start. */
  rescan: boolean;
  /** Drops the reference `out` holds on a set. */
  readonly release: (id: number) => void;
  /** The path owner whose routes this consumer never takes (a peer is not sent its own routes back), or -1. */
  readonly source: number;
  /** Next slot of a full-table walk, or -1. */
  cursor: number;
  /** The walk re-sends what was already sent (route refresh). */
  force: boolean;
  notify: () => void;
  notified: boolean;
}

export interface DrainOptions {
  readonly max: number;
  /** The attribute set this consumer should hold for `slot` (with one reference taken), or -1 for none. */
  readonly desired: (slot: number) => number;
  /** Called for every difference before it is recorded; returns whether it counts against `max`. */
  readonly emit: (slot: number, previous: number, next: number) => boolean;
}

export class FamilyRib {
  readonly index: PrefixIndex;
  head: Int32Array;
  best: Int32Array;
  private holds: Uint16Array;
  pathPeer: Int32Array;
  pathAttr: Int32Array;
  pathFlags: Uint8Array;
  private pathNext: Int32Array;
  private freePath = -1;
  private pathsAllocated = 0;
  private livePaths = 0;
  private liveRoutes = 0;
  private readonly consumers: (Consumer | null)[] = [];
  private readonly scratch: number[] = [];
  private readonly onBestChange: BestChangeListener | undefined;
  private readonly bestChange = { before: -1, after: -1 };

  constructor(
    readonly store: AttributeStore,
    private readonly choose: BestPathChooser,
    options: { family: 4 | 6; initialCapacity?: number; onBestChange?: BestChangeListener },
  ) {
    this.onBestChange = options.onBestChange;
    this.index = new PrefixIndex(options.family, { initialCapacity: options.initialCapacity ?? 1024 });
    const slots = this.index.slotCapacity;
    this.head = new Int32Array(slots).fill(-1);
    this.best = new Int32Array(slots).fill(-1);
    this.holds = new Uint16Array(slots);
    const paths = slots;
    this.pathPeer = new Int32Array(paths);
    this.pathAttr = new Int32Array(paths);
    this.pathFlags = new Uint8Array(paths);
    this.pathNext = new Int32Array(paths);
  }

  /** Prefixes with at least one path: the Loc-RIB size. */
  get routeCount(): number {
    return this.liveRoutes;
  }

  /** Paths over all peers: the Adj-RIB-In sizes summed. */
  get pathCount(): number {
    return this.livePaths;
  }

  /**
   * Sets `peer`'s path for `prefix` to `attrId`, whose reference passes to the
   * RIB. Returns the flags the path had before, or -1 if it is new.
   */
  upsert(prefix: Prefix, path: { peer: number; attrId: number; flags: number }): number {
    return this.upsertAt(this.index.insert(prefix), path);
  }

  /** `upsert` for the prefix of `slot`, which `index.insert` gave. */
  upsertAt(slot: number, path: { peer: number; attrId: number; flags: number }): number {
    const { peer, attrId, flags } = path;
    this.growSlots();
    for (let p = this.head[slot]!; p >= 0; p = this.pathNext[p]!) {
      if (this.pathPeer[p] !== peer) continue;
      const previous = this.pathFlags[p]!;
      this.pathFlags[p] = flags;
      if (this.pathAttr[p] === attrId) {
        this.store.release(attrId);
        return previous;
      }
      this.store.release(this.pathAttr[p]!);
      this.pathAttr[p] = attrId;
      this.reselect(slot, this.best[slot] === p);
      return previous;
    }
    const p = this.allocatePath();
    this.pathPeer[p] = peer;
    this.pathAttr[p] = attrId;
    this.pathFlags[p] = flags;
    this.pathNext[p] = this.head[slot]!;
    if (this.head[slot]! < 0) this.liveRoutes++;
    this.head[slot] = p;
    this.livePaths++;
    this.reselect(slot, false);
    return -1;
  }

  /** The attribute set and flags of `peer`'s path for `prefix`, or undefined. */
  pathFor(prefix: Prefix, peer: number): { attrId: number; flags: number } | undefined {
    const slot = this.index.find(prefix);
    if (slot < 0) return undefined;
    for (let p = this.head[slot]!; p >= 0; p = this.pathNext[p]!) {
      if (this.pathPeer[p] === peer) return { attrId: this.pathAttr[p]!, flags: this.pathFlags[p]! };
    }
    return undefined;
  }

  /** Changes the flags of `peer`'s path for `prefix`, choosing the best path again; false if there is no such path. */
  setFlags(prefix: Prefix, path: { peer: number; flags: number }): boolean {
    const slot = this.index.find(prefix);
    if (slot < 0) return false;
    for (let p = this.head[slot]!; p >= 0; p = this.pathNext[p]!) {
      if (this.pathPeer[p] !== path.peer) continue;
      this.pathFlags[p] = path.flags;
      this.reselect(slot, this.best[slot] === p);
      return true;
    }
    return false;
  }

  /** Removes `peer`'s path for `prefix`; returns the flags it had, or -1 if there was none. */
  remove(prefix: Prefix, peer: number): number {
    return this.removeAt(this.index.find(prefix), peer);
  }

  /** `remove` for the prefix of `slot` (from `index.find`: -1 is no prefix). */
  removeAt(slot: number, peer: number): number {
    if (slot < 0) return -1;
    let flags = -1;
    this.removeFromSlot(slot, (p) => {
      if (this.pathPeer[p] !== peer) return false;
      flags = this.pathFlags[p]!;
      return true;
    });
    return flags;
  }

  /** Removes every path for which `match(path)` holds, walking the table once; returns how many. */
  removeWhere(match: (path: number) => boolean): number {
    let removed = 0;
    const limit = this.index.slotLimit;
    for (let slot = 0; slot < limit; slot++) if (this.head[slot]! >= 0) removed += this.removeFromSlot(slot, match);
    return removed;
  }

  /**
   * Walks every path once: `update` returns its new flags, or null to remove
   * it. Prefixes whose paths changed flags are looked at again by consumers.
   */
  updatePaths(update: (slot: number, path: number) => number | null): number {
    let removed = 0;
    const limit = this.index.slotLimit;
    for (let slot = 0; slot < limit; slot++) {
      if (this.head[slot]! < 0) continue;
      let changed = false;
      let doomed: number[] | undefined;
      for (let p = this.head[slot]!; p >= 0; p = this.pathNext[p]!) {
        const flags = update(slot, p);
        if (flags === null) (doomed ??= []).push(p);
        else if (flags !== this.pathFlags[p]) {
          this.pathFlags[p] = flags;
          changed = true;
        }
      }
      if (doomed) removed += this.removeFromSlot(slot, (p) => doomed.includes(p));
      else if (changed) this.markDirty(slot);
    }
    return removed;
  }

  /** Sets `flag` on every path of `peer`; returns how many paths did not have it yet. */
  flagPeer(peer: number, flag: number): number {
    let count = 0;
    const limit = this.index.slotLimit;
    for (let slot = 0; slot < limit; slot++) {
      for (let p = this.head[slot]!; p >= 0; p = this.pathNext[p]!) {
        if (this.pathPeer[p] === peer && (this.pathFlags[p]! & flag) === 0) {
          this.pathFlags[p]! |= flag;
          count++;
        }
      }
    }
    return count;
  }

  /** The path after `path` in its prefix's list (from `head[slot]`), or -1: a walk that builds no array. */
  nextPath(path: number): number {
    return this.pathNext[path]!;
  }

  /** The path indexes of a slot, best first is not implied. */
  pathsOf(slot: number): number[] {
    const paths: number[] = [];
    for (let p = this.head[slot]!; p >= 0; p = this.pathNext[p]!) paths.push(p);
    return paths;
  }

  /**
   * A consumer walks the whole table once (its initial dump), then follows
   * changes. The ids it holds are `desired`'s, released with `release`
   * (default: the RIB's attribute store). A prefix whose best path is from
   * `source`, and which the consumer does not hold, is not even offered:
   * the peer a full table comes from would otherwise have every prefix of
   * it queued, looked at and refused (4% of the table's ingest).
   */
  addConsumer(notify: () => void, options: { release?: (id: number) => void; source?: number } = {}): number {
    const store = this.store;
    const consumer: Consumer = {
      out: new Int32Array(this.head.length).fill(-1),
      dirty: new Uint32Array(bitWords(this.head.length)),
      queue: new Int32Array(QUEUE_SLOTS),
      queueHead: 0,
      queued: 0,
      scan: -1,
      rescan: false,
      release: options.release ?? ((id) => store.release(id)),
      source: options.source ?? -1,
      cursor: 0,
      force: false,
      notify,
      notified: false,
    };
    const free = this.consumers.indexOf(null);
    const id = free >= 0 ? free : this.consumers.length;
    this.consumers[id] = consumer;
    this.signal(consumer);
    return id;
  }

  removeConsumer(id: number): void {
    const c = this.consumer(id);
    this.consumers[id] = null;
    const limit = this.index.slotLimit;
    for (let slot = 0; slot < limit; slot++) {
      let released = isDirty(c, slot) ? 1 : 0;
      if (c.out[slot]! >= 0) {
        c.release(c.out[slot]!);
        released++;
      }
      if (released > 0) {
        this.holds[slot]! -= released;
        this.freeIfUnused(slot);
      }
    }
  }

  /** Walks the whole table for the consumer again; with `force`, unchanged routes are re-sent too. */
  rewalk(id: number, options: { force: boolean }): void {
    const c = this.consumer(id);
    c.cursor = 0;
    c.force = options.force;
    this.signal(c);
  }

  /** Attribute set the consumer holds for a slot, or -1. */
  sent(id: number, slot: number): number {
    return this.consumer(id).out[slot] ?? -1;
  }

  /**
   * Brings the consumer's Adj-RIB-Out closer to what `desired` says, queued
   * changes first, then the walk. Returns whether anything is left to do, and
   * whether this call finished a walk.
   */
  drain(id: number, options: DrainOptions): { pending: boolean; walkFinished: boolean } {
    const c = this.consumer(id);
    c.notified = false;
    let emitted = 0;
    while (c.queued > 0 && emitted < options.max) {
      const slot = c.queue[c.queueHead]!;
      c.queueHead = (c.queueHead + 1) % QUEUE_SLOTS;
      c.queued--;
      if (isDirty(c, slot) && this.settleDirty(c, slot, options)) emitted++;
    }
    while (c.scan >= 0 && emitted < options.max) {
      if (c.scan >= this.index.slotLimit) {
        c.scan = c.rescan ? 0 : -1;
        c.rescan = false;
        continue;
      }
      // Straight to the next dirty bit: after a withdrawal from ten peers one slot in ten is dirty, and stepping slot by
      // slot made the export of the withdrawals 15% slower (0.19 s against 0.165 s in process, nine peers).
      const word = c.scan >>> 5;
      const bits = c.dirty[word]! & (-1 << (c.scan & 31));
      if (bits === 0) {
        c.scan = (word + 1) << 5;
        continue;
      }
      const slot = (word << 5) + 31 - Math.clz32(bits & -bits);
      c.scan = slot + 1;
      if (this.settleDirty(c, slot, options)) emitted++;
    }
    let walkFinished = false;
    if (c.cursor >= 0) {
      const walk = { ...options, force: c.force };
      const limit = this.index.slotLimit;
      while (c.cursor < limit && emitted < options.max) {
        const slot = c.cursor++;
        // Nothing held, and nothing to offer: no path, or only the consumer's own source's.
        if (c.out[slot]! < 0 && (this.head[slot]! < 0 || fromSource(c, this.bestOwner(slot)))) continue;
        if (this.settle(c, slot, walk)) emitted++;
        this.freeIfUnused(slot);
      }
      if (c.cursor >= limit) {
        c.cursor = -1;
        c.force = false;
        walkFinished = true;
      }
    }
    return { pending: c.queued > 0 || c.scan >= 0 || c.cursor >= 0, walkFinished };
  }

  private settleDirty(c: Consumer, slot: number, options: DrainOptions): boolean {
    c.dirty[slot >>> 5]! &= ~(1 << (slot & 31));
    this.holds[slot]!--;
    const counted = this.settle(c, slot, options);
    this.freeIfUnused(slot);
    return counted;
  }

  /** With `force` (a refresh walk), an unchanged route is emitted again. */
  private settle(c: Consumer, slot: number, options: DrainOptions & { force?: boolean }): boolean {
    const previous = c.out[slot]!;
    const next = options.desired(slot);
    if (next === previous && !(options.force && next >= 0)) {
      if (next >= 0) c.release(next);
      return false;
    }
    const counted = options.emit(slot, previous, next);
    if (previous >= 0) c.release(previous);
    if (previous < 0 && next >= 0) this.holds[slot]!++;
    if (previous >= 0 && next < 0) this.holds[slot]!--;
    c.out[slot] = next;
    return counted;
  }

  private consumer(id: number): Consumer {
    const c = this.consumers[id];
    if (!c) throw new Error(`RIB consumer ${id} is not registered`);
    return c;
  }

  private signal(c: Consumer): void {
    if (c.notified) return;
    c.notified = true;
    c.notify();
  }

  private removeFromSlot(slot: number, match: (path: number) => boolean): number {
    let removed = 0;
    let bestRemoved = false;
    let previous = -1;
    for (let p = this.head[slot]!; p >= 0; ) {
      const next = this.pathNext[p]!;
      if (match(p)) {
        if (previous < 0) this.head[slot] = next;
        else this.pathNext[previous] = next;
        if (this.best[slot] === p) bestRemoved = true;
        this.store.release(this.pathAttr[p]!);
        this.pathNext[p] = this.freePath;
        this.freePath = p;
        this.livePaths--;
        removed++;
      } else {
        previous = p;
      }
      p = next;
    }
    if (removed === 0) return 0;
    if (this.head[slot]! < 0) this.liveRoutes--;
    this.reselect(slot, bestRemoved);
    this.freeIfUnused(slot);
    return removed;
  }

  /** Recomputes the best path among paths not suppressed; consumers hear about it only when it changed (or its attributes did). */
  private reselect(slot: number, bestChanged: boolean): void {
    const before = this.best[slot]!;
    const first = this.head[slot]!;
    let after: number;
    if (first >= 0 && this.pathNext[first]! < 0) {
      // One path, the common case: no list to build.
      after = (this.pathFlags[first]! & PATH_SUPPRESSED) === 0 ? first : -1;
    } else {
      const paths = this.scratch;
      paths.length = 0;
      for (let p = first; p >= 0; p = this.pathNext[p]!) if ((this.pathFlags[p]! & PATH_SUPPRESSED) === 0) paths.push(p);
      after = paths.length === 0 ? -1 : paths.length === 1 ? paths[0]! : this.choose(this, paths);
    }
    this.best[slot] = after;
    if (after === before && !bestChanged) return;
    this.markDirty(slot);
    if (!this.onBestChange) return;
    this.bestChange.before = before;
    this.bestChange.after = after;
    this.onBestChange(slot, this.bestChange);
  }

  /** The owner of the slot's best path, or -1 when it has none (no path, or every path suppressed). */
  private bestOwner(slot: number): number {
    const best = this.best[slot]!;
    return best >= 0 ? this.pathPeer[best]! : -1;
  }

  /**
   * Queues the slot for every consumer that may need to send something for
   * it. Only a consumer offered its own source's route is passed over, and
   * only if it holds nothing for the slot. A prefix left with no path is
   * queued for all without asking what each holds: reading ten peers'
   * Adj-RIB-Outs here, in the order withdrawals arrive, was a third of the
   * import of a withdrawal from ten peers; the drain reads them in slot
   * order.
   */
  private markDirty(slot: number): void {
    const owner = this.bestOwner(slot);
    for (const c of this.consumers) {
      if (!c || isDirty(c, slot) || (c.cursor >= 0 && slot >= c.cursor)) continue;
      if (fromSource(c, owner) && c.out[slot]! < 0) continue;
      c.dirty[slot >>> 5]! |= 1 << (slot & 31);
      this.holds[slot]!++;
      if (c.queued < QUEUE_SLOTS) {
        c.queue[(c.queueHead + c.queued) % QUEUE_SLOTS] = slot;
        c.queued++;
      } else if (c.scan < 0) {
        c.scan = 0;
      } else if (slot < c.scan) {
        c.rescan = true;
      }
      this.signal(c);
    }
  }

  private freeIfUnused(slot: number): void {
    if (this.head[slot]! < 0 && this.holds[slot] === 0 && this.index.holds(slot)) this.index.remove(slot);
  }

  private allocatePath(): number {
    if (this.freePath >= 0) {
      const p = this.freePath;
      this.freePath = this.pathNext[p]!;
      return p;
    }
    if (this.pathsAllocated === this.pathPeer.length) {
      const size = this.pathPeer.length * 2;
      this.pathPeer = grow(this.pathPeer, { size, fill: 0 });
      this.pathAttr = grow(this.pathAttr, { size, fill: 0 });
      this.pathNext = grow(this.pathNext, { size, fill: 0 });
      const flags = new Uint8Array(size);
      flags.set(this.pathFlags);
      this.pathFlags = flags;
    }
    return this.pathsAllocated++;
  }

  private growSlots(): void {
    const size = this.index.slotCapacity;
    if (size <= this.head.length) return;
    this.head = grow(this.head, { size, fill: -1 });
    this.best = grow(this.best, { size, fill: -1 });
    const holds = new Uint16Array(size);
    holds.set(this.holds);
    this.holds = holds;
    for (const c of this.consumers) {
      if (!c) continue;
      c.out = grow(c.out, { size, fill: -1 });
      const dirty = new Uint32Array(bitWords(size));
      dirty.set(c.dirty);
      c.dirty = dirty;
    }
  }
}

function bitWords(bits: number): number {
  return (bits + 31) >>> 5;
}

/** Whether a best path of `owner` is the consumer's own source's, which it is never offered. */
function fromSource(c: Consumer, owner: number): boolean {
  return owner >= 0 && owner === c.source;
}

function isDirty(c: Consumer, slot: number): boolean {
  return (c.dirty[slot >>> 5]! & (1 << (slot & 31))) !== 0;
}

function grow(array: Int32Array, to: { size: number; fill: number }): Int32Array {
  const grown = new Int32Array(to.size).fill(to.fill, array.length);
  grown.set(array);
  return grown;
}
