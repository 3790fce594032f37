import { attributesEqual, attributesHash, type AttributeStore } from './attribute-store.js';
import { ByteArena } from './byte-arena.js';
import type { RouteAttributes } from './attributes.js';
import { exportAttributes, type ExportTarget } from './export-attributes.js';
import { HashChains } from './hash-chains.js';
import { RecentlyBuilt } from './recently-built.js';
import { RefCountedIds } from './ref-counted-ids.js';

/**
 * The outgoing attribute sets of every peer of an instance, interned like the
 * received ones (equal sets share one id, so an Adj-RIB-Out compares ids),
 * but each kept as the received set it was made from plus the rule that made
 * it (export target and whether the route is our own): a few words instead
 * of a second object graph as big as the received sets. Sets are built again
 * when they are to be encoded; the ones used last stay built.
 *
 * The outgoing set of a received set under a rule is remembered per rule, so
 * that exporting a table to many peers runs the export rewrite once per
 * attribute set, not once per prefix and peer. Likewise each set's wire
 * encodings are kept while it lives, made once for all peers.
 */

export interface ExportRule {
  readonly target: ExportTarget;
  /** The route is our own (originated here), not learned from a peer. */
  readonly local: boolean;
}


/**
 * Outgoing sets kept built per generation. A new set is built when a peer's
 * outbox is filled (up to 2,048 sets a fill, plane-instance.ts) and needed
 * again when the session takes it to be encoded, after other peers' fills:
 * at RecentlyBuilt's 1,024 nearly every new set was built twice when a
 * second full table was sent on to two peers (CPU profile), and sending it
 * on took ~6 s instead of ~5 s (bench/bgp/second-feeder.ts, one run each).
 */
const KEPT_BUILT = 8_192;

export class ExportSets {
  private readonly rules: ExportRule[] = [];
  private readonly ruleIds = new Map<string, number>();
  /** Per rule: received set id -> the outgoing set made from it, or -1 (checked on use: ids are reused). */
  private made: Int32Array[] = [];
  private base = new Int32Array(1024);
  private rule = new Int32Array(1024);
  private readonly ids = new RefCountedIds('outgoing attribute set');
  private readonly chains = new HashChains();
  private readonly built = new RecentlyBuilt<RouteAttributes>(KEPT_BUILT);
  /** Per encoding key: the encodings of live sets. */
  private readonly encodings = new Map<string, ByteArena>();

  constructor(private readonly store: AttributeStore) {}

  /** Distinct outgoing sets held. */
  get size(): number {
    return this.ids.size;
  }

  /** The id of a rule; rules are few (one per distinct target, twice). */
  ruleId(rule: ExportRule): number {
    const { target, local } = rule;
    const key = `${target.ebgp ? 'e' : 'i'} ${target.localAsn} ${target.nextHopSelf.family} ${target.nextHopSelf.value} ${local ? 'l' : 'p'}`;
    let id = this.ruleIds.get(key);
    if (id === undefined) {
      id = this.rules.length;
      this.rules.push(rule);
      this.made.push(new Int32Array(0));
      this.ruleIds.set(key, id);
    }
    return id;
  }

  /** The outgoing set for received set `received` under `ruleId`, taking one reference to it. */
  export(received: number, ruleId: number): number {
    const made = this.made[ruleId]!;
    const known = received < made.length ? made[received]! : -1;
    if (known >= 0 && this.ids.held(known) && this.base[known] === received && this.rule[known] === ruleId) {
      this.ids.retain(known);
      return known;
    }
    const rule = this.rules[ruleId]!;
    const attributes = exportAttributes(this.store.get(received), rule.target, { local: rule.local });
    const hash = attributesHash(attributes);
    for (let id = this.chains.first(hash); id >= 0; id = this.chains.next(id)) {
      if (attributesEqual(this.attributes(id), attributes)) {
        this.ids.retain(id);
        if (this.base[id] === received) this.remember(ruleId, { received, id });
        return id;
      }
    }
    const id = this.ids.take();
    if (id >= this.base.length) this.grow();
    this.store.retain(received);
    this.base[id] = received;
    this.rule[id] = ruleId;
    this.chains.add(id, hash);
    this.built.keep(id, attributes);
    this.remember(ruleId, { received, id });
    return id;
  }

  retain(id: number): void {
    this.ids.retain(id);
  }

  release(id: number): void {
    if (!this.ids.release(id)) return;
    this.chains.remove(id);
    this.built.delete(id);
    for (const arena of this.encodings.values()) arena.drop(id);
    this.store.release(this.base[id]!);
  }

  /** The set itself; the same object while it stays in use, so that its encoding can be cached by object. */
  attributes(id: number): RouteAttributes {
    if (!this.ids.held(id)) throw new Error(`outgoing attribute set ${id} is not held`);
    const known = this.built.get(id);
    if (known) return known;
    const rule = this.rules[this.rule[id]!]!;
    const attributes = exportAttributes(this.store.get(this.base[id]!), rule.target, { local: rule.local });
    this.built.keep(id, attributes);
    return attributes;
  }

  /** The set's encoding under `key`, made by `encode` the first time. */
  encoded(id: number, how: { key: string; encode: () => Buffer }): Buffer {
    if (!this.ids.held(id)) throw new Error(`outgoing attribute set ${id} is not held`);
    let arena = this.encodings.get(how.key);
    if (!arena) this.encodings.set(how.key, (arena = new ByteArena()));
    const known = arena.get(id);
    if (known) return known;
    const encoded = how.encode();
    arena.set(id, { bytes: encoded, length: encoded.length });
    return encoded;
  }

  private remember(ruleId: number, entry: { received: number; id: number }): void {
    let made = this.made[ruleId]!;
    if (entry.received >= made.length) {
      const grown = new Int32Array(Math.max(1024, 2 ** Math.ceil(Math.log2(entry.received + 1)))).fill(-1);
      grown.set(made);
      this.made[ruleId] = made = grown;
    }
    made[entry.received] = entry.id;
  }

  private grow(): void {
    const size = this.base.length * 2;
    for (const name of ['base', 'rule'] as const) {
      const grown = new Int32Array(size);
      grown.set(this[name]);
      this[name] = grown;
    }
  }
}
