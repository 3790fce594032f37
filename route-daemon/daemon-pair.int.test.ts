import { afterEach, describe, expect, it } from 'vitest';
import { parsePrefix } from '../common/prefix.js';
import { parseConfig } from './config/config.js';
import { RouteDaemon } from './daemon.js';
import { waitFor } from '../common/test-support/eventually.js';

/** Two of our daemons peering over loopback: our speaker against itself, routes and graceful restart included. */

const A_ASN = 4200000001;
const B_ASN = 4200000002;
const PORT_B = 20000 + Math.floor(Math.random() * 20000);

const planes = `
[plane production]
pools = 10.64.0.0/10, fd00:64::/32
authorize = 10.64.1.0/24 max 24 as ${A_ASN}
`;

const configA = `
[router]
asn = ${A_ASN}
router-id = 10.0.0.1
${planes}
[peer b]
plane = production
address = 127.0.0.2
asn = ${B_ASN}
port = ${PORT_B}
local-address = 127.0.0.1
hold-time = 9
connect-retry = 1
`;

const configB = `
[router]
asn = ${B_ASN}
router-id = 10.0.0.2
${planes}
[peer a]
plane = production
address = 127.0.0.1
asn = ${A_ASN}
passive = yes
hold-time = 9
`;

const running: RouteDaemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

async function start(text: string, listen: string, options: { restarting?: boolean } = {}): Promise<RouteDaemon> {
  const port = listen === '127.0.0.2' ? PORT_B : 0;
  const d = await RouteDaemon.start({ config: parseConfig(text, { file: 'pair.conf' }), listen: [{ host: listen, port }], control: false, ...options });
  running.push(d);
  return d;
}

const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> => waitFor(what, probe, { timeoutMs, intervalMs: 50 });

const route = (d: RouteDaemon, prefix: string) => d.instance('production').lookup({ prefix: parsePrefix(prefix) });

describe('two garagenet daemons', () => {
  it('exchange routes with their attributes, withdraw them, and survive a graceful restart', async () => {
    const b = await start(configB, '127.0.0.2');
    let a = await start(configA, '127.0.0.1');
    a.instance('production').announceLocal(parsePrefix('10.64.1.0/24'), { communities: [65000 * 65536 + 1], largeCommunities: [[A_ASN, 7, 8]] });
    const learnt = await until('B to learn 10.64.1.0/24', () => route(b, '10.64.1.0/24'));
    expect(learnt.paths[0]).toMatchObject({
      peer: 'a', validation: 'valid',
      attributes: { asPath: [{ type: 'sequence', asns: [A_ASN] }], communities: [65000 * 65536 + 1], largeCommunities: [[A_ASN, 7, 8]] },
    });
    expect(b.neighbor('a')).toMatchObject({ state: 'Established', families: ['ipv4-unicast', 'ipv6-unicast'], routerId: '10.0.0.1' });

    // A restarts gracefully: B keeps the route (stale) meanwhile, then takes it fresh from the new A.
    await a.stop({ graceful: true });
    running.splice(running.indexOf(a), 1);
    await until('B to see the session drop', () => b.neighbor('a')?.state !== 'Established');
    expect(route(b, '10.64.1.0/24')?.paths[0]?.stale).toBe(true);
    a = await start(configA, '127.0.0.1', { restarting: true });
    a.instance('production').announceLocal(parsePrefix('10.64.1.0/24'), { communities: [65000 * 65536 + 2] });
    await until('B to hold the route fresh, with the new community', () => {
      const path = route(b, '10.64.1.0/24')?.paths[0];
      return path && !path.stale && path.attributes.communities?.[0] === 65000 * 65536 + 2;
    });

    a.instance('production').withdrawLocal(parsePrefix('10.64.1.0/24'));
    await until('B to drop the withdrawn route', () => route(b, '10.64.1.0/24') === undefined);
    expect(b.neighbor('a')?.flaps).toBe(1);
  });
});
