import { addressBits, type Address, type Family, type Prefix } from '../../../common/prefix.js';
import type { Route } from '../types.js';

/** The path attributes of a route, shared by every route that carries the same set. */
export type RouteAttributes = Pick<
  Route,
  'neighbor' | 'nextHop' | 'asPath' | 'origin' | 'localPref' | 'med' | 'communities' | 'largeCommunities'
>;

export interface TableEntry {
  readonly prefix: Prefix;
  readonly attributes: RouteAttributes;
  /** The first path of its prefix in decision order. */
  readonly best: boolean;
  /** Milliseconds since the epoch. */
  readonly since: number;
}

type Key = number | string;

const ORIGIN_RANK = { igp: 0, egp: 1, incomplete: 2 } as const;

/**
 * The in-process stand-in for a route daemon's Loc-RIB of one plane: every
 * path per prefix, best first, with longest-prefix match. Attribute sets are
 * interned (a million routes share a few hundred thousand sets) and routes are
 * kept in parallel arrays, so a full table stays a few hundred MiB at most.
 */
export class RouteTable {
  private readonly attributeSets: RouteAttributes[] = [];
  private readonly attributeIds = new Map<string, number>();
  private readonly keys: Key[] = [];
  private readonly attributeOf: number[] = [];
  private readonly sinceOf: number[] = [];
  /** Next path of the same prefix, -1 at the end of the chain. */
  private readonly nextOf: number[] = [];
  private readonly head = new Map<Key, number>();
  private readonly freeSlots: number[] = [];
  private live = new Uint8Array(1024);
  private readonly lengthsInUse: Record<Family, Set<number>> = { 4: new Set(), 6: new Set() };
  private liveRoutes = 0;

  get size(): number {
    return this.liveRoutes;
  }

  /** The id of an attribute set, the same for equal sets. */
  intern(attributes: RouteAttributes): number {
    const text = JSON.stringify(attributes);
    let id = this.attributeIds.get(text);
    if (id === undefined) {
      id = this.attributeSets.length;
      this.attributeSets.push(attributes);
      this.attributeIds.set(text, id);
    }
    return id;
  }

  /** Adds a path, or replaces the path for `prefix` from the same neighbor. */
  announce(prefix: Prefix, attributes: RouteAttributes | number, since: number): void {
    const attributeId = typeof attributes === 'number' ? attributes : this.intern(attributes);
    const neighbor = this.attributeSets[attributeId]!.neighbor;
    this.withdraw(prefix, neighbor);
    const key = keyOf(prefix);
    const slot = this.freeSlots.pop() ?? this.keys.length;
    this.keys[slot] = key;
    this.attributeOf[slot] = attributeId;
    this.sinceOf[slot] = since;
    if (slot >= this.live.length) {
      const grown = new Uint8Array(this.live.length * 2);
      grown.set(this.live);
      this.live = grown;
    }
    this.live[slot] = 1;
    // Keep the chain in decision order so that its head is the best path.
    let previous = -1;
    let current = this.head.get(key) ?? -1;
    while (current >= 0 && this.compare(this.attributeOf[current]!, attributeId) <= 0) {
      previous = current;
      current = this.nextOf[current]!;
    }
    this.nextOf[slot] = current;
    if (previous < 0) this.head.set(key, slot);
    else this.nextOf[previous] = slot;
    this.lengthsInUse[prefix.family].add(prefix.length);
    this.liveRoutes++;
  }

  /** Removes the path for `prefix` learned from `neighbor`; false if there was none. */
  withdraw(prefix: Prefix, neighbor: string): boolean {
    const key = keyOf(prefix);
    let previous = -1;
    let current = this.head.get(key) ?? -1;
    while (current >= 0 && this.attributeSets[this.attributeOf[current]!]!.neighbor !== neighbor) {
      previous = current;
      current = this.nextOf[current]!;
    }
    if (current < 0) return false;
    const next = this.nextOf[current]!;
    if (previous >= 0) this.nextOf[previous] = next;
    else if (next >= 0) this.head.set(key, next);
    else this.head.delete(key);
    this.freeSlots.push(current);
    this.live[current] = 0;
    this.liveRoutes--;
    return true;
  }

  /** All paths of the most specific prefix covering `target`, best first. */
  lookup(target: Address | Prefix): TableEntry[] {
    const family = target.family;
    const start = 'length' in target ? target.length : addressBits(family);
    const bits = BigInt(addressBits(family));
    for (let length = start; length >= 0; length--) {
      if (!this.lengthsInUse[family].has(length)) continue;
      const value = (target.value >> (bits - BigInt(length))) << (bits - BigInt(length));
      const slot = this.head.get(keyOf({ family, value, length }));
      if (slot !== undefined) return this.chain(slot);
    }
    return [];
  }

  /** Paths whose attributes match, in table order, at most `limit` (+1 to tell truncation). */
  filter(matches: (attributes: RouteAttributes) => boolean, limit: number): { entries: TableEntry[]; truncated: boolean } {
    // Decide per attribute set once; then the walk over the slots is an array read per route.
    const matching = this.attributeSets.map(matches);
    const entries: TableEntry[] = [];
    for (let s = 0; s < this.keys.length; s++) {
      if (!this.live[s] || !matching[this.attributeOf[s]!]) continue;
      if (entries.length === limit) return { entries, truncated: true };
      entries.push(this.entry(s, this.head.get(this.keys[s]!) === s));
    }
    return { entries, truncated: false };
  }

  /** The best path of every prefix. */
  *bestRoutes(): Generator<TableEntry> {
    for (const slot of this.head.values()) yield this.entry(slot, true);
  }

  private chain(slot: number): TableEntry[] {
    const out: TableEntry[] = [];
    for (let s = slot; s >= 0; s = this.nextOf[s]!) out.push(this.entry(s, s === slot));
    return out;
  }

  private entry(slot: number, best: boolean): TableEntry {
    return { prefix: prefixOf(this.keys[slot]!), attributes: this.attributeSets[this.attributeOf[slot]!]!, best, since: this.sinceOf[slot]! };
  }

  /** RFC 4271 decision order, simplified to what a looking glass must show: negative when `a` is better. */
  private compare(a: number, b: number): number {
    const x = this.attributeSets[a]!;
    const y = this.attributeSets[b]!;
    return (
      y.localPref - x.localPref ||
      x.asPath.length - y.asPath.length ||
      ORIGIN_RANK[x.origin] - ORIGIN_RANK[y.origin] ||
      (x.med ?? 0) - (y.med ?? 0) ||
      (x.neighbor < y.neighbor ? -1 : x.neighbor > y.neighbor ? 1 : 0)
    );
  }
}

// IPv4 keys are plain numbers (value * 64 + length fits a double exactly), which
// keeps a full IPv4 table's index small; IPv6 keys are strings.
function keyOf(prefix: Prefix): Key {
  return prefix.family === 4 ? Number(prefix.value) * 64 + prefix.length : `${prefix.value.toString(16)}/${prefix.length}`;
}

function prefixOf(key: Key): Prefix {
  if (typeof key === 'number') return { family: 4, value: BigInt(Math.floor(key / 64)), length: key % 64 };
  const slash = key.indexOf('/');
  return { family: 6, value: BigInt(`0x${key.slice(0, slash)}`), length: Number(key.slice(slash + 1)) };
}
