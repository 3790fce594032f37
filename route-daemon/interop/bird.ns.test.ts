import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrefix } from '../../common/prefix.js';
import { parseConfig } from '../config/config.js';
import { RouteDaemon } from '../daemon.js';
import { createLab, startBird, waitFor, type Bird, type Lab } from './harness.js';

/**
 * Interop with BIRD 2 in a network namespace: our daemon runs in the test
 * process on the root end of the lab's veth pair. IPv4 session: BIRD
 * connects to us; IPv6 session: we connect to BIRD. Four-octet ASNs on both
 * sides.
 */

const OUR_ASN = 4200000001;
const BIRD_ASN = 4200000002;
const PORT = 20000 + Math.floor(Math.random() * 20000);

function ourConfig(lab: Lab, extra = ''): string {
  return `
[router]
asn = ${OUR_ASN}
router-id = 10.0.0.1

[plane production]
pools = 10.64.0.0/10, fd00:64::/32
authorize = 10.64.1.0/24 max 24 as ${OUR_ASN}
authorize = fd00:64:1::/48 max 48 as ${OUR_ASN}
authorize = 10.64.2.0/24 max 24 as ${BIRD_ASN}
authorize = fd00:64:2::/48 max 48 as ${BIRD_ASN}
authorize = 10.64.9.0/24 max 24 as 4200000099

[peer bird4]
plane = production
address = ${lab.theirs.v4}
asn = ${BIRD_ASN}
passive = yes
hold-time = 9
restart-time = 60

[peer bird6]
plane = production
address = ${lab.theirs.v6}
asn = ${BIRD_ASN}
hold-time = 9
connect-retry = 1
restart-time = 60
${extra}`;
}

function birdConfig(lab: Lab): string {
  return `
router id 10.0.0.2;
protocol device {}
protocol static s4 { ipv4; route 10.64.2.0/24 unreachable; route 10.64.9.0/24 unreachable; }
protocol static s4extra { ipv4; route 10.64.3.0/24 unreachable; }
protocol static s6 { ipv6; route fd00:64:2::/48 unreachable; }
filter garage_tags {
  if net = 10.64.2.0/24 || net = fd00:64:2::/48 then {
    bgp_community.add((65000, 2));
    bgp_large_community.add((${BIRD_ASN}, 1, 2));
  }
  accept;
}
protocol bgp bird4 {
  local ${lab.theirs.v4} as ${BIRD_ASN};
  neighbor ${lab.ours.v4} port ${PORT} as ${OUR_ASN};
  hold time 9; keepalive time 3; connect retry time 1; connect delay time 1;
  graceful restart on;
  ipv4 { import all; export filter garage_tags; };
}
protocol bgp bird6 {
  local ${lab.theirs.v6} as ${BIRD_ASN};
  neighbor ${lab.ours.v6} as ${OUR_ASN};
  passive on;
  hold time 9; keepalive time 3;
  graceful restart on;
  ipv6 { import all; export filter garage_tags; };
}
`;
}

let lab: Lab;
let bird: Bird;
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

function announceOurs(d: RouteDaemon): void {
  const production = d.instance('production');
  production.announceLocal(parsePrefix('10.64.1.0/24'), { communities: [65000 * 65536 + 1], largeCommunities: [[OUR_ASN, 1, 1]] });
  production.announceLocal(parsePrefix('fd00:64:1::/48'), { communities: [65000 * 65536 + 1], largeCommunities: [[OUR_ASN, 1, 1]] });
}

const ours = (prefix: string) => daemon?.instance('production').lookup({ prefix: parsePrefix(prefix) });

async function established(d: RouteDaemon): Promise<void> {
  await waitFor('both BIRD sessions Established', () => d.neighbor('bird4')?.state === 'Established' && d.neighbor('bird6')?.state === 'Established', { timeoutMs: 20_000 });
}

beforeAll(async () => {
  lab = await createLab('gnbird');
  bird = await startBird(lab, birdConfig(lab));
  announceOurs(await startOurs());
});

afterAll(async () => {
  await daemon?.stop();
  await lab?.close();
});

describe('interop with BIRD 2', () => {
  it('establishes IPv4 (BIRD connects) and IPv6 (we connect) sessions with four-octet ASNs', async () => {
    await established(daemon!);
    const protocols = await bird.birdc('show protocols');
    expect(protocols).toMatch(/bird4\s+BGP\s+---\s+up\s+\S+\s+Established/);
    expect(protocols).toMatch(/bird6\s+BGP\s+---\s+up\s+\S+\s+Established/);
    expect(daemon!.neighbor('bird4')).toMatchObject({ families: ['ipv4-unicast'], holdTime: 9 });
    expect(daemon!.neighbor('bird6')).toMatchObject({ families: ['ipv6-unicast'] });
  });

  it('takes BIRD routes with communities and large communities intact, and drops an invalid origin', async () => {
    const v4 = await waitFor('10.64.2.0/24 from BIRD', () => ours('10.64.2.0/24'));
    expect(v4.paths[0]).toMatchObject({
      peer: 'bird4', validation: 'valid',
      attributes: { asPath: [{ type: 'sequence', asns: [BIRD_ASN] }], communities: [65000 * 65536 + 2], largeCommunities: [[BIRD_ASN, 1, 2]] },
    });
    const v6 = await waitFor('fd00:64:2::/48 from BIRD', () => ours('fd00:64:2::/48'));
    expect(v6.paths[0]).toMatchObject({ peer: 'bird6', validation: 'valid', attributes: { communities: [65000 * 65536 + 2], largeCommunities: [[BIRD_ASN, 1, 2]] } });
    expect(await waitFor('10.64.3.0/24 (no authorization: not-found, accepted)', () => ours('10.64.3.0/24'))).toMatchObject({ paths: [{ validation: 'not-found' }] });
    // 10.64.9.0/24 is authorized for another AS: invalid, dropped, counted.
    expect(ours('10.64.9.0/24')).toBeUndefined();
    expect(daemon!.neighbor('bird4')?.prefixes.rejected).toBeGreaterThanOrEqual(1);
  });

  it('BIRD gets our routes with their attributes', async () => {
    const v4 = await waitFor('BIRD to have 10.64.1.0/24', async () => {
      const out = await bird.birdc('show route all 10.64.1.0/24');
      return out.includes('BGP.as_path') && out;
    });
    expect(v4).toContain(`BGP.as_path: ${OUR_ASN}`);
    expect(v4).toContain('BGP.community: (65000,1)');
    expect(v4).toContain(`BGP.large_community: (${OUR_ASN}, 1, 1)`);
    expect(v4).toContain(`BGP.next_hop: ${lab.ours.v4}`);
    const v6 = await waitFor('BIRD to have fd00:64:1::/48', async () => {
      const out = await bird.birdc('show route all fd00:64:1::/48');
      return out.includes('BGP.as_path') && out;
    });
    expect(v6).toContain(`BGP.large_community: (${OUR_ASN}, 1, 1)`);
  });

  it('withdrawals go both ways', async () => {
    daemon!.instance('production').withdrawLocal(parsePrefix('fd00:64:1::/48'));
    await waitFor('BIRD to drop fd00:64:1::/48', async () => !(await bird.birdc('show route fd00:64:1::/48')).includes('fd00:64:1::/48'));
    await bird.birdc('disable s4extra');
    await waitFor('our RIB to drop 10.64.3.0/24', () => ours('10.64.3.0/24') === undefined);
    daemon!.instance('production').announceLocal(parsePrefix('fd00:64:1::/48'), { communities: [65000 * 65536 + 1] });
  });

  it('route refresh both ways', async () => {
    await bird.birdc('reload in bird4');
    await waitFor('our daemon to see BIRD\'s ROUTE-REFRESH', () => (daemon!.neighbor('bird4')?.received.routeRefresh ?? 0) >= 1);
    const before = daemon!.neighbor('bird6')!.received.update;
    daemon!.requestRefresh('bird6');
    await waitFor('BIRD to re-send its IPv6 routes', () => daemon!.neighbor('bird6')!.received.update > before);
    expect(ours('fd00:64:2::/48')).toBeDefined();
  });

  it('graceful restart: BIRD keeps our routes while we restart', async () => {
    await daemon!.stop({ graceful: true });
    daemon = undefined;
    await waitFor('BIRD to notice', async () => !(await bird.birdc('show protocols bird4')).includes('Established'));
    expect(await bird.birdc('show protocols all bird4')).toContain('Neighbor graceful restart active');
    expect(await bird.birdc('show route all 10.64.1.0/24')).toContain(`BGP.as_path: ${OUR_ASN}`);
    expect(await bird.birdc('show route fd00:64:1::/48')).toContain('fd00:64:1::/48');
    const d = await startOurs({ restarting: true });
    // Only the IPv4 route comes back: after our End-of-RIB BIRD keeps it and drops the IPv6 one we no longer announce.
    d.instance('production').announceLocal(parsePrefix('10.64.1.0/24'), { communities: [65000 * 65536 + 1] });
    await established(d);
    await waitFor('BIRD to drop the route we did not re-announce', async () => !(await bird.birdc('show route fd00:64:1::/48')).includes('fd00:64:1::/48'));
    expect(await bird.birdc('show route all 10.64.1.0/24')).toContain(`BGP.as_path: ${OUR_ASN}`);
    expect(await bird.birdc('show protocols all bird4')).not.toContain('Neighbor graceful restart active');
  });

  it('graceful restart: we keep BIRD\'s routes while it restarts', async () => {
    await waitFor('BIRD routes present', () => ours('10.64.2.0/24') && ours('fd00:64:2::/48'));
    await bird.stop();
    await waitFor('the sessions to drop', () => daemon!.neighbor('bird4')?.state !== 'Established' && daemon!.neighbor('bird6')?.state !== 'Established');
    expect(ours('10.64.2.0/24')?.paths[0]).toMatchObject({ peer: 'bird4', stale: true });
    expect(ours('fd00:64:2::/48')?.paths[0]).toMatchObject({ peer: 'bird6', stale: true });
    await bird.start({ recovery: true });
    await established(daemon!);
    await waitFor('the routes to be fresh again', () => ours('10.64.2.0/24')?.paths[0]?.stale === false && ours('fd00:64:2::/48')?.paths[0]?.stale === false, { timeoutMs: 20_000 });
    expect(ours('10.64.2.0/24')?.paths[0]?.attributes.largeCommunities).toEqual([[BIRD_ASN, 1, 2]]);
  });
});

describe('BIRD over our max-prefix limit', () => {
  let mpLab: Lab | undefined;
  let mpDaemon: RouteDaemon | undefined;
  afterAll(async () => {
    await mpDaemon?.stop();
    await mpLab?.close();
  });

  it('gets CEASE "maximum number of prefixes reached"', async () => {
    mpLab = await createLab('gnbirdmp');
    const peer = await startBird(mpLab, `
router id 10.0.0.2;
protocol device {}
protocol static s4 { ipv4; route 10.64.2.0/24 unreachable; route 10.64.3.0/24 unreachable; route 10.64.4.0/24 unreachable; }
protocol bgp bird4 {
  local ${mpLab.theirs.v4} as ${BIRD_ASN};
  neighbor ${mpLab.ours.v4} port ${PORT} as ${OUR_ASN};
  hold time 9; connect retry time 5; connect delay time 1;
  ipv4 { import all; export all; };
}
`);
    mpDaemon = await RouteDaemon.start({
      config: parseConfig(`
[router]
asn = ${OUR_ASN}
router-id = 10.0.0.1
[plane production]
pools = 10.64.0.0/10
[peer bird4]
plane = production
address = ${mpLab.theirs.v4}
asn = ${BIRD_ASN}
passive = yes
max-prefixes = 2
`, { file: 'max-prefix.conf' }),
      listen: [{ host: mpLab.ours.v4, port: PORT }],
      control: false,
    });
    const shown = await waitFor('BIRD to report our CEASE', async () => {
      const out = await peer.birdc('show protocols all bird4');
      return /Last error:\s+Received: Maximum number of prefixes reached/.test(out) && out;
    }, { timeoutMs: 20_000 });
    expect(shown).toContain('Received: Maximum number of prefixes reached');
    expect(mpDaemon.neighbor('bird4')?.lastError?.text).toBe('cease: maximum number of prefixes reached (6/1)');
    expect(mpDaemon.neighbor('bird4')?.lastError?.direction).toBe('sent');
    expect(mpDaemon.instance('production').lookup({ prefix: parsePrefix('10.64.2.0/24') })).toBeUndefined();
  });
});
