import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../node/cli/main.js';
import { oneLine } from '../../common/errors.js';
import { formatPrefix, parseAddress, parsePrefix } from '../../common/prefix.js';
import type { RouteAttributes } from '../routing/attributes.js';
import { withPacked, type PeerSettings, type Plane } from '../routing/instance.js';
import { createRoutingInstance, type PlaneInstance } from '../routing/plane-instance.js';
import { RoutedClient } from './client.js';
import type { NeighborSource, NeighborState } from './neighbors.js';
import { startControlServer, type ControlServer } from './server.js';
import { runCli, type CliResult } from '../../common/test-support/run-cli.js';

const LOCAL_AS = 4200000001;

/**
 * The peering layer's side of the control API, reduced to what it reports:
 * sessions brought up on the real routing instances below, and the
 * ROUTE-REFRESH requests it was asked to send.
 */
class Sessions implements NeighborSource {
  readonly states: NeighborState[] = [];
  readonly refreshRequests: string[] = [];

  up(rib: PlaneInstance, settings: PeerSettings): void {
    rib.peerUp(settings, {
      session: { routerId: 0x0a400002, families: ['ipv4-unicast', 'ipv6-unicast'], localAddress: parseAddress('10.64.0.1'), routeRefresh: true },
      onExportReady: () => {},
    });
    this.states.push({
      name: settings.name, plane: rib.plane, address: '10.64.0.2', asn: settings.asn, passive: false, state: 'Established',
      establishedAt: Date.now() - 65_000, routerId: '10.64.0.2', holdTime: 9, families: ['ipv4-unicast'],
      received: { update: 3, keepalive: 10 }, sent: { update: 1 }, prefixes: { rejected: 1 }, flaps: 0,
    });
  }

  listNeighbors(): readonly NeighborState[] {
    return this.states;
  }

  requestRefresh(name: string): void {
    this.refreshRequests.push(name);
  }
}

function attrs(asns: number[], extra: Partial<RouteAttributes> = {}): RouteAttributes {
  return { origin: 'igp', asPath: [{ type: 'sequence', asns }], nextHop: parseAddress('10.64.0.2'), ...extra };
}

let dir: string;
let startedAt: number;
let server: ControlServer;
let client: RoutedClient;
const sessions = new Sessions();
const instances = new Map<Plane, PlaneInstance>();

beforeAll(async () => {
  startedAt = Date.now();
  dir = await mkdtemp(join(tmpdir(), 'routed-control-'));
  for (const plane of ['production', 'experimental'] as const) {
    instances.set(plane, createRoutingInstance({
      plane,
      localAsn: LOCAL_AS,
      pools: plane === 'production' ? [parsePrefix('10.64.0.0/10')] : [parsePrefix('10.128.0.0/10')],
      authorizations: [
        { prefix: parsePrefix('10.64.1.0/24'), maxLength: 24, originAsn: LOCAL_AS, plane: 'production' },
        { prefix: parsePrefix('10.70.0.0/16'), maxLength: 24, originAsn: 65001, plane: 'production' },
      ],
    }));
  }
  const production = instances.get('production')!;
  sessions.up(production, { name: 'garage-b', asn: 65001, address: parseAddress('10.64.0.2') });
  production.receive('garage-b', {
    withdrawn: [],
    announced: [
      { attributes: attrs([65001], { communities: [((65001 << 16) | 100) >>> 0] }), prefixes: ['10.70.0.0/16', '10.70.1.0/24', '10.70.2.0/24'].map((t) => parsePrefix(t)) },
      { attributes: attrs([65001, 65020], { largeCommunities: [[65001, 7, 7]] }), prefixes: ['10.80.0.0/16', '10.81.0.0/16'].map((t) => parsePrefix(t)) },
      // Invalid origin: dropped and counted.
      { attributes: attrs([65001, 65099]), prefixes: [parsePrefix('10.70.9.0/24')] },
    ],
  });
  server = await startControlServer({ instances, neighbors: sessions, localAsn: LOCAL_AS, address: `unix:${join(dir, 'routed.sock')}` });
  client = new RoutedClient({ address: server.address });
});

afterAll(async () => {
  client?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('control API over a unix socket', () => {
  it('keeps the socket private to the daemon user', async () => {
    expect((await stat(join(dir, 'routed.sock'))).mode & 0o777).toBe(0o600);
  });

  it('lists neighbors with session state and the RIB counters', async () => {
    const [n] = await client.listNeighbors();
    expect(n).toMatchObject({
      name: 'garage-b', plane: 'production', state: 'established', asn: 65001, accepted: 5, rejected: 1,
      received: { update: 3, keepalive: 10, open: 0 },
    });
    expect(n!.uptimeSeconds).toBeGreaterThanOrEqual(65);
    expect(n!.decisions['import:rejected:origin-validation']).toBe(1);
    expect(await client.listNeighbors({ plane: 'experimental' })).toEqual([]);
  });

  it('summarizes each plane from counters', async () => {
    const planes = await client.summary();
    expect(planes.find((p) => p.plane === 'production')).toMatchObject({ ipv4Routes: 5, ipv6Routes: 0, paths: 5, attributeSets: 2 });
    expect(planes.find((p) => p.plane === 'experimental')).toMatchObject({ ipv4Routes: 0 });
  });

  it('streams routes a page at a time, resumable, filtered', async () => {
    const pages = [];
    for await (const page of client.listRoutes({ plane: 'production', pageSize: 2 })) pages.push(page);
    expect(pages.map((p) => p.routes.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((p) => p.routes.map((r) => r.prefix)).sort()).toEqual(['10.70.0.0/16', '10.70.1.0/24', '10.70.2.0/24', '10.80.0.0/16', '10.81.0.0/16']);

    const first = [];
    for await (const page of client.listRoutes({ plane: 'production', limit: 3 })) first.push(page);
    expect(first.flatMap((p) => p.routes)).toHaveLength(3);
    const token = first.at(-1)!.nextPageToken;
    expect(token).not.toBe('');
    const rest = [];
    for await (const page of client.listRoutes({ plane: 'production', pageToken: token })) rest.push(...page.routes);
    expect(rest).toHaveLength(2);

    const byCommunity = [];
    for await (const page of client.listRoutes({ plane: 'production', community: '65001:100' })) byCommunity.push(...page.routes.map((r) => r.prefix));
    expect(byCommunity.sort()).toEqual(['10.70.0.0/16', '10.70.1.0/24', '10.70.2.0/24']);
    const byOrigin = [];
    for await (const page of client.listRoutes({ plane: 'production', originAsn: 65020, largeCommunity: '65001:7:7' })) byOrigin.push(...page.routes.map((r) => r.prefix));
    expect(byOrigin.sort()).toEqual(['10.80.0.0/16', '10.81.0.0/16']);

    const listing = async (request: { plane: string; community?: string }): Promise<unknown> => {
      for await (const page of client.listRoutes(request)) void page;
      return 'finished';
    };
    await expect(listing({ plane: 'staging' })).rejects.toThrow('"staging" is not a plane (planes are production and experimental)');
    await expect(listing({ plane: 'production', community: '1:2:3' })).rejects.toThrow(/"1:2:3" is not a community/);
  });

  it('looks up the best route for an address or a prefix, with attributes and validation state', async () => {
    const hit = await client.lookupRoute({ plane: 'production', query: '10.70.1.77' });
    expect(hit.found).toBe(true);
    expect(hit.route).toMatchObject({ prefix: '10.70.1.0/24', decidedBy: 'only-route' });
    expect(hit.route!.paths[0]).toMatchObject({
      peer: 'garage-b', best: true, validation: 'valid', nextHop: '10.64.0.2', communities: ['65001:100'], originAsn: 65001, hasLocalPref: true, localPref: 100,
    });
    expect((await client.lookupRoute({ plane: 'production', query: '10.70.5.0/24' })).route!.prefix).toBe('10.70.0.0/16');
    expect((await client.lookupRoute({ plane: 'production', query: '10.70.5.0/24', exact: true })).found).toBe(false);
    expect((await client.lookupRoute({ plane: 'experimental', query: '10.70.1.77' })).found).toBe(false);
    await expect(client.lookupRoute({ plane: 'staging', query: '10.70.1.77' })).rejects.toThrow('"staging" is not a plane (planes are production and experimental)');
    await expect(client.lookupRoute({ plane: 'production', query: '10.70.1' })).rejects.toThrow(/"10\.70\.1" is not an IPv4 or IPv6 address/);
  });

  it('lists the recent best-route changes, newest first', async () => {
    const changes = await client.routeChanges({ plane: 'production', limit: 2 });
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({ kind: 'announce', prefix: '10.81.0.0/16', peer: 'garage-b', nextHop: '10.64.0.2', asPath: [{ type: 'sequence', asns: [65001, 65020] }] });
    expect(changes[0]!.timeUnixMs).toBeGreaterThanOrEqual(startedAt);
    expect((await client.routeChanges({ plane: 'production' })).map((c) => c.prefix)).toEqual(['10.81.0.0/16', '10.80.0.0/16', '10.70.2.0/24', '10.70.1.0/24', '10.70.0.0/16']);
  });

  it('announces and withdraws an authorized local prefix, and refuses others naming the prefix', async () => {
    const production = instances.get('production')!;
    await client.announce({ plane: 'production', prefix: '10.64.1.0/24', communities: ['4200:1'] });
    const local = await client.lookupRoute({ plane: 'production', query: '10.64.1.0/24', exact: true });
    expect(local.route!.paths[0]).toMatchObject({ peer: 'local', validation: 'valid', communities: ['4200:1'], nextHop: '' });
    // The peer hears about it with our AS as the path.
    const sent = [];
    for (let batch; (batch = production.drainExport('garage-b')); ) sent.push(...batch.announced);
    expect(sent.find((g) => withPacked(g.prefixes, g.ipv4).some((p) => formatPrefix(p) === '10.64.1.0/24'))!.attributes.asPath).toEqual([{ type: 'sequence', asns: [LOCAL_AS] }]);
    await expect(client.announce({ plane: 'production', prefix: '10.64.2.0/24' })).rejects.toThrow(/10\.64\.2\.0\/24 cannot be announced in the production plane: no route authorization for AS4200000001/);
    await expect(client.announce({ plane: 'production', prefix: '10.64.1.0/24', communities: ['x'] })).rejects.toThrow(/"x" is not a community/);
    expect(await client.withdraw({ plane: 'production', prefix: '10.64.1.0/24' })).toBe(true);
    expect(await client.withdraw({ plane: 'production', prefix: '10.64.1.0/24' })).toBe(false);
  });

  it('soft-resets a session: inbound through the peering layer, outbound through the RIB', async () => {
    const production = instances.get('production')!;
    production.receive('garage-b', { withdrawn: [], announced: [] });
    while (production.drainExport('garage-b')) { /* settle the Adj-RIB-Out */ }
    await client.softReset({ neighbor: 'garage-b', direction: 'in' });
    expect(sessions.refreshRequests).toEqual(['garage-b']);
    expect(production.drainExport('garage-b')).toBeNull();
    await client.softReset({ neighbor: 'garage-b', direction: 'out' });
    expect(sessions.refreshRequests).toEqual(['garage-b']);
    expect(production.peerCounters('garage-b')!.decisions['export:refresh']).toBe(1);
    await expect(client.softReset({ neighbor: 'nobody' })).rejects.toThrow('no neighbor named "nobody"');
  });

  it('refuses to take over the socket of a running daemon, and replaces a stale one', async () => {
    const address = `unix:${join(dir, 'routed.sock')}`;
    await expect(startControlServer({ instances, neighbors: sessions, localAsn: LOCAL_AS, address })).rejects.toThrow(/another process is listening on .*routed\.sock/);
    const stalePath = join(dir, 'nested', 'stale.sock');
    const first = await startControlServer({ instances, neighbors: sessions, localAsn: LOCAL_AS, address: `unix:${stalePath}` });
    await first.close();
    await writeFile(stalePath, '');
    const second = await startControlServer({ instances, neighbors: sessions, localAsn: LOCAL_AS, address: `unix:${stalePath}` });
    const probe = new RoutedClient({ address: second.address });
    try {
      expect((await probe.summary()).length).toBe(2);
    } finally {
      probe.close();
      await second.close();
    }
    await expect(startControlServer({ instances, neighbors: sessions, localAsn: LOCAL_AS, address: '0.0.0.0:0' })).rejects.toThrow(/is not on loopback/);
  });

  it('says plainly when the daemon is not there', async () => {
    const absent = new RoutedClient({ address: `unix:${join(dir, 'absent.sock')}`, timeoutMs: 2000 });
    try {
      const err = await absent.summary().catch((e: unknown) => e);
      expect(oneLine(err)).toMatch(/^cannot reach the route daemon at unix:.*absent\.sock \(is it running\?/);
    } finally {
      absent.close();
    }
  });
});

describe('garagenet bgp (CLI over the same socket)', () => {
  function run(...args: string[]): Promise<CliResult> {
    return runCli(buildProgram().exitOverride(), ['bgp', '--socket', server.address, ...args]);
  }

  it('neighbors prints a table, and --json the API shape', async () => {
    const table = await run('neighbors');
    expect(table.out.split('\n')[0]).toMatch(/^NAME\s+PLANE\s+ADDRESS\s+ASN\s+STATE\s+UP\s+ACCEPTED\s+ADVERTISED\s+STALE$/);
    expect(table.out).toMatch(/garage-b\s+production\s+10\.64\.0\.2\s+65001\s+established\s+\d+m\d+s\s+5\s+/);
    const json = JSON.parse((await run('neighbors', '--json')).out) as { name: string; accepted: number }[];
    expect(json.map((n) => [n.name, n.accepted])).toEqual([['garage-b', 5]]);
  });

  it('routes looks up an address, lists with filters, and fails with one line', async () => {
    const one = await run('routes', '10.80.3.4');
    expect(one.out).toMatch(/10\.80\.0\.0\/16\s+\*>\s+10\.64\.0\.2\s+garage-b\s+65001 65020\s+igp\s+not-found\s+65001:7:7/);
    const listed = JSON.parse((await run('routes', '--community', '65001:100', '--json')).out) as { prefix: string }[];
    expect(listed.map((r) => r.prefix).sort()).toEqual(['10.70.0.0/16', '10.70.1.0/24', '10.70.2.0/24']);
    const missing = await run('routes', '10.99.0.1');
    expect([missing.out, missing.code]).toEqual(['no route for 10.99.0.1 in the production plane\n', 1]);
    const bad = await run('routes', '--plane', 'experimental', 'nonsense');
    expect(bad.err).toBe('garagenet: "nonsense" is not an IPv4 or IPv6 address (write it like 192.0.2.1 or 2001:db8::1)\n');
    expect(bad.code).toBe(1);
  });

  it('summary and soft-reset print what they did', async () => {
    expect((await run('summary')).out).toMatch(/^PLANE\s+IPV4\s+IPV6\s+PATHS\s+ATTRIBUTE SETS\nproduction\s+5\s+0\s+5\s+\d+\nexperimental\s+0\s+0\s+0\s+0\n$/);
    expect((await run('soft-reset', 'garage-b', '--direction', 'out')).out).toBe('soft reset (out) sent to garage-b\n');
    const unknown = await run('soft-reset', 'nobody');
    expect([unknown.err, unknown.code]).toEqual(['garagenet: no neighbor named "nobody"\n', 1]);
  });

  it('changes prints the newest best-route changes', async () => {
    const out = (await run('changes', '--limit', '2')).out.split('\n');
    expect(out[0]).toMatch(/^TIME\s+KIND\s+PREFIX\s+PEER\s+NEXT HOP\s+AS PATH$/);
    expect(out).toHaveLength(4);
    expect(JSON.parse((await run('changes', '--json', '--limit', '1')).out)).toHaveLength(1);
  });

  it('announce and withdraw report what they did', async () => {
    expect((await run('announce', '10.64.1.0/24')).out).toBe('announced 10.64.1.0/24 in the production plane\n');
    expect((await run('withdraw', '10.64.1.0/24')).out).toBe('withdrew 10.64.1.0/24 from the production plane\n');
    const again = await run('withdraw', '10.64.1.0/24');
    expect(again.err).toMatch(/^garagenet: 10\.64\.1\.0\/24 was not announced in the production plane/);
  });
});
