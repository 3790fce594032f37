import { UserError } from '../../common/errors.js';
import { addressFromBytes, addressToBytes, formatAddress, parseAddress, parsePrefix } from '../../common/prefix.js';

/**
 * IP text <-> wire bytes for netlink attributes. IPv4 has a hand-written fast
 * path because a full table is a million IPv4 prefixes; IPv6 goes through the
 * shared bigint prefix math, which also gives the canonical text form.
 */

export type IpFamily = 4 | 6;

export interface WirePrefix {
  readonly family: IpFamily;
  readonly bytes: Buffer;
  readonly length: number;
}

/** Parses dotted IPv4 text into `out`; false when it is not plain IPv4. */
function parseIPv4Into(text: string, start: number, end: number, out: Buffer): boolean {
  let octet = 0;
  let digits = 0;
  let index = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || index === 3) return false;
      out[index++] = octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return false;
    } else {
      return false;
    }
  }
  if (digits === 0 || index !== 3) return false;
  out[3] = octet;
  return true;
}

function prefixError(text: string, what: string): UserError {
  return new UserError(`${what}: "${text}" is not a valid prefix`, {
    hint: 'write it like 192.0.2.0/24 or 2001:db8::/32, with the host bits zero',
  });
}

/**
 * Parses "a.b.c.d/len" or "x::/len" into `out` (at least 16 bytes), so that a
 * batch of a million routes allocates nothing per prefix; `what` names the
 * field in errors.
 */
export function parseWirePrefixInto(text: string, options: { what: string; into: Buffer }): { family: IpFamily; length: number } {
  const { what, into: out } = options;
  const slash = text.indexOf('/');
  if (slash > 0 && text.indexOf(':') < 0) {
    let length = 0;
    for (let i = slash + 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57 || i > slash + 2) throw prefixError(text, what);
      length = length * 10 + (c - 48);
    }
    if (!parseIPv4Into(text, 0, slash, out) || length > 32 || slash + 1 === text.length) throw prefixError(text, what);
    const value = out.readUInt32BE(0);
    const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
    if (((value & ~mask) >>> 0) !== 0) throw prefixError(text, what);
    return { family: 4, length };
  }
  try {
    const prefix = parsePrefix(text);
    addressToBytes(prefix).copy(out);
    return { family: prefix.family, length: prefix.length };
  } catch {
    throw prefixError(text, what);
  }
}

export function parseWirePrefix(text: string, what: string): WirePrefix {
  const scratch = Buffer.alloc(16);
  const { family, length } = parseWirePrefixInto(text, { what, into: scratch });
  return { family, length, bytes: scratch.subarray(0, family === 4 ? 4 : 16) };
}

/** Parses an IPv4 or IPv6 address; `what` names the field in errors. */
export function parseWireAddress(text: string, what: string): { family: IpFamily; bytes: Buffer } {
  const bytes = Buffer.allocUnsafe(4);
  if (parseIPv4Into(text, 0, text.length, bytes)) return { family: 4, bytes };
  try {
    const address = parseAddress(text);
    return { family: address.family, bytes: addressToBytes(address) };
  } catch {
    throw new UserError(`${what}: "${text}" is not an IP address`, { hint: 'write it like 192.0.2.1 or 2001:db8::1' });
  }
}

/** Canonical text of the 4 or 16 address bytes at `at`. */
export function formatWireAddress(buffer: Buffer, where: { at: number; family: IpFamily }): string {
  const { at, family } = where;
  if (family === 4) return `${buffer[at]}.${buffer[at + 1]}.${buffer[at + 2]}.${buffer[at + 3]}`;
  return formatAddress(addressFromBytes(buffer.subarray(at, at + 16)));
}

/** The canonical text of a prefix, so that keys compare equal however they were written. */
export function canonicalPrefix(text: string, what: string): string {
  const prefix = parseWirePrefix(text, what);
  return `${formatWireAddress(prefix.bytes, { at: 0, family: prefix.family })}/${prefix.length}`;
}

export function canonicalAddress(text: string, what: string): string {
  const address = parseWireAddress(text, what);
  return formatWireAddress(address.bytes, { at: 0, family: address.family });
}
