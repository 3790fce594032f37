import type { Family, Prefix } from '../../common/prefix.js';
import type { RouteAttributes } from './attributes.js';
import type { AddressFamily, EncodingCache, ExportBatch } from './instance.js';

/**
 * One peer's Adj-RIB-Out changes that are settled in the RIB but not yet
 * handed to the session, grouped by outgoing attribute set over the whole
 * drained window. The session takes them in small batches (back-pressure),
 * but grouping over the window rather than per batch is what lets an UPDATE
 * carry many prefixes: the table is walked in prefix order, where
 * neighbouring prefixes rarely share an attribute set.
 *
 * Announced prefixes are kept as RIB slots, not Prefix objects, to stay
 * small: a slot stays allocated while the peer's Adj-RIB-Out holds a route
 * for it, and the RIB is not drained again for the peer until the outbox is
 * empty, so every slot here still names its prefix when taken.
 */

export interface OutboxSource {
  readonly family: Family;
  attributes(id: number): RouteAttributes;
  encodings(id: number): EncodingCache;
  prefixOf(slot: number): Prefix;
}

interface Group {
  readonly id: number;
  readonly source: OutboxSource;
  readonly slots: number[];
  /** Slots before this one have been taken. */
  taken: number;
}

export class ExportOutbox {
  private withdrawn: Prefix[] = [];
  private readonly groups = new Map<number, Group>();
  private endOfRib: AddressFamily[] = [];

  /** Attribute sets with announcements waiting. */
  get groupCount(): number {
    return this.groups.size;
  }

  get empty(): boolean {
    return this.withdrawn.length === 0 && this.groups.size === 0 && this.endOfRib.length === 0;
  }

  withdraw(prefix: Prefix): void {
    this.withdrawn.push(prefix);
  }

  /** `id` is the outgoing attribute set; `source` reads sets and slots of one family's RIB. */
  announce(id: number, slot: number, source: OutboxSource): void {
    // The same set may go out in both families, with different encodings.
    const key = id * 2 + (source.family === 6 ? 1 : 0);
    const group = this.groups.get(key);
    if (group) group.slots.push(slot);
    else this.groups.set(key, { id, source, slots: [slot], taken: 0 });
  }

  /** Sent after everything announced so far: the walk it ends has been fully emitted. */
  finishTable(family: AddressFamily): void {
    this.endOfRib.push(family);
  }

  /** Up to `max` prefixes (withdrawals first, then whole attribute groups), or null when empty. */
  take(max: number): ExportBatch | null {
    if (this.empty) return null;
    const withdrawn = this.withdrawn.length <= max ? this.withdrawn : this.withdrawn.slice(0, max);
    this.withdrawn = withdrawn === this.withdrawn ? [] : this.withdrawn.slice(max);
    let room = max - withdrawn.length;
    const announced: { attributes: RouteAttributes; prefixes: Prefix[]; encodings: EncodingCache }[] = [];
    for (const [key, group] of this.groups) {
      if (room <= 0) break;
      const end = Math.min(group.slots.length, group.taken + room);
      const prefixes: Prefix[] = [];
      const { id, source } = group;
      for (let i = group.taken; i < end; i++) prefixes.push(source.prefixOf(group.slots[i]!));
      // Built only if asked for: a set already encoded for this kind of session is not needed again.
      announced.push({ get attributes() { return source.attributes(id); }, prefixes, encodings: source.encodings(id) });
      room -= prefixes.length;
      group.taken = end;
      if (end === group.slots.length) this.groups.delete(key);
    }
    let endOfRib: AddressFamily[] = [];
    if (this.withdrawn.length === 0 && this.groups.size === 0) {
      endOfRib = this.endOfRib;
      this.endOfRib = [];
    }
    return { withdrawn, announced, endOfRib };
  }
}
