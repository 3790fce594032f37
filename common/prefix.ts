import { isIPv4, isIPv6 } from 'node:net';
import { UserError } from './errors.js';

/**
 * IP address and prefix math shared by the registry (pools, allocation),
 * the route daemon (NLRI, policy) and the looking glass (query validation).
 * Addresses are bigints so that IPv4 and IPv6 share one code path.
 */

export type Family = 4 | 6;

export interface Address {
  readonly family: Family;
  readonly value: bigint;
}

export interface Prefix {
  readonly family: Family;
  /** Network address with host bits zero. */
  readonly value: bigint;
  readonly length: number;
}

export function addressBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

export function parseAddress(text: string): Address {
  if (isIPv4(text)) {
    const value = text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
    return { family: 4, value };
  }
  if (isIPv6(text) && !text.includes('%')) return { family: 6, value: parseIPv6(text) };
  throw new UserError(`"${text}" is not an IPv4 or IPv6 address`, { hint: 'write it like 192.0.2.1 or 2001:db8::1' });
}

function parseIPv6(text: string): bigint {
  let head = text;
  let tailV4: bigint | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseAddress(text.slice(lastColon + 1)).value;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const l = groups(left);
  const r = groups(right);
  const all = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  let value = all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

export function formatAddress(address: Address): string {
  if (address.family === 4) {
    const v = address.value;
    return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString()).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((address.value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (of two or more) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function mask(family: Family, length: number): bigint {
  const bits = BigInt(addressBits(family));
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(length))) - 1n);
}

/**
 * Parses "a.b.c.d/len" or "x::/len". Host bits must be zero unless
 * `allowHostBits` is set (then they are cleared), as BIRD and `ip route` insist.
 */
export function parsePrefix(text: string, options: { allowHostBits?: boolean } = {}): Prefix {
  const slash = text.indexOf('/');
  if (slash < 0) throw new UserError(`"${text}" is not a prefix`, { hint: 'write it with a length, like 192.0.2.0/24' });
  const address = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  const length = Number(lenText);
  if (!/^\d{1,3}$/.test(lenText) || length > addressBits(address.family)) {
    throw new UserError(`"${text}" has an invalid prefix length`, {
      hint: `use 0 to ${addressBits(address.family)} for IPv${address.family}`,
    });
  }
  const value = address.value & mask(address.family, length);
  if (value !== address.value && !options.allowHostBits) {
    throw new UserError(`"${text}" has host bits set`, {
      hint: `did you mean ${formatPrefix({ family: address.family, value, length })}?`,
    });
  }
  return { family: address.family, value, length };
}

export function formatPrefix(prefix: Prefix): string {
  return `${formatAddress(prefix)}/${prefix.length}`;
}

export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  return (
    outer.family === inner.family &&
    inner.length >= outer.length &&
    (inner.value & mask(outer.family, outer.length)) === outer.value
  );
}

export function prefixContainsAddress(prefix: Prefix, address: Address): boolean {
  return prefix.family === address.family && (address.value & mask(prefix.family, prefix.length)) === prefix.value;
}

export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  return prefixContains(a, b) || prefixContains(b, a);
}

/** How many prefixes of `length` fit in `pool`. */
export function subnetCount(pool: Prefix, length: number): bigint {
  if (length < pool.length || length > addressBits(pool.family)) return 0n;
  return 1n << BigInt(length - pool.length);
}

/** The `index`-th prefix of `length` inside `pool` (0-based). */
export function subnet(pool: Prefix, length: number, index: bigint): Prefix {
  const count = subnetCount(pool, length);
  if (index < 0n || index >= count) {
    throw new RangeError(`subnet ${index} of /${length} is outside ${formatPrefix(pool)} (${count} fit)`);
  }
  const step = 1n << BigInt(addressBits(pool.family) - length);
  return { family: pool.family, value: pool.value + index * step, length };
}

/** The `n`-th address inside `prefix` (0 is the network address). */
export function hostAddress(prefix: Prefix, n: bigint): Address {
  const size = 1n << BigInt(addressBits(prefix.family) - prefix.length);
  if (n < 0n || n >= size) throw new RangeError(`host ${n} is outside ${formatPrefix(prefix)}`);
  return { family: prefix.family, value: prefix.value + n };
}

/** Address bytes in network order (4 or 16), for wire formats. */
export function addressToBytes(address: Address): Buffer {
  const size = address.family === 4 ? 4 : 16;
  const out = Buffer.alloc(size);
  let v = address.value;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function addressFromBytes(bytes: Uint8Array): Address {
  if (bytes.length !== 4 && bytes.length !== 16) throw new RangeError(`an address has 4 or 16 bytes, not ${bytes.length}`);
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return { family: bytes.length === 4 ? 4 : 6, value };
}
