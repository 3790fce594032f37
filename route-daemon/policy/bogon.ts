import { formatPrefix, parsePrefix, type Prefix } from '../../common/prefix.js';
import { PrefixSet } from './prefix-set.js';

/**
 * Prefixes no peer may announce in any plane: the default route, martians
 * (RFC 6890 special-purpose space that is never routed: this-network,
 * loopback, link-local, multicast, reserved) and prefixes too long to be
 * worth a slot. Private space (RFC 1918, ULA) is not listed: the planes'
 * pools live there, and the pool check scopes it.
 */

export interface BogonLimits {
  /** Longest IPv4 prefix accepted (default 24, the global-table convention). */
  readonly maxLengthIpv4?: number;
  /** Longest IPv6 prefix accepted (default 48). */
  readonly maxLengthIpv6?: number;
}

const MARTIANS = new PrefixSet([
  '0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '192.0.0.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', '::ffff:0:0/96', '100::/64', 'fe80::/10', 'ff00::/8',
].map((text) => parsePrefix(text)));

/** Why `prefix` is a bogon, or null if it is not. */
export function bogonReason(prefix: Prefix, limits: BogonLimits = {}): string | null {
  if (prefix.family === 4) return ipv4BogonReason(Number(prefix.value), prefix.length, limits);
  return lengthReason(prefix.length, limits.maxLengthIpv6 ?? 48) ?? martianReason(MARTIANS.overlapping(prefix));
}

/** `bogonReason` for the IPv4 prefix `network`/`length`, without a Prefix (asked once per received prefix). */
export function ipv4BogonReason(network: number, length: number, limits: BogonLimits = {}): string | null {
  return lengthReason(length, limits.maxLengthIpv4 ?? 24) ?? martianReason(MARTIANS.overlappingIpv4(network, length));
}

function lengthReason(length: number, maxLength: number): string | null {
  if (length === 0) return 'default route is never accepted from a peer';
  return length > maxLength ? `prefix longer than /${maxLength}` : null;
}

function martianReason(martian: Prefix | undefined): string | null {
  return martian ? `overlaps martian ${formatPrefix(martian)}` : null;
}
