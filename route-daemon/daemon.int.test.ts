import { afterEach, describe, expect, it } from 'vitest';
import { parsePrefix, type Prefix } from '../common/prefix.js';
import { parseConfig } from './config/config.js';
import { RouteDaemon } from './daemon.js';
import { encodeMessage } from './packet/codec.js';
import { emptyAttributes } from './packet/attributes.js';
import { prefixToNlri } from './packet/nlri.js';
import { AsSegmentType, CeaseSubcode, ErrorCode, MessageType, type Ipv4Prefix, type PathAttributes, type UpdateMessage } from './packet/types.js';
import { RawPeer } from './peering/test-support/raw-peer.js';
import { waitFor } from '../common/test-support/eventually.js';

/**
 * The daemon on loopback against peers scripted by the test (real TCP, the
 * real codec): what a session does with good and bad input, and that a bad
 * peer never disturbs another session.
 */

const LOCAL_ASN = 4200000001;
const GOOD = { asn: 4200000002, bgpId: 0x0a000002 };
const BAD = { asn: 65003, bgpId: 0x0a000003 };
const RESEARCHER = { asn: 65010, bgpId: 0x0a000004 };

const CONFIG = `
[router]
asn = ${LOCAL_ASN}
router-id = 10.0.0.1

[plane production]
pools = 10.64.0.0/10, fd00:64::/32
authorize = 10.64.2.0/24 max 24 as ${GOOD.asn}
authorize = 10.64.1.0/24 max 24 as ${LOCAL_ASN}

[plane experimental]
pools = 10.128.0.0/10

[peer good]
plane = production
address = 127.0.0.2
asn = ${GOOD.asn}
passive = yes
hold-time = 9

[peer bad]
plane = production
address = 127.0.0.3
asn = ${BAD.asn}
passive = yes
max-prefixes = 3

[peer researcher]
plane = experimental
address = 127.0.0.4
asn = ${RESEARCHER.asn}
passive = yes
max-update-rate = 10
`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startDaemon(text = CONFIG, options: { restarting?: boolean; metrics?: string } = {}): Promise<RouteDaemon> {
  const daemon = await RouteDaemon.start({ config: parseConfig(text, { file: 'test.conf' }), listen: [{ host: '127.0.0.1', port: 0 }], control: false, ...options });
  cleanups.push(() => daemon.stop());
  return daemon;
}

async function connect(daemon: RouteDaemon, from: string): Promise<RawPeer> {
  const peer = await RawPeer.connect({ host: '127.0.0.1', port: daemon.bgpPort, localAddress: from });
  cleanups.push(() => peer.close());
  return peer;
}

function announce(
  prefixes: string[],
  options: { asPath: number[]; communities?: number[]; large?: [number, number, number][] } & Partial<Omit<PathAttributes, 'asPath' | 'communities'>>,
): UpdateMessage {
  const { asPath, communities, large, ...rest } = options;
  return {
    type: MessageType.Update,
    withdrawn: [],
    attributes: {
      ...emptyAttributes(),
      origin: 0,
      asPath: [{ type: AsSegmentType.AsSequence, asns: asPath }],
      nextHop: 0x0a400063, // 10.64.0.99
      communities: communities ?? null,
      largeCommunities: large?.map(([globalAdmin, localData1, localData2]) => ({ globalAdmin, localData1, localData2 })) ?? null,
      ...rest,
    },
    nlri: prefixes.map((p) => prefixToNlri(parsePrefix(p)) as Ipv4Prefix),
    attributeLength: 0,
    problems: [],
  };
}

const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> => waitFor(what, probe, { timeoutMs, intervalMs: 20 });

const lookup = (daemon: RouteDaemon, plane: 'production' | 'experimental', prefix: string) =>
  daemon.instance(plane).lookup({ prefix: parsePrefix(prefix) as Prefix });

describe('route daemon sessions on loopback', () => {
  it('takes routes with communities and large communities, and drops an invalid origin', async () => {
    const daemon = await startDaemon();
    const good = await connect(daemon, '127.0.0.2');
    const open = await good.establish(GOOD);
    expect(open.capabilities).toContainEqual({ kind: 'four-octet-as', asn: LOCAL_ASN });
    await until('good to be Established', () => daemon.neighbor('good')?.state === 'Established');

    good.send(announce(['10.64.2.0/24'], { asPath: [GOOD.asn], communities: [(65000 * 65536 + 7) >>> 0], large: [[GOOD.asn, 1, 2]] }));
    const route = await until('10.64.2.0/24 in the RIB', () => lookup(daemon, 'production', '10.64.2.0/24'));
    expect(route.paths[0]).toMatchObject({
      peer: 'good',
      validation: 'valid',
      attributes: { communities: [65000 * 65536 + 7], largeCommunities: [[GOOD.asn, 1, 2]], asPath: [{ type: 'sequence', asns: [GOOD.asn] }] },
    });

    // 10.64.2.0/24 is authorized for AS GOOD only: from AS 65099 it is invalid and dropped.
    good.send({ ...announce(['10.64.2.0/24'], { asPath: [GOOD.asn, 65099] }) });
    await until('the invalid route to replace and so remove the valid one', () => lookup(daemon, 'production', '10.64.2.0/24') === undefined);
    expect(daemon.neighbor('good')?.prefixes.rejected).toBe(1);

    // Withdrawal.
    good.send(announce(['10.64.3.0/24'], { asPath: [GOOD.asn] }));
    await until('10.64.3.0/24', () => lookup(daemon, 'production', '10.64.3.0/24'));
    good.send({ ...announce([], { asPath: [GOOD.asn] }), attributes: emptyAttributes(), withdrawn: [prefixToNlri(parsePrefix('10.64.3.0/24')) as Ipv4Prefix] });
    await until('10.64.3.0/24 withdrawn', () => lookup(daemon, 'production', '10.64.3.0/24') === undefined);
  });

  it('a malformed message affects only its own session', async () => {
    const daemon = await startDaemon();
    const good = await connect(daemon, '127.0.0.2');
    await good.establish(GOOD);
    good.keepSending(1_000); // however long the mutation run takes on a busy machine
    good.send(announce(['10.64.7.0/24'], { asPath: [GOOD.asn] }));
    await until('good route', () => lookup(daemon, 'production', '10.64.7.0/24'));

    let bad = await connect(daemon, '127.0.0.3');
    await bad.establish(BAD);
    // An invalid ORIGIN value: RFC 7606 treat-as-withdraw, the session stays up.
    bad.send(announce(['10.64.8.0/24'], { asPath: [BAD.asn], origin: 7 as 0 }));
    await until('treat-as-withdraw counted', () => daemon.neighbor('bad')?.treatAsWithdraw === 1);
    expect(lookup(daemon, 'production', '10.64.8.0/24')).toBeUndefined();
    expect(daemon.neighbor('bad')?.state).toBe('Established');

    // A broken marker: NOTIFICATION "connection not synchronized", and that session is closed.
    const broken = encodeMessage({ type: MessageType.Keepalive }, { fourOctetAs: true, families: [] });
    broken[3] = 0;
    bad.sendRaw(broken);
    const n = await bad.next(MessageType.Notification);
    expect([n.code, n.subcode]).toEqual([ErrorCode.MessageHeader, 1]);
    await bad.waitClosed();

    // A bounded mutation run: a valid UPDATE with random bytes flipped, reconnecting whenever the daemon resets.
    const template = encodeMessage(announce(['10.64.9.0/24', '10.64.10.0/24'], { asPath: [BAD.asn, 65004], communities: [1], large: [[1, 2, 3]], med: 5 }), { fourOctetAs: true, families: [{ afi: 1, safi: 1 }] });
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const deadline = Date.now() + 20_000;
    let sent = 0;
    let resets = 0;
    while (sent < 1_000 && Date.now() < deadline) {
      if (bad.closed) {
        resets++;
        bad = await connect(daemon, '127.0.0.3');
        await bad.establish(BAD);
      }
      const m = Buffer.from(template);
      for (let k = 0, flips = 1 + random(3); k < flips; k++) m[19 + random(m.length - 19)] = random(256);
      bad.sendRaw(m);
      sent++;
      if (sent % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(sent).toBeGreaterThan(100);
    expect(resets).toBeGreaterThan(0);

    // The good session never noticed.
    good.send({ type: MessageType.Keepalive });
    good.send(announce(['10.64.11.0/24'], { asPath: [GOOD.asn] }));
    await until('a later good route', () => lookup(daemon, 'production', '10.64.11.0/24'));
    expect(lookup(daemon, 'production', '10.64.7.0/24')).toBeDefined();
    expect(daemon.neighbor('good')).toMatchObject({ state: 'Established', flaps: 0 });
    expect(good.closed).toBe(false);
  });

  it('withdraws a route from a peer when its attributes outgrow an UPDATE on the way there, and stays up', async () => {
    const daemon = await startDaemon();
    const receiver = await connect(daemon, '127.0.0.3');
    await receiver.establish(BAD);
    const good = await connect(daemon, '127.0.0.2');
    await good.establish(GOOD);
    const routeChange = async (): Promise<UpdateMessage> => {
      for (;;) {
        const u = await receiver.next(MessageType.Update);
        if (u.nlri.length + u.withdrawn.length > 0) return u;
      }
    };
    const prefix = prefixToNlri(parsePrefix('10.64.2.0/24'));
    good.send(announce(['10.64.2.0/24'], { asPath: [GOOD.asn] }));
    expect((await routeChange()).nlri).toEqual([prefix]);

    // 4,045 octets of an unknown transitive attribute make a 4,096-octet UPDATE; our AS on the path adds 4 more.
    good.send(announce(['10.64.2.0/24'], { asPath: [GOOD.asn], unknown: [{ flags: 0xc0, typeCode: 99, value: Buffer.alloc(4_045, 1) }] }));
    expect(await routeChange()).toMatchObject({ withdrawn: [prefix], nlri: [] });
    expect(lookup(daemon, 'production', '10.64.2.0/24')?.paths[0]?.attributes.unknown?.[0]?.value.length).toBe(4_045);

    // Smaller again, it goes out again; neither session noticed.
    good.send(announce(['10.64.2.0/24'], { asPath: [GOOD.asn, GOOD.asn] }));
    expect((await routeChange()).nlri).toEqual([prefix]);
    expect([daemon.neighbor('good')?.state, daemon.neighbor('bad')?.state, good.closed, receiver.closed]).toEqual(['Established', 'Established', false, false]);
  });

  it('sends CEASE "maximum number of prefixes reached" over the limit', async () => {
    const daemon = await startDaemon();
    const bad = await connect(daemon, '127.0.0.3');
    await bad.establish(BAD);
    bad.send(announce(['10.64.20.0/24', '10.64.21.0/24', '10.64.22.0/24', '10.64.23.0/24'], { asPath: [BAD.asn] }));
    const n = await bad.next(MessageType.Notification);
    expect([n.code, n.subcode]).toEqual([ErrorCode.Cease, CeaseSubcode.MaximumPrefixesReached]);
    expect(n.data.toString('hex')).toBe('0001' + '01' + '00000003');
    await until('the routes to be gone with the session', () => lookup(daemon, 'production', '10.64.20.0/24') === undefined);
  });

  it('a researcher router feeds the experimental plane only', async () => {
    const daemon = await startDaemon();
    const researcher = await connect(daemon, '127.0.0.4');
    await researcher.establish(RESEARCHER);
    researcher.send(announce(['10.128.1.0/24', '10.64.30.0/24'], { asPath: [RESEARCHER.asn] }));
    await until('the experiment route', () => lookup(daemon, 'experimental', '10.128.1.0/24'));
    expect(lookup(daemon, 'production', '10.128.1.0/24')).toBeUndefined();
    // A production prefix from a researcher is outside the experimental pools: rejected, and it never reaches production.
    expect(lookup(daemon, 'experimental', '10.64.30.0/24')).toBeUndefined();
    expect(lookup(daemon, 'production', '10.64.30.0/24')).toBeUndefined();
    expect(daemon.neighbor('researcher')?.prefixes).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it('attaches and removes an experiment peer at run time: its routes come and go, and it is refused afterwards', async () => {
    const daemon = await startDaemon();
    const extra = parseConfig(`${CONFIG}
[peer exp-late]
plane = experimental
experiment = late
address = 127.0.0.5
asn = ${RESEARCHER.asn}
passive = yes
`, { file: 'attach.conf' }).peers.find((p) => p.name === 'exp-late')!;
    expect(() => daemon.addPeer({ ...extra, name: 'good' })).toThrow(/peer good already exists/);
    expect(() => daemon.addPeer({ ...extra, address: parseConfig(CONFIG, { file: 'x' }).peers.find((p) => p.name === 'researcher')!.address })).toThrow(
      /address 127\.0\.0\.4 is already used by peer researcher in plane experimental/,
    );
    daemon.addPeer(extra);
    const late = await connect(daemon, '127.0.0.5');
    await late.establish({ asn: RESEARCHER.asn, bgpId: 0x0a000005 });
    late.send(announce(['10.128.5.0/24'], { asPath: [RESEARCHER.asn] }));
    // No authorization for the experiment's AS in this file: even its own space is refused (not-found is not enough for an experiment).
    await until('the rejection', () => (daemon.neighbor('exp-late')?.prefixes.rejected ?? 0) >= 1);
    expect(lookup(daemon, 'experimental', '10.128.5.0/24')).toBeUndefined();

    daemon.removePeer('exp-late');
    const n = await late.next(MessageType.Notification);
    expect([n.code, n.subcode]).toEqual([ErrorCode.Cease, CeaseSubcode.PeerDeconfigured]);
    expect(daemon.neighbor('exp-late')).toBeUndefined();
    const refused = daemon.refusedConnections;
    const again = await connect(daemon, '127.0.0.5');
    await again.waitClosed();
    expect(daemon.refusedConnections).toBe(refused + 1);
  });

  it('a peer over its update-rate limit is slowed down by pausing reads, not dropped', async () => {
    const daemon = await startDaemon();
    const researcher = await connect(daemon, '127.0.0.4');
    await researcher.establish(RESEARCHER);
    const prefixes = Array.from({ length: 300 }, (_, i) => `10.${128 + (i >> 8)}.${i & 255}.0/24`);
    researcher.send(announce(prefixes.slice(0, 150), { asPath: [RESEARCHER.asn] }));
    researcher.send(announce(prefixes.slice(150), { asPath: [RESEARCHER.asn] }));
    await until('the pause', () => (daemon.neighbor('researcher')?.readPauses ?? 0) >= 1);
    // What was read is applied; the session stays up.
    expect(lookup(daemon, 'experimental', '10.128.0.0/24')).toBeDefined();
    expect(daemon.neighbor('researcher')).toMatchObject({ state: 'Established', flaps: 0 });
  });

  it('re-sends its routes on ROUTE-REFRESH and ends the first table with End-of-RIB', async () => {
    const daemon = await startDaemon();
    daemon.instance('production').announceLocal(parsePrefix('10.64.1.0/24'), { communities: [65000 * 65536 + 1] });
    const good = await connect(daemon, '127.0.0.2');
    await good.establish(GOOD);
    const first = await good.next(MessageType.Update);
    expect(first.nlri).toEqual([prefixToNlri(parsePrefix('10.64.1.0/24'))]);
    expect(first.attributes.asPath).toEqual([{ type: AsSegmentType.AsSequence, asns: [LOCAL_ASN] }]);
    const eor4 = await good.next(MessageType.Update);
    const eor6 = await good.next(MessageType.Update);
    expect([eor4.nlri.length, eor4.withdrawn.length, eor4.attributeLength, eor4.attributes.mpUnreach]).toEqual([0, 0, 0, null]);
    expect(eor6.attributes.mpUnreach).toEqual({ afi: 2, safi: 1, prefixes: [] });

    good.send({ type: MessageType.RouteRefresh, afi: 1, safi: 1, subtype: 0 });
    const again = await good.next(MessageType.Update);
    expect(again.nlri).toEqual([prefixToNlri(parsePrefix('10.64.1.0/24'))]);
    expect(daemon.neighbor('good')?.received.routeRefresh).toBe(1);
  });

  it('sends "hold timer expired" when the peer goes silent', async () => {
    const daemon = await startDaemon();
    const good = await connect(daemon, '127.0.0.2');
    await good.establish({ ...GOOD, holdTime: 3 });
    expect(daemon.neighbor('good')?.holdTime).toBe(3);
    const n = await good.next(MessageType.Notification, 8_000);
    expect([n.code, n.subcode]).toEqual([ErrorCode.HoldTimerExpired, 0]);
  });

  it('serves session and routing metrics on loopback', async () => {
    const daemon = await startDaemon(CONFIG, { metrics: '127.0.0.1:0' });
    const good = await connect(daemon, '127.0.0.2');
    await good.establish(GOOD);
    good.send(announce(['10.64.2.0/24'], { asPath: [GOOD.asn] }));
    await until('the route', () => lookup(daemon, 'production', '10.64.2.0/24'));
    const text = await (await fetch(`http://${daemon.metricsAddress}/metrics`)).text();
    expect(text).toContain('garagenet_bgp_session_established{plane="production",peer="good"} 1');
    expect(text).toContain('garagenet_bgp_session_established{plane="experimental",peer="researcher"} 0');
    expect(text).toContain('garagenet_bgp_messages_total{plane="production",peer="good",direction="received",type="update"} 1');
    expect(text).toContain('garagenet_bgp_routes{plane="production",family="ipv4"} 1');
  });

  it('refuses a second connection while the session is Established (peer without graceful restart)', async () => {
    const daemon = await startDaemon();
    const good = await connect(daemon, '127.0.0.2');
    await good.establish(GOOD);
    await until('Established', () => daemon.neighbor('good')?.state === 'Established');
    const second = await connect(daemon, '127.0.0.2');
    const n = await second.next(MessageType.Notification);
    expect([n.code, n.subcode]).toEqual([ErrorCode.Cease, CeaseSubcode.ConnectionRejected]);
    await second.waitClosed();
    expect(daemon.neighbor('good')).toMatchObject({ state: 'Established', flaps: 0 });
  });

  it('with hold time 0 from the peer, neither side sends KEEPALIVEs and the session stays up', async () => {
    const daemon = await startDaemon();
    const good = await connect(daemon, '127.0.0.2');
    await good.establish({ ...GOOD, holdTime: 0 });
    await until('Established', () => daemon.neighbor('good')?.state === 'Established');
    expect(daemon.neighbor('good')).toMatchObject({ holdTime: 0, keepaliveTime: 0 });
    const keepalivesSent = daemon.neighbor('good')!.sent.keepalive;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(daemon.neighbor('good')).toMatchObject({ state: 'Established', sent: { keepalive: keepalivesSent } });
  });

  it('refuses an OPEN from the wrong AS with "bad peer AS"', async () => {
    const daemon = await startDaemon();
    const good = await connect(daemon, '127.0.0.2');
    good.sendOpen({ asn: 65999, bgpId: GOOD.bgpId });
    const n = await good.next(MessageType.Notification);
    expect([n.code, n.subcode]).toEqual([ErrorCode.OpenMessage, 2]);
    expect(daemon.neighbor('good')?.lastError?.text).toMatch(/bad peer AS/);
  });
});

describe('connection collision (RFC 4271 §6.8)', () => {
  async function collide(peerId: number): Promise<{ outbound: RawPeer; inbound: RawPeer; daemon: RouteDaemon }> {
    const server = await RawPeer.listen('127.0.0.5');
    cleanups.push(() => server.close());
    const daemon = await startDaemon(`
[router]
asn = ${LOCAL_ASN}
router-id = 10.0.0.50
[plane production]
pools = 10.64.0.0/10
[peer both-ways]
plane = production
address = 127.0.0.5
asn = ${GOOD.asn}
port = ${server.port}
connect-retry = 30
`);
    const outbound = await server.next();
    cleanups.push(() => outbound.close());
    await outbound.next(MessageType.Open); // our connection is in OpenSent
    const inbound = await connect(daemon, '127.0.0.5');
    inbound.sendOpen({ ...GOOD, bgpId: peerId });
    await inbound.next(MessageType.Open);
    await inbound.next(MessageType.Keepalive); // the inbound connection is in OpenConfirm
    outbound.sendOpen({ ...GOOD, bgpId: peerId });
    return { outbound, inbound, daemon };
  }

  it('a peer with the higher identifier keeps its own connection', async () => {
    const { outbound, inbound, daemon } = await collide(0x0a0000ff);
    const n = await outbound.next(MessageType.Notification);
    expect([n.code, n.subcode]).toEqual([ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution]);
    inbound.send({ type: MessageType.Keepalive });
    await until('the inbound connection to be Established', () => daemon.neighbor('both-ways')?.state === 'Established');
    expect(inbound.closed).toBe(false);
  });

  it('with the lower identifier, ours survives', async () => {
    const { outbound, inbound, daemon } = await collide(0x0a000001);
    const n = await inbound.next(MessageType.Notification);
    expect([n.code, n.subcode]).toEqual([ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution]);
    await outbound.next(MessageType.Keepalive);
    outbound.send({ type: MessageType.Keepalive });
    await until('our connection to be Established', () => daemon.neighbor('both-ways')?.state === 'Established');
  });
});

describe('graceful restart (RFC 4724)', () => {
  const GR_CAP = (restarting: boolean) => ({
    kind: 'graceful-restart' as const, restarting, notification: false, restartTime: 60,
    families: [{ afi: 1, safi: 1, forwarding: restarting }],
  });
  const caps = (restarting: boolean) => [
    { kind: 'multiprotocol' as const, afi: 1, safi: 1 },
    { kind: 'four-octet-as' as const, asn: GOOD.asn },
    GR_CAP(restarting),
  ];

  it('when we restart: no NOTIFICATION on the way down, R and F bits on the way back', async () => {
    const first = await startDaemon();
    const good = await connect(first, '127.0.0.2');
    const open = await good.establish({ ...GOOD, capabilities: caps(false) });
    expect(open.capabilities).toContainEqual(expect.objectContaining({ kind: 'graceful-restart', restarting: false }));
    await first.stop({ graceful: true });
    await good.waitClosed();
    expect(good.received.filter((m) => m.type === MessageType.Notification)).toEqual([]);

    const second = await startDaemon(CONFIG, { restarting: true });
    const again = await connect(second, '127.0.0.2');
    const reopened = await again.establish({ ...GOOD, capabilities: caps(false) });
    expect(reopened.capabilities).toContainEqual({
      kind: 'graceful-restart', restarting: true, notification: false, restartTime: 120,
      families: [{ afi: 1, safi: 1, forwarding: true }, { afi: 2, safi: 1, forwarding: true }],
    });
  });

  it('when the peer restarts: its routes stay, stale, until its End-of-RIB', async () => {
    const daemon = await startDaemon();
    const good = await connect(daemon, '127.0.0.2');
    await good.establish({ ...GOOD, capabilities: caps(false) });
    good.send(announce(['10.64.40.0/24', '10.64.41.0/24'], { asPath: [GOOD.asn] }));
    await until('both routes', () => lookup(daemon, 'production', '10.64.41.0/24'));
    good.close(); // the peer's process dies: TCP goes away without NOTIFICATION
    await until('the session to drop', () => daemon.neighbor('good')?.state !== 'Established');
    expect(lookup(daemon, 'production', '10.64.40.0/24')?.paths[0]).toMatchObject({ peer: 'good', stale: true });

    const back = await connect(daemon, '127.0.0.2');
    await back.establish({ ...GOOD, capabilities: caps(true) });
    back.send(announce(['10.64.40.0/24'], { asPath: [GOOD.asn] }));
    await until('the re-announced route to be fresh', () => lookup(daemon, 'production', '10.64.40.0/24')?.paths[0]?.stale === false);
    expect(lookup(daemon, 'production', '10.64.41.0/24')?.paths[0]?.stale).toBe(true);
    back.send({ ...announce([], { asPath: [] }), attributes: emptyAttributes() }); // End-of-RIB
    await until('the stale route to go', () => lookup(daemon, 'production', '10.64.41.0/24') === undefined);
    expect(lookup(daemon, 'production', '10.64.40.0/24')).toBeDefined();
  });

  it('a peer that connects again while its session is still up has restarted: stale routes, new session', async () => {
    const daemon = await startDaemon();
    const old = await connect(daemon, '127.0.0.2');
    await old.establish({ ...GOOD, capabilities: caps(false) });
    old.send(announce(['10.64.60.0/24'], { asPath: [GOOD.asn] }));
    await until('the route', () => lookup(daemon, 'production', '10.64.60.0/24'));
    const back = await connect(daemon, '127.0.0.2');
    await back.establish({ ...GOOD, capabilities: caps(true) });
    await old.waitClosed();
    expect(lookup(daemon, 'production', '10.64.60.0/24')?.paths[0]).toMatchObject({ peer: 'good', stale: true });
    await until('the new session', () => daemon.neighbor('good')?.state === 'Established');
    back.send({ ...announce([], { asPath: [] }), attributes: emptyAttributes() }); // End-of-RIB without the route
    await until('the stale route to go', () => lookup(daemon, 'production', '10.64.60.0/24') === undefined);
  });

  it('a peer that resets with a NOTIFICATION loses its routes at once', async () => {
    const daemon = await startDaemon();
    const good = await connect(daemon, '127.0.0.2');
    await good.establish({ ...GOOD, capabilities: caps(false) });
    good.send(announce(['10.64.50.0/24'], { asPath: [GOOD.asn] }));
    await until('the route', () => lookup(daemon, 'production', '10.64.50.0/24'));
    good.send({ type: MessageType.Notification, code: ErrorCode.Cease, subcode: CeaseSubcode.AdministrativeReset, data: Buffer.alloc(0) });
    await until('the route to go', () => lookup(daemon, 'production', '10.64.50.0/24') === undefined);
  });
});
