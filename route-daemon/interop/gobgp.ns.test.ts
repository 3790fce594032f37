import { describe, expect, it } from 'vitest';
import { parsePrefix } from '../../common/prefix.js';
import { startGobgp, type Gobgp, type Lab } from './harness.js';
import { waitFor } from '../../common/test-support/eventually.js';
import { INVALID_ORIGIN_PREFIX, OUR_ASN, OUR_COMMUNITY, OUR_PREFIXES, useInterop } from './test-support/interop-fixture.js';

/**
 * Interop with GoBGP (gobgpd) in a network namespace; the directions are
 * the reverse of the BIRD test: IPv4 we connect, IPv6 GoBGP connects.
 */

const GOBGP_ASN = 4200000003;
const GOBGP_V4 = '10.64.4.0/24';
const GOBGP_V6 = 'fd00:64:4::/48';

function gobgpConfig(lab: Lab, port: number): string {
  const neighbor = (address: string, family: string, transport: string) => `
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${address}"
    peer-as = ${OUR_ASN}
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
  [neighbors.transport.config]
${transport}
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 60
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "${family}"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
`;
  return `
[global.config]
  as = ${GOBGP_ASN}
  router-id = "10.0.0.3"
  port = 179
  local-address-list = ["${lab.theirs.v4}", "${lab.theirs.v6}"]
${neighbor(lab.ours.v4, 'ipv4-unicast', '    passive-mode = true')}
${neighbor(lab.ours.v6, 'ipv6-unicast', `    passive-mode = false\n    remote-port = ${port}\n    local-address = "${lab.theirs.v6}"`)}
`;
}

/** GoBGP's announcement of its IPv4 route, with the communities the tests look for. */
const addGobgpV4 = (gobgp: Gobgp): Promise<string> =>
  gobgp.gobgp(['global', 'rib', 'add', '-a', 'ipv4', GOBGP_V4, 'community', '65000:4', 'large-community', `${GOBGP_ASN}:1:2`]);

async function startGobgpWithRoutes(lab: Lab, port: number): Promise<Gobgp> {
  const gobgp = await startGobgp(lab, gobgpConfig(lab, port));
  await addGobgpV4(gobgp);
  await gobgp.gobgp(['global', 'rib', 'add', '-a', 'ipv4', INVALID_ORIGIN_PREFIX]);
  await gobgp.gobgp(['global', 'rib', 'add', '-a', 'ipv6', GOBGP_V6, 'community', '65000:4', 'large-community', `${GOBGP_ASN}:1:2`]);
  return gobgp;
}

interface GobgpPath {
  readonly attrs: { readonly type: number; readonly [key: string]: unknown }[];
  readonly stale?: boolean;
}

/** GoBGP's global RIB for one family, as JSON: prefix → paths. */
async function gobgpRib(gobgp: Gobgp, family: 'ipv4' | 'ipv6'): Promise<Record<string, GobgpPath[]>> {
  return JSON.parse(await gobgp.gobgp(['-j', 'global', 'rib', '-a', family])) as Record<string, GobgpPath[]>;
}

describe('interop with GoBGP', () => {
  const interop = useInterop({
    labPrefix: 'gngobgp',
    peerAsn: GOBGP_ASN,
    // The IPv6 route has no authorization: it comes in as not-found.
    peerAuthorizations: [`${GOBGP_V4} max 24`],
    sessions: [{ name: 'gobgp4', family: 'v4', opens: 'we' }, { name: 'gobgp6', family: 'v6', opens: 'they' }],
    establishTimeoutMs: 30_000,
    startPeer: startGobgpWithRoutes,
  });
  const rib = (family: 'ipv4' | 'ipv6'): Promise<Record<string, GobgpPath[]>> => gobgpRib(interop.peer, family);

  it('establishes IPv4 (we connect) and IPv6 (GoBGP connects) sessions with four-octet ASNs', async () => {
    await interop.established();
    expect(await interop.peer.gobgp(['neighbor'])).toMatch(new RegExp(`${interop.lab.ours.v4.replace(/\./g, '\\.')}\\s+${OUR_ASN}\\s+\\S+\\s+Establ`));
    expect(interop.daemon.neighbor('gobgp4')?.families).toEqual(['ipv4-unicast']);
    expect(interop.daemon.neighbor('gobgp6')?.families).toEqual(['ipv6-unicast']);
  });

  it('takes GoBGP routes with communities and large communities intact, and drops an invalid origin', async () => {
    const v4 = await waitFor(`${GOBGP_V4} from GoBGP`, () => interop.ours(GOBGP_V4));
    expect(v4.paths[0]).toMatchObject({
      peer: 'gobgp4', validation: 'valid',
      attributes: { asPath: [{ type: 'sequence', asns: [GOBGP_ASN] }], communities: [65000 * 65536 + 4], largeCommunities: [[GOBGP_ASN, 1, 2]] },
    });
    const v6 = await waitFor(`${GOBGP_V6} from GoBGP`, () => interop.ours(GOBGP_V6));
    expect(v6.paths[0]).toMatchObject({ peer: 'gobgp6', validation: 'not-found', attributes: { largeCommunities: [[GOBGP_ASN, 1, 2]] } });
    expect(interop.ours(INVALID_ORIGIN_PREFIX)).toBeUndefined();
    expect(interop.daemon.neighbor('gobgp4')?.prefixes.rejected).toBeGreaterThanOrEqual(1);
  });

  it('GoBGP gets our routes with their attributes', async () => {
    const v4 = await waitFor(`GoBGP to have ${OUR_PREFIXES.v4}`, async () => (await rib('ipv4'))[OUR_PREFIXES.v4]);
    const attrs = v4[0]!.attrs;
    expect(attrs).toContainEqual(expect.objectContaining({ type: 2, as_paths: [expect.objectContaining({ asns: [OUR_ASN] })] }));
    expect(attrs).toContainEqual({ type: 3, nexthop: interop.lab.ours.v4 });
    expect(attrs).toContainEqual({ type: 8, communities: [OUR_COMMUNITY] });
    expect(attrs).toContainEqual({ type: 32, value: [{ ASN: OUR_ASN, LocalData1: 1, LocalData2: 1 }] });
    const v6 = await waitFor(`GoBGP to have ${OUR_PREFIXES.v6}`, async () => (await rib('ipv6'))[OUR_PREFIXES.v6]);
    expect(v6[0]!.attrs).toContainEqual({ type: 32, value: [{ ASN: OUR_ASN, LocalData1: 1, LocalData2: 1 }] });
  });

  it('withdrawals go both ways', async () => {
    interop.daemon.instance('production').withdrawLocal(parsePrefix(OUR_PREFIXES.v6));
    await waitFor(`GoBGP to drop ${OUR_PREFIXES.v6}`, async () => (await rib('ipv6'))[OUR_PREFIXES.v6] === undefined);
    await interop.peer.gobgp(['global', 'rib', 'del', '-a', 'ipv6', GOBGP_V6]);
    await waitFor(`our RIB to drop ${GOBGP_V6}`, () => interop.ours(GOBGP_V6) === undefined);
  });

  it('re-sends its routes when we ask with ROUTE-REFRESH', async () => {
    // (gobgp's own soft reset in re-reads its Adj-RIB-In and sends nothing; BIRD covers the other direction.)
    const before = interop.daemon.neighbor('gobgp4')!.received.update;
    interop.daemon.requestRefresh('gobgp4');
    await waitFor('GoBGP to re-send its IPv4 routes', () => interop.daemon.neighbor('gobgp4')!.received.update > before);
    expect(interop.daemon.neighbor('gobgp4')?.sent.routeRefresh).toBe(1);
    expect(interop.ours(GOBGP_V4)).toBeDefined();
  });

  it('graceful restart: GoBGP keeps our routes while we restart', async () => {
    const restartedCommunity = 65000 * 65536 + 2;
    await interop.restartOursGracefully(async () => {
      await waitFor('GoBGP to notice', async () => !/Establ/.test(await interop.peer.gobgp(['neighbor'])), { timeoutMs: 20_000 });
      expect((await rib('ipv4'))[OUR_PREFIXES.v4]?.[0]?.stale).toBe(true);
    }, { [OUR_PREFIXES.v4]: [restartedCommunity] });
    await waitFor('GoBGP to hold the new route, not stale', async () => {
      const path = (await rib('ipv4'))[OUR_PREFIXES.v4]?.[0];
      return path && !path.stale && path.attrs.some((a) => a.type === 8 && JSON.stringify(a) === JSON.stringify({ type: 8, communities: [restartedCommunity] }));
    });
  });

  it('graceful restart: we keep GoBGP\'s routes while it restarts', async () => {
    await interop.keepPeerRoutesWhileItRestarts({ [GOBGP_V4]: 'gobgp4' }, async () => {
      await interop.peer.start({ gracefulRestart: true });
      await addGobgpV4(interop.peer);
    });
    expect(interop.ours(GOBGP_V4)?.paths[0]?.attributes.largeCommunities).toEqual([[GOBGP_ASN, 1, 2]]);
  });
});
