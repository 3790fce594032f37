import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The address a request is rate limited by. X-Forwarded-For is believed only
 * when the connection comes from a proxy the operator named, and then only
 * the hops those proxies appended: the rightmost address that is not itself
 * a trusted proxy. Anything else a client writes there is ignored, so it
 * cannot pick its own bucket.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (!trustedProxies.has(unmapped(peer))) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapped(hops[i]!);
    if (isIP(hop) === 0) return peer;
    if (!trustedProxies.has(hop)) return hop;
  }
  return peer;
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
