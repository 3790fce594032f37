import type { Prefix } from '../../common/prefix.js';
import { ipv4Prefix, ipv4PrefixAddress, ipv4PrefixLength, ipv6PrefixLength } from './types.js';
import type { Ipv4Prefix, Ipv6Prefix } from './types.js';

/**
 * NLRI prefix lists (RFC 4271 §4.3, RFC 4760 §5): each prefix is one length octet
 * followed by the fewest octets that hold it. Decoding reads straight into the
 * packed forms of types.ts, so no per-prefix object is built.
 */

export interface ByteSpan {
  readonly start: number;
  readonly end: number;
}

export type PrefixList<T> = { readonly ok: true; readonly prefixes: T[] } | { readonly ok: false; readonly error: string };

export function decodeIpv4Prefixes(buf: Buffer, span: ByteSpan): PrefixList<Ipv4Prefix> {
  const prefixes: Ipv4Prefix[] = [];
  let i = span.start;
  while (i < span.end) {
    const length = buf[i]!;
    if (length > 32) return { ok: false, error: `prefix length ${length} is longer than 32 (octet ${i - span.start})` };
    const octets = (length + 7) >> 3;
    if (i + 1 + octets > span.end) {
      return { ok: false, error: `a /${length} prefix needs ${octets} octets but only ${span.end - i - 1} remain` };
    }
    let address = 0;
    for (let k = 0; k < octets; k++) address |= buf[i + 1 + k]! << (24 - 8 * k);
    prefixes.push(ipv4Prefix(address >>> 0, length));
    i += 1 + octets;
  }
  return { ok: true, prefixes };
}

const scratch = Buffer.alloc(16);

export function decodeIpv6Prefixes(buf: Buffer, span: ByteSpan): PrefixList<Ipv6Prefix> {
  const prefixes: Ipv6Prefix[] = [];
  let i = span.start;
  while (i < span.end) {
    const length = buf[i]!;
    if (length > 128) return { ok: false, error: `prefix length ${length} is longer than 128 (octet ${i - span.start})` };
    const octets = (length + 7) >> 3;
    if (i + 1 + octets > span.end) {
      return { ok: false, error: `a /${length} prefix needs ${octets} octets but only ${span.end - i - 1} remain` };
    }
    scratch.fill(0);
    buf.copy(scratch, 0, i + 1, i + 1 + octets);
    if (length % 8 !== 0) scratch[octets - 1]! &= 0xff << (8 - (length % 8));
    prefixes.push(`${scratch.toString('hex')}/${length}`);
    i += 1 + octets;
  }
  return { ok: true, prefixes };
}

export function ipv4PrefixesSize(prefixes: readonly Ipv4Prefix[]): number {
  let size = 0;
  for (const p of prefixes) size += 1 + ((ipv4PrefixLength(p) + 7) >> 3);
  return size;
}

/** Writes the prefixes at `offset`; returns the offset after them. */
export function writeIpv4Prefixes(buf: Buffer, prefixes: readonly Ipv4Prefix[], offset: number): number {
  let o = offset;
  for (const p of prefixes) {
    const length = ipv4PrefixLength(p);
    const address = ipv4PrefixAddress(p);
    buf[o++] = length;
    for (let k = 0; k < (length + 7) >> 3; k++) buf[o++] = (address >>> (24 - 8 * k)) & 0xff;
  }
  return o;
}

export function ipv6PrefixesSize(prefixes: readonly Ipv6Prefix[]): number {
  let size = 0;
  for (const p of prefixes) size += 1 + ((ipv6PrefixLength(p) + 7) >> 3);
  return size;
}

export function writeIpv6Prefixes(buf: Buffer, prefixes: readonly Ipv6Prefix[], offset: number): number {
  let o = offset;
  for (const p of prefixes) {
    const length = ipv6PrefixLength(p);
    const octets = (length + 7) >> 3;
    buf[o++] = length;
    o += buf.write(p.slice(0, octets * 2), o, 'hex');
  }
  return o;
}

/** Converts to the bigint Prefix of common/prefix.ts (for the CLI, policy, the native plane). */
export function ipv4PrefixToPrefix(prefix: Ipv4Prefix): Prefix {
  return { family: 4, value: BigInt(ipv4PrefixAddress(prefix)), length: ipv4PrefixLength(prefix) };
}

export function ipv6PrefixToPrefix(prefix: Ipv6Prefix): Prefix {
  return { family: 6, value: BigInt(`0x${prefix.slice(0, 32)}`), length: ipv6PrefixLength(prefix) };
}

/** Packs a common/prefix.ts Prefix into the codec's form for its family. */
export function prefixToNlri(prefix: Prefix): Ipv4Prefix | Ipv6Prefix {
  if (prefix.family === 4) return ipv4Prefix(Number(prefix.value), prefix.length);
  const bits = 128n - BigInt(prefix.length);
  const network = prefix.length === 0 ? 0n : (prefix.value >> bits) << bits;
  return `${network.toString(16).padStart(32, '0')}/${prefix.length}`;
}
