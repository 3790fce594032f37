import { run } from '../system/run.js';

/**
 * The address peers should dial: the source address of our default route (a
 * kernel lookup, nothing is sent). None without a default route; a node behind
 * NAT registers its inside address, and peers learn the real one from its
 * first handshake (WireGuard roaming) since it keeps its tunnels alive.
 */
export async function detectEndpointHost(): Promise<string | undefined> {
  for (const [family, probe] of [['-4', '192.0.2.1'], ['-6', '2001:db8::1']] as const) {
    try {
      const routes = JSON.parse(await run('ip', ['-j', family, 'route', 'get', probe])) as { prefsrc?: string }[];
      const source = routes[0]?.prefsrc;
      if (source) return family === '-6' ? `[${source}]` : source;
    } catch {
      // no route in this family
    }
  }
  return undefined;
}
