import type { Family, Prefix } from '../../common/prefix.js';
import type { Ipv4Prefix } from '../packet/types.js';
import type { RouteAttributes } from './attributes.js';
import type { AddressFamily, ExportBatch } from './instance.js';

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
 * empty, so every slot here still names its prefix when taken. A withdrawn
 * prefix's slot may be gone by then: its prefix is copied at once. IPv4
 * prefixes leave packed (ExportBatch), the rest as Prefixes.
 */

export interface OutboxSource {
  readonly family: Family;
  attributes(id: number): RouteAttributes;
  /** The set's wire encoding for `key`, made by `encode` if there is none yet (see EncodingCache). */
  encoded(id: number, key: string, encode: () => Buffer): Buffer;
  prefixOf(slot: number): Prefix;
  /** The slot's prefix packed as the codec sends it (IPv4 sources only). */
  ipv4Of(slot: number): Ipv4Prefix;
}

/**
 * One attribute set's share of a batch. Its attributes are built only if the
 * encoder asks: a set already encoded for this kind of session is not needed
 * again. A class, because a getter in an object literal made every group a
 * slow object: building them was a fifth of a churn's export.
 */
class OutgoingGroup {
  constructor(
    private readonly source: OutboxSource,
    private readonly id: number,
    readonly prefixes: Prefix[],
    readonly ipv4: Ipv4Prefix[],
  ) {}

  get attributes(): RouteAttributes {
    return this.source.attributes(this.id);
  }

  encodings(key: string, encode: () => Buffer): Buffer {
    return this.source.encoded(this.id, key, encode);
  }
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
  private withdrawnIpv4: Ipv4Prefix[] = [];
  private readonly groups = new Map<number, Group>();
  private endOfRib: AddressFamily[] = [];

  /** Attribute sets with announcements waiting. */
  get groupCount(): number {
    return this.groups.size;
  }

  get empty(): boolean {
    return this.withdrawnCount === 0 && this.groups.size === 0 && this.endOfRib.length === 0;
  }

  /** The prefix of `slot` in `source`'s RIB is to be withdrawn. */
  withdraw(slot: number, source: OutboxSource): void {
    if (source.family === 4) this.withdrawnIpv4.push(source.ipv4Of(slot));
    else this.withdrawn.push(source.prefixOf(slot));
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
    const withdrawnIpv4 = this.withdrawnIpv4.splice(0, max);
    const withdrawn = this.withdrawn.splice(0, max - withdrawnIpv4.length);
    let room = max - withdrawnIpv4.length - withdrawn.length;
    const announced: ExportBatch['announced'][number][] = [];
    for (const [key, group] of this.groups) {
      if (room <= 0) break;
      const end = Math.min(group.slots.length, group.taken + room);
      const { id, source } = group;
      const prefixes: Prefix[] = [];
      const ipv4: Ipv4Prefix[] = [];
      for (let i = group.taken; i < end; i++) {
        if (source.family === 4) ipv4.push(source.ipv4Of(group.slots[i]!));
        else prefixes.push(source.prefixOf(group.slots[i]!));
      }
      announced.push(new OutgoingGroup(source, id, prefixes, ipv4));
      room -= end - group.taken;
      group.taken = end;
      if (end === group.slots.length) this.groups.delete(key);
    }
    let endOfRib: AddressFamily[] = [];
    if (this.withdrawnCount === 0 && this.groups.size === 0) {
      endOfRib = this.endOfRib;
      this.endOfRib = [];
    }
    return { withdrawn, withdrawnIpv4, announced, endOfRib };
  }

  private get withdrawnCount(): number {
    return this.withdrawn.length + this.withdrawnIpv4.length;
  }
}
