import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrefix } from '../../common/prefix.js';
import { parseConfig } from '../config/config.js';
import { RouteDaemon } from '../daemon.js';
import { createLab, startGobgp, waitFor, type Gobgp, type Lab } from './harness.js';

/**
 * Interop with GoBGP (gobgpd) in a network namespace; the directions are
 * the reverse of the BIRD test: IPv4 we connect, IPv6 GoBGP connects.
 */

const OUR_ASN = 4200000001;
const GOBGP_ASN = 4200000003;
const PORT = 20000 + Math.floor(Math.random() * 20000);

function ourConfig(lab: Lab): string {
  return `
[router]
asn = ${OUR_ASN}
router-id = 10.0.0.1

[plane production]
pools = 10.64.0.0/10, fd00:64::/32
authorize = 10.64.1.0/24 max 24 as ${OUR_ASN}
authorize = fd00:64:1::/48 max 48 as ${OUR_ASN}
authorize = 10.64.4.0/24 max 24 as ${GOBGP_ASN}
authorize = 10.64.9.0/24 max 24 as 4200000099

[peer gobgp4]
plane = production
address = ${lab.theirs.v4}
asn = ${GOBGP_ASN}
hold-time = 9
connect-retry = 1
restart-time = 60

[peer gobgp6]
plane = production
address = ${lab.theirs.v6}
asn = ${GOBGP_ASN}
passive = yes
hold-time = 9
restart-time = 60
`;
}

function gobgpConfig(lab: Lab): string {
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
${neighbor(lab.ours.v6, 'ipv6-unicast', `    passive-mode = false\n    remote-port = ${PORT}\n    local-address = "${lab.theirs.v6}"`)}
`;
}

let lab: Lab;
let gobgp: Gobgp;
let daemon: RouteDaemon | undefined;

async function startOurs(options: { restarting?: boolean } = {}): Promise<RouteDaemon> {
  const d = await RouteDaemon.start({
    config: parseConfig(ourConfig(lab), { file: 'interop.conf' }),
    listen: [{ host: lab.ours.v4, port: PORT }, { host: lab.ours.v6, port: PORT }],
    control: false,
    ...options,
  });
  daemon = d;
  return d;
}

async function addGobgpRoutes(): Promise<void> {
  await gobgp.gobgp(['global', 'rib', 'add', '-a', 'ipv4', '10.64.4.0/24', 'community', '65000:4', 'large-community', `${GOBGP_ASN}:1:2`]);
  await gobgp.gobgp(['global', 'rib', 'add', '-a', 'ipv4', '10.64.9.0/24']);
  await gobgp.gobgp(['global', 'rib', 'add', '-a', 'ipv6', 'fd00:64:4::/48', 'community', '65000:4', 'large-community', `${GOBGP_ASN}:1:2`]);
}

interface GobgpPath {
  readonly attrs: { readonly type: number; readonly [key: string]: unknown }[];
  readonly stale?: boolean;
}

/** GoBGP's global RIB for one family, as JSON: prefix → paths. */
async function gobgpRib(family: 'ipv4' | 'ipv6'): Promise<Record<string, GobgpPath[]>> {
  return JSON.parse(await gobgp.gobgp(['-j', 'global', 'rib', '-a', family])) as Record<string, GobgpPath[]>;
}

const ours = (prefix: string) => daemon?.instance('production').lookup({ prefix: parsePrefix(prefix) });

async function established(d: RouteDaemon): Promise<void> {
  await waitFor('both GoBGP sessions Established', () => d.neighbor('gobgp4')?.state === 'Established' && d.neighbor('gobgp6')?.state === 'Established', { timeoutMs: 30_000 });
}

beforeAll(async () => {
  lab = await createLab('gngobgp');
  gobgp = await startGobgp(lab, gobgpConfig(lab));
  await addGobgpRoutes();
  const d = await startOurs();
  d.instance('production').announceLocal(parsePrefix('10.64.1.0/24'), { communities: [65000 * 65536 + 1], largeCommunities: [[OUR_ASN, 1, 1]] });
  d.instance('production').announceLocal(parsePrefix('fd00:64:1::/48'), { communities: [65000 * 65536 + 1], largeCommunities: [[OUR_ASN, 1, 1]] });
});

afterAll(async () => {
  await daemon?.stop();
  await lab?.close();
});

describe('interop with GoBGP', () => {
  it('establishes IPv4 (we connect) and IPv6 (GoBGP connects) sessions with four-octet ASNs', async () => {
    await established(daemon!);
    expect(await gobgp.gobgp(['neighbor'])).toMatch(new RegExp(`${lab.ours.v4.replace(/\./g, '\\.')}\\s+${OUR_ASN}\\s+\\S+\\s+Establ`));
    expect(daemon!.neighbor('gobgp4')?.families).toEqual(['ipv4-unicast']);
    expect(daemon!.neighbor('gobgp6')?.families).toEqual(['ipv6-unicast']);
  });

  it('takes GoBGP routes with communities and large communities intact, and drops an invalid origin', async () => {
    const v4 = await waitFor('10.64.4.0/24 from GoBGP', () => ours('10.64.4.0/24'));
    expect(v4.paths[0]).toMatchObject({
      peer: 'gobgp4', validation: 'valid',
      attributes: { asPath: [{ type: 'sequence', asns: [GOBGP_ASN] }], communities: [65000 * 65536 + 4], largeCommunities: [[GOBGP_ASN, 1, 2]] },
    });
    const v6 = await waitFor('fd00:64:4::/48 from GoBGP', () => ours('fd00:64:4::/48'));
    expect(v6.paths[0]).toMatchObject({ peer: 'gobgp6', validation: 'not-found', attributes: { largeCommunities: [[GOBGP_ASN, 1, 2]] } });
    expect(ours('10.64.9.0/24')).toBeUndefined();
    expect(daemon!.neighbor('gobgp4')?.prefixes.rejected).toBeGreaterThanOrEqual(1);
  });

  it('GoBGP gets our routes with their attributes', async () => {
    const rib = await waitFor('GoBGP to have 10.64.1.0/24', async () => (await gobgpRib('ipv4'))['10.64.1.0/24']);
    const attrs = rib[0]!.attrs;
    expect(attrs).toContainEqual(expect.objectContaining({ type: 2, as_paths: [expect.objectContaining({ asns: [OUR_ASN] })] }));
    expect(attrs).toContainEqual({ type: 3, nexthop: lab.ours.v4 });
    expect(attrs).toContainEqual({ type: 8, communities: [65000 * 65536 + 1] });
    expect(attrs).toContainEqual({ type: 32, value: [{ ASN: OUR_ASN, LocalData1: 1, LocalData2: 1 }] });
    const rib6 = await waitFor('GoBGP to have fd00:64:1::/48', async () => (await gobgpRib('ipv6'))['fd00:64:1::/48']);
    expect(rib6[0]!.attrs).toContainEqual({ type: 32, value: [{ ASN: OUR_ASN, LocalData1: 1, LocalData2: 1 }] });
  });

  it('withdrawals go both ways', async () => {
    daemon!.instance('production').withdrawLocal(parsePrefix('fd00:64:1::/48'));
    await waitFor('GoBGP to drop fd00:64:1::/48', async () => (await gobgpRib('ipv6'))['fd00:64:1::/48'] === undefined);
    await gobgp.gobgp(['global', 'rib', 'del', '-a', 'ipv6', 'fd00:64:4::/48']);
    await waitFor('our RIB to drop fd00:64:4::/48', () => ours('fd00:64:4::/48') === undefined);
  });

  it('re-sends its routes when we ask with ROUTE-REFRESH', async () => {
    // (gobgp's own soft reset in re-reads its Adj-RIB-In and sends nothing; BIRD covers the other direction.)
    const before = daemon!.neighbor('gobgp4')!.received.update;
    daemon!.requestRefresh('gobgp4');
    await waitFor('GoBGP to re-send its IPv4 routes', () => daemon!.neighbor('gobgp4')!.received.update > before);
    expect(daemon!.neighbor('gobgp4')?.sent.routeRefresh).toBe(1);
    expect(ours('10.64.4.0/24')).toBeDefined();
  });

  it('graceful restart: GoBGP keeps our routes while we restart', async () => {
    await daemon!.stop({ graceful: true });
    daemon = undefined;
    await waitFor('GoBGP to notice', async () => !/Establ/.test(await gobgp.gobgp(['neighbor'])), { timeoutMs: 20_000 });
    const kept = (await gobgpRib('ipv4'))['10.64.1.0/24'];
    expect(kept?.[0]?.stale).toBe(true);
    const d = await startOurs({ restarting: true });
    d.instance('production').announceLocal(parsePrefix('10.64.1.0/24'), { communities: [65000 * 65536 + 2] });
    await established(d);
    await waitFor('GoBGP to hold the new route, not stale', async () => {
      const path = (await gobgpRib('ipv4'))['10.64.1.0/24']?.[0];
      return path && !path.stale && path.attrs.some((a) => a.type === 8 && JSON.stringify(a) === JSON.stringify({ type: 8, communities: [65000 * 65536 + 2] }));
    });
  });

  it('graceful restart: we keep GoBGP\'s routes while it restarts', async () => {
    await waitFor('GoBGP route present', () => ours('10.64.4.0/24'));
    await gobgp.stop();
    await waitFor('the sessions to drop', () => daemon!.neighbor('gobgp4')?.state !== 'Established', { timeoutMs: 20_000 });
    expect(ours('10.64.4.0/24')?.paths[0]).toMatchObject({ peer: 'gobgp4', stale: true });
    await gobgp.start({ gracefulRestart: true });
    await gobgp.gobgp(['global', 'rib', 'add', '-a', 'ipv4', '10.64.4.0/24', 'community', '65000:4', 'large-community', `${GOBGP_ASN}:1:2`]);
    await established(daemon!);
    await waitFor('the route to be fresh again', () => ours('10.64.4.0/24')?.paths[0]?.stale === false, { timeoutMs: 30_000 });
    expect(ours('10.64.4.0/24')?.paths[0]?.attributes.largeCommunities).toEqual([[GOBGP_ASN, 1, 2]]);
  });
});
