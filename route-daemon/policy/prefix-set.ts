import { prefixContains, prefixesOverlap, type Prefix } from '../../common/prefix.js';
import { ipv4Netmask } from '../packet/types.js';

/**
 * A small fixed set of prefixes (martians, a plane's pools) asked about once
 * per received prefix. IPv4 is answered with 32-bit number math: bigint
 * masks on every prefix of a full table cost about a second.
 */
export class PrefixSet {
  /** IPv4 members as number pairs: network, then the mask of its length. */
  private readonly ipv4: number[] = [];
  private readonly ipv4Prefixes: Prefix[] = [];
  private readonly ipv6: Prefix[] = [];

  constructor(prefixes: readonly Prefix[]) {
    for (const prefix of prefixes) {
      if (prefix.family === 6) {
        this.ipv6.push(prefix);
        continue;
      }
      const mask = ipv4Netmask(prefix.length);
      this.ipv4.push((Number(prefix.value) & mask) >>> 0, mask);
      this.ipv4Prefixes.push(prefix);
    }
  }

  /** The first member that `prefix` lies inside, or undefined. */
  covering(prefix: Prefix): Prefix | undefined {
    if (prefix.family === 6) return this.ipv6.find((m) => prefixContains(m, prefix));
    return this.coveringIpv4(Number(prefix.value), prefix.length);
  }

  /** `covering` for the IPv4 prefix `network`/`length`, without a Prefix. */
  coveringIpv4(network: number, length: number): Prefix | undefined {
    const own = ipv4Netmask(length);
    const members = this.ipv4;
    for (let i = 0; i < members.length; i += 2) {
      // Inside: the member is no longer (its mask within ours) and matches under its mask.
      const mask = members[i + 1]!;
      if ((mask & own) >>> 0 === mask && (network & mask) >>> 0 === members[i]) return this.ipv4Prefixes[i >> 1];
    }
    return undefined;
  }

  /** The first member that overlaps `prefix` (one contains the other), or undefined. */
  overlapping(prefix: Prefix): Prefix | undefined {
    if (prefix.family === 6) return this.ipv6.find((m) => prefixesOverlap(m, prefix));
    return this.overlappingIpv4(Number(prefix.value), prefix.length);
  }

  /** `overlapping` for the IPv4 prefix `network`/`length`, without a Prefix. */
  overlappingIpv4(network: number, length: number): Prefix | undefined {
    const own = ipv4Netmask(length);
    const members = this.ipv4;
    for (let i = 0; i < members.length; i += 2) {
      // Overlapping: equal under the shorter of the two masks.
      const shorter = members[i + 1]! & own;
      if (((network ^ members[i]!) & shorter) === 0) return this.ipv4Prefixes[i >> 1];
    }
    return undefined;
  }
}
