import { afterEach, describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../../bench/bgp/random.js';
import { formatPrefix, parseAddress, parsePrefix, type Prefix } from '../../common/prefix.js';
import { ipv4Prefix } from '../packet/types.js';
import { originAs } from '../policy/origin-validation.js';
import type { RouteAttributes } from './attributes.js';
import { withPacked, type ExportBatch, type NegotiatedSession, type PeerSettings } from './instance.js';
import { createRoutingInstance, type PlaneInstance, type PolicyEvent } from './plane-instance.js';
import type { RouteFilter, RouteView } from './queries.js';

const LOCAL_AS = 65000;

function instance(audit: PolicyEvent[] = []): PlaneInstance {
  return createRoutingInstance({
    plane: 'production',
    localAsn: LOCAL_AS,
    pools: [parsePrefix('10.64.0.0/10'), parsePrefix('fd00:64::/32')],
    authorizations: [
      { prefix: parsePrefix('10.64.0.0/16'), maxLength: 24, originAsn: LOCAL_AS, plane: 'production' },
      { prefix: parsePrefix('10.65.0.0/16'), maxLength: 24, originAsn: 65001, plane: 'production' },
      { prefix: parsePrefix('10.66.0.0/16'), maxLength: 24, originAsn: 65001, plane: 'experimental' },
    ],
    audit: (e) => audit.push(e),
  });
}

function peer(name: string, asn: number, address: string, extra: Partial<PeerSettings> = {}): PeerSettings {
  return { name, asn, address: parseAddress(address), ...extra };
}

function session(routerId: number, extra: Partial<NegotiatedSession> = {}): NegotiatedSession {
  return {
    routerId,
    families: ['ipv4-unicast', 'ipv6-unicast'],
    localAddress: parseAddress('10.64.0.1'),
    localAddressIpv6: parseAddress('fd00:64::1'),
    routeRefresh: true,
    ...extra,
  };
}

function attrs(asns: number[], extra: Partial<RouteAttributes> = {}): RouteAttributes {
  return { origin: 'igp', asPath: [{ type: 'sequence', asns }], nextHop: parseAddress(`10.64.0.${asns[0]! % 250}`), ...extra };
}

const p = (text: string): Prefix => parsePrefix(text);

/** Everything the peer would be sent right now, as text, merged over batches. */
function drainAll(rib: PlaneInstance, name: string): { announced: Map<string, RouteAttributes>; withdrawn: string[]; endOfRib: string[] } {
  const announced = new Map<string, RouteAttributes>();
  const withdrawn: string[] = [];
  const endOfRib: string[] = [];
  for (let batch: ExportBatch | null; (batch = rib.drainExport(name, { maxPrefixes: 2 })); ) {
    for (const w of withPacked(batch.withdrawn, batch.withdrawnIpv4)) withdrawn.push(formatPrefix(w));
    for (const g of batch.announced) for (const prefix of withPacked(g.prefixes, g.ipv4)) announced.set(formatPrefix(prefix), g.attributes);
    endOfRib.push(...batch.endOfRib);
  }
  return { announced, withdrawn, endOfRib };
}

describe('routing instance: import and best path', () => {
  it('keeps one path per peer, picks the best, and counts without walking', () => {
    const rib = instance();
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.peerUp(peer('b', 65002, '10.64.0.3'), { session: session(3), onExportReady: () => {} });
    rib.receive('a', {
      withdrawn: [],
      announced: [
        { attributes: attrs([65001]), prefixes: [p('10.65.1.0/24')] },
        { attributes: attrs([65001, 65005]), prefixes: [p('10.70.0.0/16')] },
      ],
    });
    rib.receive('b', { withdrawn: [], announced: [{ attributes: attrs([65002]), prefixes: [p('10.70.0.0/16')] }] });
    expect(rib.counters()).toMatchObject({ routes: { ipv4: 2, ipv6: 0 }, paths: 3, attributeSets: 3 });
    const route = rib.lookup({ prefix: p('10.70.0.0/16') })!;
    expect(route.paths.map((x) => [x.peer, x.best])).toEqual([['b', true], ['a', false]]);
    expect(route.decidedBy).toBe('as-path-length');
    expect(rib.peerCounters('a')).toMatchObject({ accepted: 2, up: true });
    expect(rib.peerCounters('a')!.decisions).toMatchObject({ 'import:accepted': 2, 'validation:valid': 1, 'validation:not-found': 1 });

    rib.receive('b', { withdrawn: [p('10.70.0.0/16')], announced: [] });
    expect(rib.lookup({ prefix: p('10.70.0.0/16') })!.paths.map((x) => x.peer)).toEqual(['a']);
    expect(rib.peerCounters('b')!.accepted).toBe(0);
  });

  it('replaces an eBGP LOCAL_PREF with its own and drops what policy rejects, counted, explained and audited', () => {
    const audit: PolicyEvent[] = [];
    const rib = instance(audit);
    rib.peerUp(peer('a', 65009, '10.64.0.2', { maxAsPathLength: 3 }), { session: session(2), onExportReady: () => {} });
    const result = rib.receive('a', {
      withdrawn: [],
      announced: [
        { attributes: attrs([65009], { localPref: 900 }), prefixes: [p('10.65.1.0/24'), p('127.0.0.0/8'), p('192.168.0.0/16'), p('10.80.0.0/16')] },
        { attributes: attrs([65009, 1, 2, 3]), prefixes: [p('10.81.0.0/16')] },
        { attributes: attrs([65009, LOCAL_AS]), prefixes: [p('10.82.0.0/16')] },
      ],
    });
    expect(result).toEqual({ accepted: 1, rejected: 5, withdrawn: 0 });
    expect(rib.lookup({ prefix: p('10.80.0.0/16') })!.paths[0]!.attributes.localPref).toBe(100);
    expect(audit.map((e) => [e.prefix, e.check])).toEqual([
      ['10.65.1.0/24', 'origin-validation'],
      ['127.0.0.0/8', 'bogon'],
      ['192.168.0.0/16', 'plane-pool'],
      ['10.81.0.0/16', 'as-path-length'],
      ['10.82.0.0/16', 'as-path-loop'],
    ]);
    expect(audit[0]!.reason).toBe('invalid: origin AS65009 not authorized (covered by 10.65.0.0/16 max /24 AS65001)');
    expect(rib.counters().decisions).toMatchObject({ 'import:rejected:origin-validation': 1, 'import:rejected:bogon': 1, 'import:accepted': 1 });
  });

  it('treats a rejected re-announcement as a withdrawal of the earlier route', () => {
    const rib = instance();
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: [p('10.65.1.0/24')] }] });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001, 65077]), prefixes: [p('10.65.1.0/24')] }] });
    expect(rib.lookup({ prefix: p('10.65.1.0/24') })).toBeUndefined();
    expect(rib.peerCounters('a')!.accepted).toBe(0);
  });

  it('asks for CEASE (RFC 4486 subcode 1) once the peer passes its prefix limit', () => {
    const audit: PolicyEvent[] = [];
    const rib = instance(audit);
    rib.peerUp(peer('a', 65001, '10.64.0.2', { maxPrefixes: 2 }), { session: session(2), onExportReady: () => {} });
    const ok = rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: [p('10.70.0.0/16'), p('10.71.0.0/16')] }] });
    expect(ok.cease).toBeUndefined();
    const over = rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: [p('fd00:64:1::/48')] }] });
    expect(over.cease).toEqual({ subcode: 1, family: 'ipv6-unicast', limit: 2, reason: '3 prefixes exceed the limit of 2' });
    expect(audit.at(-1)).toMatchObject({ check: 'max-prefix', peer: 'a' });
    rib.peerDown('a');
    expect(rib.counters().routes).toEqual({ ipv4: 0, ipv6: 0 });
    // Left: the one set (all three routes had it) that the change log still shows with its announcements.
    expect(rib.counters().attributeSets).toBe(1);
  });

  it('applies UPDATEs over the rate limit but asks the session to pause reading', () => {
    vi.useFakeTimers();
    try {
      const rib = instance();
      rib.peerUp(peer('a', 65001, '10.64.0.2', { maxUpdateRate: 1 }), { session: session(2), onExportReady: () => {} });
      const many = Array.from({ length: 12 }, (_, i) => p(`10.70.${i}.0/24`));
      const result = rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: many }] });
      expect(result).toMatchObject({ accepted: 12, pauseMs: 2000 });
      vi.advanceTimersByTime(5000);
      expect(rib.receive('a', { withdrawn: [p('10.70.0.0/24')], announced: [] }).pauseMs).toBeUndefined();
      expect(rib.peerCounters('a')!.decisions['import:throttled']).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts an experiment\'s prefix limit over all of its sessions, naming the experiment', () => {
    const audit: PolicyEvent[] = [];
    const rib = instance(audit);
    const settings = { experiment: 'e1', maxPrefixes: 3 };
    rib.peerUp(peer('e1-v4', 65001, '10.64.0.2', settings), { session: session(2), onExportReady: () => {} });
    rib.peerUp(peer('e1-v6', 65001, '10.64.0.3', settings), { session: session(3), onExportReady: () => {} });
    rib.peerUp(peer('plain', 65001, '10.64.0.4', { maxPrefixes: 3 }), { session: session(4), onExportReady: () => {} });
    const two = (third: number) => ({ withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: [p(`10.65.${third}.0/24`), p(`10.65.${third + 1}.0/24`)] }] });
    expect(rib.receive('e1-v4', two(0)).cease).toBeUndefined();
    expect(rib.receive('plain', two(0)).cease).toBeUndefined();
    expect(rib.receive('e1-v6', two(2)).cease).toEqual({ subcode: 1, family: 'ipv4-unicast', limit: 3, reason: '4 prefixes exceed the limit of 3 of experiment e1' });
    expect(audit.filter((e) => e.check === 'max-prefix')).toEqual([
      { plane: 'production', peer: 'e1-v6', prefix: '', direction: 'import', check: 'max-prefix', reason: '4 prefixes exceed the limit of 3 of experiment e1', experiment: 'e1' },
    ]);
  });

  it('takes a per-minute limit slower than one a second, with a burst of at least one', () => {
    vi.useFakeTimers();
    try {
      const rib = instance();
      rib.peerUp(peer('a', 65001, '10.64.0.2', { maxUpdateRate: 6 / 60 }), { session: session(2), onExportReady: () => {} });
      const two = [p('10.70.0.0/24'), p('10.70.1.0/24')];
      expect(rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: two }] })).toMatchObject({ accepted: 2, pauseMs: 10_000 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('finds the longest prefix containing an address, in its own family', () => {
    const rib = instance();
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: [p('10.70.0.0/16'), p('10.70.8.0/22'), p('fd00:64:70::/48')] }] });
    expect(formatPrefix(rib.lookup({ address: parseAddress('10.70.9.1') })!.prefix)).toBe('10.70.8.0/22');
    expect(formatPrefix(rib.lookup({ address: parseAddress('10.70.200.1') })!.prefix)).toBe('10.70.0.0/16');
    expect(formatPrefix(rib.lookup({ address: parseAddress('fd00:64:70::9') })!.prefix)).toBe('fd00:64:70::/48');
    expect(rib.lookup({ address: parseAddress('10.71.0.1') })).toBeUndefined();
    expect(rib.lookup({ prefix: p('10.70.9.0/24') })).toBeUndefined();
    expect(formatPrefix(rib.lookup({ prefix: p('10.70.9.0/24'), orCovering: true })!.prefix)).toBe('10.70.8.0/22');
  });
});

describe('routing instance: packed IPv4 prefixes', () => {
  it('imports IPv4 prefixes packed as the codec decodes them exactly as it imports Prefixes: routes, counters, refusals and audit', () => {
    const random = seededRandom(4242);
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    // Inside the pool (valid, invalid and not-found by origin), outside it, martian, too long, and the default route.
    const texts = [
      ...Array.from({ length: 40 }, (_, i) => `10.65.${i}.0/24`),
      ...Array.from({ length: 40 }, (_, i) => `10.70.${i}.0/24`),
      '10.64.0.0/10', '192.0.2.0/24', '127.0.0.0/8', '10.70.0.0/25', '0.0.0.0/0', '169.254.1.0/24', '10.65.0.0/16',
    ];
    const updates = Array.from({ length: 300 }, () => ({
      withdrawn: Array.from({ length: Math.floor(random() * 3) }, () => pick(texts)),
      groups: Array.from({ length: 1 + Math.floor(random() * 2) }, () => ({
        origin: pick([65001, 65009, 65001]),
        prefixes: Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(texts)),
      })),
    }));
    const packed = (text: string): number => {
      const prefix = p(text);
      return ipv4Prefix(Number(prefix.value), prefix.length);
    };
    const runs = (['prefixes', 'packed'] as const).map((form) => {
      const audit: PolicyEvent[] = [];
      const rib = instance(audit);
      rib.peerUp(peer('a', 65001, '10.64.0.2', { experiment: 'e1' }), { session: session(2), onExportReady: () => {} });
      for (const u of updates) {
        rib.receive('a', form === 'prefixes'
          ? { withdrawn: u.withdrawn.map(p), announced: u.groups.map((g) => ({ attributes: attrs([65001, g.origin]), prefixes: g.prefixes.map(p) })) }
          : { withdrawn: [], withdrawnIpv4: u.withdrawn.map(packed), announced: u.groups.map((g) => ({ attributes: attrs([65001, g.origin]), prefixes: [], ipv4: g.prefixes.map(packed) })) });
      }
      const routes = rib.listRoutes({ limit: 1000 }).routes.map((r) => [formatPrefix(r.prefix), r.paths[0]!.validation, r.paths[0]!.attributes.asPath]);
      return { routes, counters: rib.peerCounters('a'), audit: audit.map((e) => [e.prefix, e.check, e.reason]) };
    });
    expect(runs[0]!.routes.length).toBeGreaterThan(20);
    expect(runs[0]!.audit.filter(([, check]) => check !== 'accepted').length).toBeGreaterThan(20);
    expect(runs[1]).toEqual(runs[0]);
  });
});

describe('routing instance: export (Adj-RIB-Out)', () => {
  it('sends the initial table then End-of-RIB, rewritten for eBGP, never back to its source', async () => {
    const rib = instance();
    let ready = 0;
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001], { med: 5, communities: [42] }), prefixes: [p('10.70.0.0/16'), p('10.71.0.0/16'), p('10.72.0.0/16')] }] });
    rib.peerUp(peer('c', 65003, '10.64.0.4'), { session: session(4), onExportReady: () => ready++ });
    await Promise.resolve();
    expect(ready).toBe(1);
    const sent = drainAll(rib, 'c');
    expect([...sent.announced.keys()].sort()).toEqual(['10.70.0.0/16', '10.71.0.0/16', '10.72.0.0/16']);
    expect(sent.announced.get('10.70.0.0/16')).toEqual({
      origin: 'igp',
      asPath: [{ type: 'sequence', asns: [LOCAL_AS, 65001] }],
      nextHop: parseAddress('10.64.0.1'),
      communities: [42],
    });
    expect(sent.endOfRib).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    expect(drainAll(rib, 'a').announced.size).toBe(0);
    expect(rib.peerCounters('c')!.advertised).toBe(3);
    // Its own routes are not even offered back to it: no refusal is counted for them.
    expect(rib.peerCounters('a')!.decisions['export:rejected:learned from this peer']).toBeUndefined();
  });

  it('coalesces changes and sends the withdrawal once the last path goes, even if the slot is reused', async () => {
    const rib = instance();
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.peerUp(peer('b', 65002, '10.64.0.3'), { session: session(3), onExportReady: () => {} });
    rib.peerUp(peer('c', 65003, '10.64.0.4'), { session: session(4), onExportReady: () => {} });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001, 9]), prefixes: [p('10.70.0.0/16')] }] });
    rib.receive('b', { withdrawn: [], announced: [{ attributes: attrs([65002]), prefixes: [p('10.70.0.0/16')] }] });
    const first = drainAll(rib, 'c');
    expect(first.announced.get('10.70.0.0/16')!.asPath).toEqual([{ type: 'sequence', asns: [LOCAL_AS, 65002] }]);

    rib.receive('b', { withdrawn: [p('10.70.0.0/16')], announced: [] });
    expect(drainAll(rib, 'c').announced.get('10.70.0.0/16')!.asPath).toEqual([{ type: 'sequence', asns: [LOCAL_AS, 65001, 9] }]);

    // Withdraw, then a new prefix arrives before c drains: c must still hear the withdrawal.
    rib.receive('a', { withdrawn: [p('10.70.0.0/16')], announced: [] });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: [p('10.99.0.0/16')] }] });
    const last = drainAll(rib, 'c');
    expect(last.withdrawn).toEqual(['10.70.0.0/16']);
    expect([...last.announced.keys()]).toEqual(['10.99.0.0/16']);
    expect(rib.peerCounters('c')!.advertised).toBe(1);
  });

  it('re-sends the whole Adj-RIB-Out on refresh', () => {
    const rib = instance();
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.peerUp(peer('c', 65003, '10.64.0.4'), { session: session(4), onExportReady: () => {} });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: [p('10.70.0.0/16'), p('fd00:64:70::/48')] }] });
    drainAll(rib, 'c');
    expect(drainAll(rib, 'c').announced.size).toBe(0);
    rib.refresh('c', 'ipv6-unicast');
    const again = drainAll(rib, 'c');
    expect([...again.announced.keys()]).toEqual(['fd00:64:70::/48']);
    expect(again.announced.get('fd00:64:70::/48')!.nextHop).toEqual(parseAddress('fd00:64::1'));
    expect(again.endOfRib).toEqual([]);
  });

  it('passes iBGP routes to eBGP peers only', () => {
    const rib = instance();
    rib.peerUp(peer('i1', LOCAL_AS, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.peerUp(peer('i2', LOCAL_AS, '10.64.0.3'), { session: session(3), onExportReady: () => {} });
    rib.peerUp(peer('e', 65003, '10.64.0.4'), { session: session(4), onExportReady: () => {} });
    rib.receive('i1', { withdrawn: [], announced: [{ attributes: attrs([65001], { localPref: 300 }), prefixes: [p('10.70.0.0/16')] }] });
    expect(drainAll(rib, 'i2').announced.size).toBe(0);
    expect(drainAll(rib, 'e').announced.size).toBe(1);
    expect(rib.lookup({ prefix: p('10.70.0.0/16') })!.paths[0]!.attributes.localPref).toBe(300);
  });

  it('announces a local prefix only when authorized, with our AS as the whole path', () => {
    const rib = instance();
    rib.peerUp(peer('e', 65003, '10.64.0.4'), { session: session(4), onExportReady: () => {} });
    rib.announceLocal(p('10.64.5.0/24'), { communities: [7] });
    expect(() => rib.announceLocal(p('10.65.5.0/24'))).toThrow(/10\.65\.5\.0\/24 cannot be announced in the production plane: invalid/);
    expect(() => rib.announceLocal(p('10.90.0.0/16'))).toThrow(/no route authorization for AS65000/);
    const sent = drainAll(rib, 'e');
    expect(sent.announced.get('10.64.5.0/24')).toEqual({
      origin: 'igp', asPath: [{ type: 'sequence', asns: [LOCAL_AS] }], nextHop: parseAddress('10.64.0.1'), communities: [7],
    });
    expect(rib.withdrawLocal(p('10.64.5.0/24'))).toBe(true);
    expect(rib.withdrawLocal(p('10.64.5.0/24'))).toBe(false);
    expect(drainAll(rib, 'e').withdrawn).toEqual(['10.64.5.0/24']);
  });
});

describe('routing instance: route authorizations change', () => {
  it('drops routes that became invalid, updates states, asks for a refresh, and stops announcing what is no longer ours', () => {
    const audit: PolicyEvent[] = [];
    const rib = instance(audit);
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.peerUp(peer('e', 65003, '10.64.0.4'), { session: session(4), onExportReady: () => {} });
    rib.receive('a', {
      withdrawn: [],
      announced: [
        { attributes: attrs([65001]), prefixes: [p('10.65.1.0/24'), p('10.70.0.0/16')] },
        { attributes: attrs([65001, 65009]), prefixes: [p('10.65.2.0/24')] }, // invalid now
      ],
    });
    rib.announceLocal(p('10.64.5.0/24'));
    expect([...drainAll(rib, 'e').announced.keys()].sort()).toEqual(['10.64.5.0/24', '10.65.1.0/24', '10.70.0.0/16']);

    const result = rib.updateAuthorizations([
      { prefix: p('10.65.0.0/16'), maxLength: 24, originAsn: 65009, plane: 'production' },
      { prefix: p('10.70.0.0/16'), maxLength: 16, originAsn: 65001, plane: 'production' },
    ]);
    expect(result).toEqual({ refreshFrom: ['a'] });
    expect(rib.lookup({ prefix: p('10.65.1.0/24') })).toBeUndefined();
    expect(rib.lookup({ prefix: p('10.70.0.0/16') })!.paths[0]!.validation).toBe('valid');
    expect(rib.peerCounters('a')!.accepted).toBe(1);
    expect(audit.at(-1)).toMatchObject({ prefix: '10.65.1.0/24', check: 'origin-validation' });
    expect(drainAll(rib, 'e').withdrawn.sort()).toEqual(['10.64.5.0/24', '10.65.1.0/24']);
    expect(rib.peerCounters('e')!.decisions['export:rejected:not authorized to originate this prefix']).toBe(1);
  });
});

describe('routing instance: graceful restart (receiving speaker)', () => {
  afterEach(() => vi.useRealTimers());

  const gr = { restartTimeSeconds: 120, preservedFamilies: ['ipv4-unicast' as const] };

  it('keeps a restarting peer\'s routes as stale until its End-of-RIB', () => {
    const rib = instance();
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2, { gracefulRestart: gr }), onExportReady: () => {} });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: [p('10.70.0.0/16'), p('10.71.0.0/16'), p('fd00:64:70::/48')] }] });
    rib.peerDown('a', { graceful: true });
    // IPv6 forwarding was not preserved: those routes go at once.
    expect(rib.counters().routes).toEqual({ ipv4: 2, ipv6: 0 });
    expect(rib.lookup({ prefix: p('10.70.0.0/16') })!.paths[0]!.stale).toBe(true);
    expect(rib.peerCounters('a')).toMatchObject({ stale: 2, accepted: 2, up: false });

    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2, { gracefulRestart: gr }), onExportReady: () => {} });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: [p('10.70.0.0/16')] }] });
    expect(rib.peerCounters('a')!.stale).toBe(1);
    rib.endOfRib('a', 'ipv4-unicast');
    expect(rib.lookup({ prefix: p('10.71.0.0/16') })).toBeUndefined();
    expect(rib.lookup({ prefix: p('10.70.0.0/16') })!.paths[0]!.stale).toBe(false);
    expect(rib.peerCounters('a')).toMatchObject({ stale: 0, accepted: 1 });
  });

  it('purges stale routes when the restart timer runs out, and at once on a non-graceful down', () => {
    vi.useFakeTimers();
    const rib = instance();
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2, { gracefulRestart: gr }), onExportReady: () => {} });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: [p('10.70.0.0/16')] }] });
    rib.peerDown('a', { graceful: true });
    vi.advanceTimersByTime(119_000);
    expect(rib.counters().routes.ipv4).toBe(1);
    vi.advanceTimersByTime(2_000);
    expect(rib.counters().routes.ipv4).toBe(0);
    expect(rib.peerCounters('a')).toMatchObject({ stale: 0, accepted: 0 });

    rib.peerUp(peer('b', 65002, '10.64.0.3'), { session: session(3), onExportReady: () => {} });
    rib.receive('b', { withdrawn: [], announced: [{ attributes: attrs([65002]), prefixes: [p('10.72.0.0/16')] }] });
    rib.peerDown('b', { graceful: true }); // b did not negotiate graceful restart
    expect(rib.counters().routes.ipv4).toBe(0);
  });
});

describe('routing instance: FIB feed', () => {
  it('hands best-route changes as add/replace/withdraw with next hops, and a snapshot', async () => {
    const rib = instance();
    let ready = 0;
    rib.onFibReady(() => ready++);
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.peerUp(peer('b', 65002, '10.64.0.3'), { session: session(3), onExportReady: () => {} });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001, 7]), prefixes: [p('10.70.0.0/16')] }] });
    rib.announceLocal(p('10.64.1.0/24'));
    await Promise.resolve();
    expect(ready).toBeGreaterThan(0);
    expect(rib.drainFib()).toEqual([{ kind: 'add', prefix: p('10.70.0.0/16'), nextHop: parseAddress('10.64.0.1') }]);
    rib.receive('b', { withdrawn: [], announced: [{ attributes: attrs([65002]), prefixes: [p('10.70.0.0/16')] }] });
    expect(rib.drainFib()).toEqual([{ kind: 'replace', prefix: p('10.70.0.0/16'), nextHop: parseAddress('10.64.0.2') }]);
    // Same next hop, other attributes: nothing for the kernel.
    rib.receive('b', { withdrawn: [], announced: [{ attributes: attrs([65002], { med: 1 }), prefixes: [p('10.70.0.0/16')] }] });
    expect(rib.drainFib()).toBeNull();
    expect(rib.fibSnapshot()).toEqual([{ prefix: p('10.70.0.0/16'), nextHop: parseAddress('10.64.0.2') }]);
    rib.peerDown('a');
    rib.peerDown('b');
    expect(rib.drainFib()).toEqual([{ kind: 'withdraw', prefix: p('10.70.0.0/16') }]);
  });
});

describe('routing instance: change log', () => {
  it('records best-route changes with the peer, newest first, in a fixed ring', () => {
    const rib = createRoutingInstance({ plane: 'production', localAsn: LOCAL_AS, pools: [p('10.64.0.0/10')], authorizations: [], changeLogSize: 3 });
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.peerUp(peer('b', 65002, '10.64.0.3'), { session: session(3), onExportReady: () => {} });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001, 9]), prefixes: [p('10.70.0.0/16')] }] });
    rib.receive('b', { withdrawn: [], announced: [{ attributes: attrs([65002]), prefixes: [p('10.70.0.0/16')] }] });
    // Not a change of the best path: a's path loses to b's.
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001, 8]), prefixes: [p('10.70.0.0/16')] }] });
    rib.receive('b', { withdrawn: [p('10.70.0.0/16')], announced: [] });
    rib.receive('a', { withdrawn: [p('10.70.0.0/16')], announced: [] });
    const changes = rib.recentChanges({ limit: 10 });
    expect(changes.map((c) => [c.kind, formatPrefix(c.prefix), c.peer, c.attributes?.asPath[0]?.asns.join(' ')])).toEqual([
      ['withdraw', '10.70.0.0/16', 'a', undefined],
      ['announce', '10.70.0.0/16', 'a', '65001 8'],
      ['announce', '10.70.0.0/16', 'b', '65002'],
    ]);
    expect(rib.recentChanges({ limit: 1 })).toHaveLength(1);
  });

  it('holds the attribute sets of its announcements until the ring overwrites them', () => {
    const rib = createRoutingInstance({ plane: 'production', localAsn: LOCAL_AS, pools: [p('10.64.0.0/10')], authorizations: [], changeLogSize: 2 });
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001, 7]), prefixes: [p('10.70.0.0/16')] }] });
    rib.receive('a', { withdrawn: [p('10.70.0.0/16')], announced: [] });
    expect(rib.counters().attributeSets).toBe(1);
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001, 8]), prefixes: [p('10.71.0.0/16')] }] });
    rib.receive('a', { withdrawn: [p('10.71.0.0/16')], announced: [] });
    // The first announcement left the ring and its set with it.
    expect(rib.counters().attributeSets).toBe(1);
    expect(rib.recentChanges({ limit: 5 }).map((c) => [c.kind, formatPrefix(c.prefix), c.attributes?.asPath[0]?.asns.join(' ')])).toEqual([
      ['withdraw', '10.71.0.0/16', undefined],
      ['announce', '10.71.0.0/16', '65001 8'],
    ]);
  });

  it('keeps IPv6 prefixes whole', () => {
    const rib = createRoutingInstance({ plane: 'production', localAsn: LOCAL_AS, pools: [p('fd00:64::/32')], authorizations: [], changeLogSize: 4 });
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    const v6 = { ...attrs([65001]), nextHop: parseAddress('fd00:64::2') };
    rib.receive('a', { withdrawn: [], announced: [{ attributes: v6, prefixes: [p('fd00:64:ff00::/40'), p('fd00:64:1::/48')] }] });
    expect(rib.recentChanges({ limit: 5 }).map((c) => formatPrefix(c.prefix))).toEqual(['fd00:64:1::/48', 'fd00:64:ff00::/40']);
  });
});

describe('routing instance: listing', () => {
  it('pages through routes and filters by community, large community, origin AS and peer', () => {
    const rib = instance();
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.receive('a', {
      withdrawn: [],
      announced: [
        { attributes: attrs([65001, 65010], { communities: [((65001 << 16) | 5) >>> 0] }), prefixes: [p('10.70.0.0/16'), p('10.71.0.0/16')] },
        { attributes: attrs([65001], { largeCommunities: [[65001, 1, 2]] }), prefixes: [p('10.72.0.0/16'), p('fd00:64:70::/48')] },
      ],
    });
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = rib.listRoutes({ limit: 3, ...(after ? { after } : {}) });
      seen.push(...page.routes.map((r) => formatPrefix(r.prefix)));
      after = page.next;
    } while (after);
    expect(seen.sort()).toEqual(['10.70.0.0/16', '10.71.0.0/16', '10.72.0.0/16', 'fd00:64:70::/48']);
    const names = (filter: object): string[] => rib.listRoutes({ limit: 10, filter }).routes.map((r) => formatPrefix(r.prefix)).sort();
    expect(names({ community: ((65001 << 16) | 5) >>> 0 })).toEqual(['10.70.0.0/16', '10.71.0.0/16']);
    expect(names({ largeCommunity: [65001, 1, 2] })).toEqual(['10.72.0.0/16', 'fd00:64:70::/48']);
    expect(names({ originAsn: 65010 })).toEqual(['10.70.0.0/16', '10.71.0.0/16']);
    expect(names({ family: 6 })).toEqual(['fd00:64:70::/48']);
    expect(names({ peer: 'zz' })).toEqual([]);
    expect(() => rib.listRoutes({ limit: 1, after: 'bogus' })).toThrow(/page token/);
  });

  it('lists a route when a path that is not the best one matches, all criteria on that one path', () => {
    const rib = instance();
    rib.peerUp(peer('a', 65001, '10.64.0.2'), { session: session(2), onExportReady: () => {} });
    rib.peerUp(peer('b', 65002, '10.64.0.3'), { session: session(3), onExportReady: () => {} });
    const tagged = ((65002 << 16) | 9) >>> 0;
    rib.receive('a', { withdrawn: [], announced: [{ attributes: attrs([65001]), prefixes: [p('10.80.0.0/16')] }] });
    rib.receive('b', {
      withdrawn: [],
      announced: [{ attributes: attrs([65002, 65020, 65030], { communities: [tagged], largeCommunities: [[65002, 3, 4]] }), prefixes: [p('10.80.0.0/16')] }],
    });
    const listed = (filter: RouteFilter): RouteView[] => rib.listRoutes({ limit: 10, filter }).routes;
    for (const filter of [{ community: tagged }, { peer: 'b' }, { originAsn: 65030 }, { largeCommunity: [65002, 3, 4] as const }, { peer: 'b', community: tagged, originAsn: 65030 }]) {
      const routes = listed(filter);
      expect(routes.map((r) => formatPrefix(r.prefix)), JSON.stringify(filter)).toEqual(['10.80.0.0/16']);
      // The whole route comes back, the best path (a's, shorter) first.
      expect(routes[0]!.paths.map((x) => [x.peer, x.best])).toEqual([['a', true], ['b', false]]);
    }
    // Each criterion is met by some path, but no one path meets them all.
    expect(listed({ peer: 'a', community: tagged })).toEqual([]);
    expect(listed({ originAsn: 65001, largeCommunity: [65002, 3, 4] })).toEqual([]);
    expect(listed({ peer: 'b', originAsn: 65001 })).toEqual([]);
  });

  it('pages a filtered listing to what an unfiltered one holds after filtering, over both families, peers and our own routes', () => {
    const rib = instance();
    const peers = [peer('a', 65001, '10.64.0.2'), peer('b', 65002, '10.64.0.3'), peer('c', 65003, '10.64.0.4')];
    for (const [i, settings] of peers.entries()) rib.peerUp(settings, { session: session(i + 2), onExportReady: () => {} });
    const random = seededRandom(11);
    const pick = <T>(from: readonly T[]): T => from[Math.floor(random() * from.length)]!;
    const COMMUNITIES = [((65001 << 16) | 1) >>> 0, ((65002 << 16) | 2) >>> 0, ((65003 << 16) | 3) >>> 0];
    const LARGE = [[65001, 1, 1], [65002, 2, 2]] as const;
    const ORIGINS = [65010, 65020, 65030];
    const tags = (): Partial<RouteAttributes> => ({
      ...(random() < 0.5 ? { communities: COMMUNITIES.filter(() => random() < 0.5) } : {}),
      ...(random() < 0.3 ? { largeCommunities: [pick(LARGE)] } : {}),
    });
    for (let i = 0; i < 60; i++) {
      const prefixes = [p(`10.70.${i}.0/24`), p(`fd00:64:${i.toString(16)}::/48`)];
      for (const [k, settings] of peers.entries()) {
        if (random() < 0.4) continue;
        const base = attrs([settings.asn, ...(random() < 0.8 ? [pick(ORIGINS)] : [])], tags());
        for (const prefix of prefixes) {
          const attributes = prefix.family === 6 ? { ...base, nextHop: parseAddress(`fd00:64::${k + 2}`) } : base;
          rib.receive(settings.name, { withdrawn: [], announced: [{ attributes, prefixes: [prefix] }] });
        }
      }
      if (i % 7 === 0) rib.announceLocal(p(`10.64.${i}.0/24`), { communities: [pick(COMMUNITIES)] });
    }
    const all = listAll(rib, {}, 7);
    expect(all.filter((r) => r.prefix.family === 6).length).toBeGreaterThan(10);
    const filters: RouteFilter[] = [
      { peer: 'a' }, { peer: 'c' }, { peer: 'local' }, { peer: 'nobody' }, { community: COMMUNITIES[1]! }, { largeCommunity: LARGE[0] },
      { originAsn: 65020 }, { originAsn: LOCAL_AS }, { originAsn: 65002 }, { peer: 'b', community: COMMUNITIES[0]! }, { family: 6, originAsn: 65030 },
      { peer: 'a', originAsn: 65010, community: COMMUNITIES[2]! }, { family: 4, peer: 'b', largeCommunity: LARGE[1] },
    ];
    for (const filter of filters) {
      const expected = all.filter((r) => (filter.family === undefined || r.prefix.family === filter.family) && routeMatches(r, filter)).map((r) => formatPrefix(r.prefix));
      for (const limit of [1, 4, 1000]) {
        expect(listAll(rib, filter, limit).map((r) => formatPrefix(r.prefix)), `${JSON.stringify(filter)}, ${limit} a page`).toEqual(expected);
      }
      if (filter.peer !== 'nobody') expect(expected.length, JSON.stringify(filter)).toBeGreaterThan(0);
    }
    expect(listAll(rib, { peer: 'a' }, 1000).length).toBeLessThan(all.length);
  });
});

/** Every page of a listing, followed through its page tokens. */
function listAll(rib: PlaneInstance, filter: RouteFilter, limit: number): RouteView[] {
  const routes: RouteView[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = rib.listRoutes({ limit, filter, ...(after ? { after } : {}) });
    routes.push(...page.routes);
    after = page.next;
    if (!after) return routes;
  }
  throw new Error(`listing with ${JSON.stringify(filter)} did not end in 10,000 pages`);
}

/** What a filter means, read off a built route view: some path meets every criterion. */
function routeMatches(route: RouteView, filter: RouteFilter): boolean {
  return route.paths.some((path) => {
    const a = path.attributes;
    return (
      (filter.peer === undefined || path.peer === filter.peer) &&
      (filter.community === undefined || (a.communities ?? []).includes(filter.community)) &&
      (filter.largeCommunity === undefined || (a.largeCommunities ?? []).some((c) => c.every((v, i) => v === filter.largeCommunity![i]))) &&
      (filter.originAsn === undefined || originAs(a.asPath, LOCAL_AS) === filter.originAsn)
    );
  });
}

describe('routing instance: flap damping', () => {
  afterEach(() => vi.useRealTimers());

  it('holds back a flapping route until its penalty decays, and tells the audit log', () => {
    vi.useFakeTimers();
    const audit: PolicyEvent[] = [];
    const rib = createRoutingInstance({
      plane: 'experimental',
      localAsn: LOCAL_AS,
      pools: [parsePrefix('10.128.0.0/10')],
      authorizations: [],
      damping: { halfLifeSeconds: 60, reuseThreshold: 750, suppressThreshold: 2000, maxSuppressSeconds: 240, withdrawalPenalty: 1000, readvertisementPenalty: 0, attributeChangePenalty: 500 },
      audit: (e) => audit.push(e),
    });
    rib.peerUp(peer('lab', 65010, '10.128.0.2'), { session: session(2, { localAddress: parseAddress('10.128.0.1') }), onExportReady: () => {} });
    rib.peerUp(peer('other', 65011, '10.128.0.3'), { session: session(3, { localAddress: parseAddress('10.128.0.1') }), onExportReady: () => {} });
    const flap = (): void => {
      rib.receive('lab', { withdrawn: [], announced: [{ attributes: attrs([65010]), prefixes: [p('10.130.0.0/16')] }] });
      rib.receive('lab', { withdrawn: [p('10.130.0.0/16')], announced: [] });
    };
    flap();
    flap();
    expect(audit).toEqual([]);
    flap(); // third withdrawal: 3000 > 2000
    expect(audit).toEqual([expect.objectContaining({ peer: 'lab', prefix: '10.130.0.0/16', check: 'damping' })]);
    rib.receive('lab', { withdrawn: [], announced: [{ attributes: attrs([65010]), prefixes: [p('10.130.0.0/16')] }] });
    const held = rib.lookup({ prefix: p('10.130.0.0/16') })!;
    expect(held.paths[0]).toMatchObject({ peer: 'lab', suppressed: true, best: false });
    expect(drainAll(rib, 'other').announced.size).toBe(0);
    expect(rib.drainFib()).toBeNull();

    // log2(3000/750) = 2 half-lives of 60 s; the check runs every 10 s.
    vi.advanceTimersByTime(110_000);
    expect(rib.lookup({ prefix: p('10.130.0.0/16') })!.paths[0]!.suppressed).toBe(true);
    vi.advanceTimersByTime(20_000);
    expect(rib.lookup({ prefix: p('10.130.0.0/16') })!.paths[0]).toMatchObject({ suppressed: false, best: true });
    expect([...drainAll(rib, 'other').announced.keys()]).toEqual(['10.130.0.0/16']);
    expect(rib.peerCounters('lab')!.decisions).toMatchObject({ 'damping:suppressed': 1, 'damping:reused': 1, 'import:damped': 1 });
    rib.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
