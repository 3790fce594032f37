import type { RouteAttributes } from './attributes.js';

/**
 * Interns attribute sets: equal sets get one id and one object, counted by
 * reference so that a set disappears with its last route. A full table has
 * about 218k distinct sets for a million prefixes (ANCHORS.md), which is what
 * keeps the RIB small.
 */
export class AttributeStore {
  private readonly idsByKey = new Map<string, number>();
  private sets: (RouteAttributes | undefined)[] = [];
  private keys: string[] = [];
  private refs = new Int32Array(1024);
  private readonly freeIds: number[] = [];
  private live = 0;

  /** Distinct attribute sets held. */
  get size(): number {
    return this.live;
  }

  /** The id of `attributes`, taking one reference to it. */
  intern(attributes: RouteAttributes): number {
    const key = attributesKey(attributes);
    const known = this.idsByKey.get(key);
    if (known !== undefined) {
      this.refs[known]!++;
      return known;
    }
    const id = this.freeIds.pop() ?? this.sets.length;
    if (id >= this.refs.length) {
      const grown = new Int32Array(this.refs.length * 2);
      grown.set(this.refs);
      this.refs = grown;
    }
    this.sets[id] = attributes;
    this.keys[id] = key;
    this.refs[id] = 1;
    this.idsByKey.set(key, id);
    this.live++;
    return id;
  }

  retain(id: number): void {
    this.refs[id]!++;
  }

  release(id: number): void {
    const left = --this.refs[id]!;
    if (left > 0) return;
    if (left < 0) throw new Error(`attribute set ${id} released more often than retained`);
    this.idsByKey.delete(this.keys[id]!);
    this.sets[id] = undefined;
    this.keys[id] = '';
    this.freeIds.push(id);
    this.live--;
  }

  get(id: number): RouteAttributes {
    const attributes = this.sets[id];
    if (!attributes) throw new Error(`attribute set ${id} is not held`);
    return attributes;
  }
}

/** A string equal for two sets exactly when every attribute is equal (order of communities kept: it is what was sent). */
export function attributesKey(a: RouteAttributes): string {
  let key = `${a.origin}|`;
  for (const segment of a.asPath) key += `${segment.type}:${segment.asns.join(',')};`;
  key += `|${a.nextHop.family}:${a.nextHop.value.toString(16)}`;
  if (a.nextHopLinkLocal) key += `/${a.nextHopLinkLocal.value.toString(16)}`;
  key += `|${a.med ?? ''}|${a.localPref ?? ''}|${a.atomicAggregate ? 1 : ''}|`;
  if (a.aggregator) key += `${a.aggregator.asn}@${a.aggregator.address.value.toString(16)}`;
  key += `|${a.communities?.join(',') ?? ''}|`;
  if (a.largeCommunities) for (const c of a.largeCommunities) key += `${c[0]}:${c[1]}:${c[2]},`;
  if (a.unknown) {
    for (const u of a.unknown) key += `|${u.type}/${u.flags}/${Buffer.from(u.value.buffer, u.value.byteOffset, u.value.byteLength).toString('hex')}`;
  }
  return key;
}
