import { randomInt } from 'node:crypto';
import { UserError } from '../common/errors.js';
import {
  formatAddress,
  formatPrefix,
  hostAddress,
  parsePrefix,
  prefixesOverlap,
  subnet,
  subnetCount,
  type Family,
  type Prefix,
} from '../common/prefix.js';
import type { Mesh, Plane } from './model.js';

/**
 * How the mesh's pools are carved up. Everything a node or an experiment
 * receives is a pure function of one slot number, so allocation only has to
 * claim a free slot (one etcd key) and never keeps a shared "next free" counter.
 *
 * Per plane, IPv4 pool /L: the first 1/16 (/L+4) holds /32 loopbacks (host n
 * for slot n); the rest is cut into /24s (garages in production, experiments in
 * the experimental plane). IPv6 pool: /64 number 0 holds /128 loopbacks, /64
 * number n is slot n's prefix.
 */

export const PRIVATE_ASN_FIRST = 4_200_000_000;
export const PRIVATE_ASN_LAST = 4_294_967_294;

export const DEFAULT_POOLS = {
  productionV4: '10.64.0.0/11',
  productionV6: 'fd64:6761:7261::/48',
  experimentalV4: '10.96.0.0/11',
  experimentalV6: 'fd96:6761:7261::/48',
  asnFirst: PRIVATE_ASN_FIRST,
  asnLast: PRIVATE_ASN_LAST,
} as const;

export type Pools = Pick<Mesh, 'productionV4' | 'productionV6' | 'experimentalV4' | 'experimentalV6' | 'asnFirst' | 'asnLast'>;

/** A garage's IPv4 slot is a /24 (an experiment's space is the slot or a part of it). */
export const SITE_V4 = 24;
const SITE_V6 = 64;
const MAX_V4_POOL = 20;
const MAX_V6_POOL = 56;

interface PlanePools {
  v4: Prefix;
  v6: Prefix;
}

function parsePool(field: keyof Pools, text: string, family: Family): Prefix {
  let prefix: Prefix;
  try {
    prefix = parsePrefix(text);
  } catch (err) {
    throw new UserError(`pool ${field}: ${(err as Error).message}`, { hint: (err as UserError).hint, cause: err });
  }
  if (prefix.family !== family) {
    throw new UserError(`pool ${field}: "${text}" is not an IPv${family} prefix`, { hint: `give an IPv${family} prefix for ${field}` });
  }
  const max = family === 4 ? MAX_V4_POOL : MAX_V6_POOL;
  if (prefix.length > max) {
    throw new UserError(`pool ${field}: ${text} is too small`, { hint: `use a /${max} or larger (shorter prefix length)` });
  }
  return prefix;
}

/** Checks every pool (family, size, disjointness, private ASN range); throws a UserError naming the field. */
export function validatePools(pools: Pools): void {
  const parsed = {
    productionV4: parsePool('productionV4', pools.productionV4, 4),
    productionV6: parsePool('productionV6', pools.productionV6, 6),
    experimentalV4: parsePool('experimentalV4', pools.experimentalV4, 4),
    experimentalV6: parsePool('experimentalV6', pools.experimentalV6, 6),
  };
  for (const [prod, exp] of [['productionV4', 'experimentalV4'], ['productionV6', 'experimentalV6']] as const) {
    if (prefixesOverlap(parsed[prod], parsed[exp])) {
      throw new UserError(`pools ${prod} (${pools[prod]}) and ${exp} (${pools[exp]}) overlap`, {
        hint: 'production and experimental space must be disjoint',
      });
    }
  }
  const { asnFirst, asnLast } = pools;
  for (const [field, asn] of [['asnFirst', asnFirst], ['asnLast', asnLast]] as const) {
    if (!Number.isInteger(asn) || asn < PRIVATE_ASN_FIRST || asn > PRIVATE_ASN_LAST) {
      throw new UserError(`pool ${field}: ${asn} is not a private 4-byte ASN`, {
        hint: `use ${PRIVATE_ASN_FIRST}-${PRIVATE_ASN_LAST} (RFC 6996)`,
      });
    }
  }
  if (asnFirst > asnLast) {
    throw new UserError(`pool asnFirst (${asnFirst}) is above asnLast (${asnLast})`, { hint: 'give the range low-high' });
  }
}

export class AddressPlan {
  private readonly planes: Record<Plane, PlanePools>;
  readonly asnFirst: number;
  readonly asnLast: number;

  constructor(pools: Pools) {
    validatePools(pools);
    this.planes = {
      production: { v4: parsePrefix(pools.productionV4), v6: parsePrefix(pools.productionV6) },
      experimental: { v4: parsePrefix(pools.experimentalV4), v6: parsePrefix(pools.experimentalV6) },
    };
    this.asnFirst = pools.asnFirst;
    this.asnLast = pools.asnLast;
  }

  /** The pools of a plane, for checks such as "is this prefix inside the experimental space". */
  pools(plane: Plane): PlanePools {
    return this.planes[plane];
  }

  /** Node slots run 1..nodeCapacity: each needs a loopback in both planes and a production site. */
  get nodeCapacity(): number {
    return Math.min(
      this.loopbackCount('production'),
      this.loopbackCount('experimental'),
      this.siteCount('production'),
    );
  }

  /** Experiment slots run 1..experimentCapacity. */
  get experimentCapacity(): number {
    return this.siteCount('experimental');
  }

  get asnCapacity(): number {
    return this.asnLast - this.asnFirst + 1;
  }

  asnForSlot(slot: number): number {
    this.checkSlot(slot, this.asnCapacity, 'ASN');
    return this.asnFirst + slot - 1;
  }

  slotForAsn(asn: number): number {
    return asn - this.asnFirst + 1;
  }

  /** The /32 and /128 loopbacks of node slot `slot` in a plane. */
  loopbacks(plane: Plane, slot: number): { v4: string; v6: string } {
    this.checkSlot(slot, this.loopbackCount(plane), `${plane} loopback`);
    const { v4, v6 } = this.planes[plane];
    return {
      v4: formatAddress(hostAddress(subnet(v4, v4.length + 4, 0n), BigInt(slot))),
      v6: formatAddress(hostAddress(subnet(v6, SITE_V6, 0n), BigInt(slot))),
    };
  }

  /** The /24 and /64 of slot `slot` in a plane: a garage's LAN in production, an experiment's space. */
  site(plane: Plane, slot: number): { v4: string; v6: string } {
    this.checkSlot(slot, this.siteCount(plane), `${plane} site`);
    const { v4, v6 } = this.planes[plane];
    const reserved = subnetCount(subnet(v4, v4.length + 4, 0n), SITE_V4);
    return {
      v4: formatPrefix(subnet(v4, SITE_V4, reserved + BigInt(slot - 1))),
      v6: formatPrefix(subnet(v6, SITE_V6, BigInt(slot))),
    };
  }

  private loopbackCount(plane: Plane): number {
    const { v4 } = this.planes[plane];
    // Host 0 of the block is its network address; the last one is left free too.
    return Number((1n << BigInt(32 - v4.length - 4)) - 2n);
  }

  private siteCount(plane: Plane): number {
    const { v4, v6 } = this.planes[plane];
    const v4Sites = subnetCount(v4, SITE_V4) - subnetCount(subnet(v4, v4.length + 4, 0n), SITE_V4);
    const v6Sites = subnetCount(v6, SITE_V6) - 1n;
    return Number(v4Sites < v6Sites ? v4Sites : v6Sites);
  }

  private checkSlot(slot: number, capacity: number, what: string): void {
    if (!Number.isInteger(slot) || slot < 1 || slot > capacity) {
      throw new RangeError(`${what} slot ${slot} is outside 1..${capacity}`);
    }
  }
}

/**
 * A random slot in 1..capacity that is not in `taken`, or null when none is
 * left. Random rather than lowest-free so that concurrent joiners rarely pick
 * the same slot (see ANCHORS.md: a shared counter turns into a retry storm).
 */
export function pickFreeSlot(capacity: number, taken: ReadonlySet<number>): number | null {
  if (taken.size >= capacity) return null;
  if (taken.size < capacity / 2) {
    for (;;) {
      const slot = randomInt(1, capacity + 1);
      if (!taken.has(slot)) return slot;
    }
  }
  const free: number[] = [];
  for (let slot = 1; slot <= capacity; slot++) if (!taken.has(slot)) free.push(slot);
  return free.length === 0 ? null : free[randomInt(free.length)]!;
}
