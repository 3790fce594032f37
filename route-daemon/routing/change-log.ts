import type { Family, Prefix } from '../../common/prefix.js';
import type { RouteAttributes } from './attributes.js';
import { PREFIX_KEY_WORDS, prefixFromKey, type PrefixIndex } from './prefix-index.js';

/**
 * The last best-route changes of one plane, for the looking glass's "recent
 * route changes": a fixed ring in typed arrays. A full-table load records a
 * million changes and the looking glass reads a few, so recording writes a
 * few numbers and builds nothing (an object with its prefix per change was a
 * tenth of a full-table ingest); the changes are built when read.
 */

export interface RouteChange {
  /** ms since the epoch */
  readonly time: number;
  readonly kind: 'announce' | 'withdraw';
  readonly prefix: Prefix;
  /** Peer name of the new best path, or of the path that went; "local" for our own. */
  readonly peer: string;
  /** The new best path's attributes (announce only). */
  readonly attributes?: RouteAttributes;
}

/** Where the ring keeps the attribute sets of announcements: a reference each, so that an id cannot be reused under it. */
export interface ChangeLogAttributes {
  retain(id: number): void;
  release(id: number): void;
  get(id: number): RouteAttributes;
}

export class RouteChangeLog {
  private readonly times: Float64Array;
  private readonly families: Uint8Array;
  /** The prefix as its index key words (address words, then length). */
  private readonly keys: Uint32Array;
  /** The path owner (see rib.ts): its peer's name is looked up when read, not for each of a million changes. */
  private readonly owners: Int32Array;
  /** The announced attribute set (one reference held), or -1 for a withdrawal. */
  private readonly attrIds: Int32Array;
  private next = 0;
  private total = 0;

  constructor(
    readonly capacity: number,
    private readonly attributes: ChangeLogAttributes,
    /** The peer name of a path owner ("local" for our own routes). */
    private readonly peerName: (owner: number) => string,
  ) {
    this.times = new Float64Array(capacity);
    this.families = new Uint8Array(capacity);
    this.keys = new Uint32Array(capacity * PREFIX_KEY_WORDS);
    this.owners = new Int32Array(capacity);
    this.attrIds = new Int32Array(capacity).fill(-1);
  }

  /** Changes recorded since start, including those the ring has dropped. */
  get recorded(): number {
    return this.total;
  }

  /**
   * A change of the best route of `slot` in `index` at `time` (ms since the
   * epoch), its path from `owner`: announced with `attrId`, or withdrawn when
   * it is -1. Positional arguments: this runs for every change of a full table.
   */
  record(index: PrefixIndex, slot: number, owner: number, attrId: number, time: number): void {
    if (this.capacity === 0) return;
    const at = this.next;
    if (this.attrIds[at]! >= 0) this.attributes.release(this.attrIds[at]!);
    if (attrId >= 0) this.attributes.retain(attrId);
    this.times[at] = time;
    this.families[at] = index.family;
    index.copyKey(slot, this.keys, at * PREFIX_KEY_WORDS);
    this.owners[at] = owner;
    this.attrIds[at] = attrId;
    this.next = at + 1 === this.capacity ? 0 : at + 1;
    this.total++;
  }

  /** Newest first, at most `limit`. */
  recent(limit: number): RouteChange[] {
    const out: RouteChange[] = [];
    const held = Math.min(this.total, this.capacity);
    for (let i = 1; i <= Math.min(limit, held); i++) {
      const at = (this.next - i + this.capacity) % this.capacity;
      const attrId = this.attrIds[at]!;
      const prefix = prefixFromKey(this.families[at] as Family, { words: this.keys, at: at * PREFIX_KEY_WORDS });
      const common = { time: this.times[at]!, prefix, peer: this.peerName(this.owners[at]!) };
      out.push(attrId >= 0 ? { ...common, kind: 'announce', attributes: this.attributes.get(attrId) } : { ...common, kind: 'withdraw' });
    }
    return out;
  }
}
