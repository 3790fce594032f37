import { describe, expect, it } from 'vitest';
import { parsePrefix } from '../../common/prefix.js';
import { startBird, type Bird, type Lab } from './harness.js';
import { waitFor } from '../../common/test-support/eventually.js';
import { INVALID_ORIGIN_PREFIX, OUR_ASN, OUR_COMMUNITY, OUR_PREFIXES, useInterop } from './test-support/interop-fixture.js';

/**
 * Interop with BIRD 2 in a network namespace: our daemon runs in the test
 * process on the root end of the lab's veth pair. IPv4 session: BIRD
 * connects to us; IPv6 session: we connect to BIRD. Four-octet ASNs on both
 * sides.
 */

const BIRD_ASN = 4200000002;

function birdConfig(lab: Lab, port: number): string {
  return `
router id 10.0.0.2;
protocol device {}
protocol static s4 { ipv4; route 10.64.2.0/24 unreachable; route ${INVALID_ORIGIN_PREFIX} unreachable; }
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
  neighbor ${lab.ours.v4} port ${port} as ${OUR_ASN};
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

/** Waits until BIRD's `show route all PREFIX` has our route, and returns it. */
async function birdRoute(bird: Bird, prefix: string): Promise<string> {
  return waitFor(`BIRD to have ${prefix}`, async () => {
    const out = await bird.birdc(`show route all ${prefix}`);
    return out.includes('BGP.as_path') && out;
  });
}

const birdLacks = async (bird: Bird, prefix: string): Promise<boolean> => !(await bird.birdc(`show route ${prefix}`)).includes(prefix);

describe('interop with BIRD 2', () => {
  const interop = useInterop({
    labPrefix: 'gnbird',
    peerAsn: BIRD_ASN,
    peerAuthorizations: ['10.64.2.0/24 max 24', 'fd00:64:2::/48 max 48'],
    sessions: [{ name: 'bird4', family: 'v4', opens: 'they' }, { name: 'bird6', family: 'v6', opens: 'we' }],
    establishTimeoutMs: 20_000,
    startPeer: (at, port) => startBird(at, birdConfig(at, port)),
  });

  it('establishes IPv4 (BIRD connects) and IPv6 (we connect) sessions with four-octet ASNs', async () => {
    await interop.established();
    const protocols = await interop.peer.birdc('show protocols');
    expect(protocols).toMatch(/bird4\s+BGP\s+---\s+up\s+\S+\s+Established/);
    expect(protocols).toMatch(/bird6\s+BGP\s+---\s+up\s+\S+\s+Established/);
    expect(interop.daemon.neighbor('bird4')).toMatchObject({ families: ['ipv4-unicast'], holdTime: 9 });
    expect(interop.daemon.neighbor('bird6')).toMatchObject({ families: ['ipv6-unicast'] });
  });

  it('takes BIRD routes with communities and large communities intact, and drops an invalid origin', async () => {
    const v4 = await waitFor('10.64.2.0/24 from BIRD', () => interop.ours('10.64.2.0/24'));
    expect(v4.paths[0]).toMatchObject({
      peer: 'bird4', validation: 'valid',
      attributes: { asPath: [{ type: 'sequence', asns: [BIRD_ASN] }], communities: [65000 * 65536 + 2], largeCommunities: [[BIRD_ASN, 1, 2]] },
    });
    const v6 = await waitFor('fd00:64:2::/48 from BIRD', () => interop.ours('fd00:64:2::/48'));
    expect(v6.paths[0]).toMatchObject({ peer: 'bird6', validation: 'valid', attributes: { communities: [65000 * 65536 + 2], largeCommunities: [[BIRD_ASN, 1, 2]] } });
    expect(await waitFor('10.64.3.0/24 (no authorization: not-found, accepted)', () => interop.ours('10.64.3.0/24'))).toMatchObject({ paths: [{ validation: 'not-found' }] });
    // INVALID_ORIGIN_PREFIX is authorized for another AS: invalid, dropped, counted.
    expect(interop.ours(INVALID_ORIGIN_PREFIX)).toBeUndefined();
    expect(interop.daemon.neighbor('bird4')?.prefixes.rejected).toBeGreaterThanOrEqual(1);
  });

  it('BIRD gets our routes with their attributes', async () => {
    const v4 = await birdRoute(interop.peer, OUR_PREFIXES.v4);
    expect(v4).toContain(`BGP.as_path: ${OUR_ASN}`);
    expect(v4).toContain('BGP.community: (65000,1)');
    expect(v4).toContain(`BGP.large_community: (${OUR_ASN}, 1, 1)`);
    expect(v4).toContain(`BGP.next_hop: ${interop.lab.ours.v4}`);
    const v6 = await birdRoute(interop.peer, OUR_PREFIXES.v6);
    expect(v6).toContain(`BGP.large_community: (${OUR_ASN}, 1, 1)`);
  });

  it('withdrawals go both ways', async () => {
    interop.daemon.instance('production').withdrawLocal(parsePrefix(OUR_PREFIXES.v6));
    await waitFor(`BIRD to drop ${OUR_PREFIXES.v6}`, () => birdLacks(interop.peer, OUR_PREFIXES.v6));
    await interop.peer.birdc('disable s4extra');
    await waitFor('our RIB to drop 10.64.3.0/24', () => interop.ours('10.64.3.0/24') === undefined);
    interop.daemon.instance('production').announceLocal(parsePrefix(OUR_PREFIXES.v6), { communities: [OUR_COMMUNITY] });
  });

  it('route refresh both ways', async () => {
    await interop.peer.birdc('reload in bird4');
    await waitFor('our daemon to see BIRD\'s ROUTE-REFRESH', () => (interop.daemon.neighbor('bird4')?.received.routeRefresh ?? 0) >= 1);
    const before = interop.daemon.neighbor('bird6')!.received.update;
    interop.daemon.requestRefresh('bird6');
    await waitFor('BIRD to re-send its IPv6 routes', () => interop.daemon.neighbor('bird6')!.received.update > before);
    expect(interop.ours('fd00:64:2::/48')).toBeDefined();
  });

  it('graceful restart: BIRD keeps our routes while we restart', async () => {
    // Only the IPv4 route comes back: after our End-of-RIB BIRD keeps it and drops the IPv6 one we no longer announce.
    await interop.restartOursGracefully(async () => {
      await waitFor('BIRD to notice', async () => !(await interop.peer.birdc('show protocols bird4')).includes('Established'));
      expect(await interop.peer.birdc('show protocols all bird4')).toContain('Neighbor graceful restart active');
      expect(await interop.peer.birdc(`show route all ${OUR_PREFIXES.v4}`)).toContain(`BGP.as_path: ${OUR_ASN}`);
      expect(await interop.peer.birdc(`show route ${OUR_PREFIXES.v6}`)).toContain(OUR_PREFIXES.v6);
    }, { [OUR_PREFIXES.v4]: [OUR_COMMUNITY] });
    await waitFor('BIRD to drop the route we did not re-announce', () => birdLacks(interop.peer, OUR_PREFIXES.v6));
    expect(await interop.peer.birdc(`show route all ${OUR_PREFIXES.v4}`)).toContain(`BGP.as_path: ${OUR_ASN}`);
    expect(await interop.peer.birdc('show protocols all bird4')).not.toContain('Neighbor graceful restart active');
  });

  it('graceful restart: we keep BIRD\'s routes while it restarts', async () => {
    await interop.keepPeerRoutesWhileItRestarts({ '10.64.2.0/24': 'bird4', 'fd00:64:2::/48': 'bird6' }, () => interop.peer.start({ recovery: true }));
    expect(interop.ours('10.64.2.0/24')?.paths[0]?.attributes.largeCommunities).toEqual([[BIRD_ASN, 1, 2]]);
  });
});

describe('BIRD over our max-prefix limit', () => {
  const interop = useInterop({
    labPrefix: 'gnbirdmp',
    peerAsn: BIRD_ASN,
    peerAuthorizations: [],
    sessions: [{ name: 'bird4', family: 'v4', opens: 'they', maxPrefixes: 2 }],
    establishTimeoutMs: 20_000,
    startPeer: (at, port) => startBird(at, `
router id 10.0.0.2;
protocol device {}
protocol static s4 { ipv4; route 10.64.2.0/24 unreachable; route 10.64.3.0/24 unreachable; route 10.64.4.0/24 unreachable; }
protocol bgp bird4 {
  local ${at.theirs.v4} as ${BIRD_ASN};
  neighbor ${at.ours.v4} port ${port} as ${OUR_ASN};
  hold time 9; connect retry time 5; connect delay time 1;
  ipv4 { import all; export all; };
}
`),
  });

  it('gets CEASE "maximum number of prefixes reached"', async () => {
    const shown = await waitFor('BIRD to report our CEASE', async () => {
      const out = await interop.peer.birdc('show protocols all bird4');
      return /Last error:\s+Received: Maximum number of prefixes reached/.test(out) && out;
    }, { timeoutMs: 20_000 });
    expect(shown).toContain('Received: Maximum number of prefixes reached');
    expect(interop.daemon.neighbor('bird4')?.lastError?.text).toBe('cease: maximum number of prefixes reached (6/1)');
    expect(interop.daemon.neighbor('bird4')?.lastError?.direction).toBe('sent');
    expect(interop.ours('10.64.2.0/24')).toBeUndefined();
  });
});
