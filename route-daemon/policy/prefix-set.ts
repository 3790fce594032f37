import { prefixContains, prefixesOverlap, type Prefix } from '../../common/prefix.js';

/**
 * A small fixed set of prefixes (martians, a plane's pools) asked about once
 * per received prefix. IPv4 is answered with 32-bit number math: bigint
 * masks on every prefix of a full table cost about a second.
 */
export class PrefixSet {
  private readonly ipv4: { readonly network: number; readonly length: number; readonly prefix: Prefix }[] = [];
  private readonly ipv6: Prefix[] = [];

  constructor(prefixes: readonly Prefix[]) {
    for (const prefix of prefixes) {
      if (prefix.family === 4) this.ipv4.push({ network: Number(prefix.value), length: prefix.length, prefix });
      else this.ipv6.push(prefix);
    }
  }

  /** The first member that `prefix` lies inside, or undefined. */
  covering(prefix: Prefix): Prefix | undefined {
    if (prefix.family === 6) return this.ipv6.find((m) => prefixContains(m, prefix));
    return this.matchIpv4(prefix, { onlyCovering: true });
  }

  /** The first member that overlaps `prefix` (one contains the other), or undefined. */
  overlapping(prefix: Prefix): Prefix | undefined {
    if (prefix.family === 6) return this.ipv6.find((m) => prefixesOverlap(m, prefix));
    return this.matchIpv4(prefix, { onlyCovering: false });
  }

  private matchIpv4(prefix: Prefix, options: { onlyCovering: boolean }): Prefix | undefined {
    const network = Number(prefix.value);
    for (const m of this.ipv4) {
      if (options.onlyCovering && m.length > prefix.length) continue;
      const shorter = Math.min(m.length, prefix.length);
      const mask = shorter === 0 ? 0 : (0xffffffff << (32 - shorter)) >>> 0;
      if ((network & mask) >>> 0 === (m.network & mask) >>> 0) return m.prefix;
    }
    return undefined;
  }
}
