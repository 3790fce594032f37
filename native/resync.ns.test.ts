import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix } from '../common/prefix.js';
import { FibBatchError, KernelForwardingPlane } from './forwarding-plane.js';
import { Rtnetlink, type Route } from './rtnetlink.js';
import { resyncTable } from './table-sync.js';
import { Lab } from './test-support/netns.js';

const TABLE = 1300;
const PROTOCOL = 201;
const lab = new Lab();
let ns: string;
let rt: Rtnetlink;

beforeAll(() => {
  ns = lab.routedNamespace('s');
  rt = Rtnetlink.open({ netns: ns });
});

afterAll(() => {
  rt?.close();
  lab.cleanup();
});

function ipRoutes(family: '-4' | '-6', table: number): string[] {
  return lab
    .exec(ns, 'ip', [family, 'route', 'show', 'table', String(table)])
    .split('\n')
    .filter(Boolean)
    .sort();
}

describe('full resync of one table', () => {
  it('makes the table match, changes nothing the second time, and never touches foreign routes', async () => {
    lab.exec(ns, 'ip', ['route', 'add', '10.50.0.0/16', 'via', '10.99.0.2', 'table', String(TABLE), 'proto', 'static']);
    lab.exec(ns, 'ip', ['-6', 'route', 'add', '2001:db8:50::/48', 'via', '2001:db8:99::2', 'table', String(TABLE), 'proto', 'boot']);
    // Ours but stale: a resync must remove it.
    lab.exec(ns, 'ip', ['route', 'add', '10.60.0.0/16', 'via', '10.99.0.2', 'table', String(TABLE), 'proto', String(PROTOCOL)]);
    const desired: Route[] = [];
    for (let i = 0; i < 256; i++) desired.push({ prefix: `10.70.${i}.0/24`, gateway: '10.99.0.2' });
    for (let i = 0; i < 100; i++) desired.push({ prefix: `2001:db8:7${(i >> 8).toString(16)}:${(i & 255).toString(16)}::/64`, gateway: '2001:db8:99::2' });
    desired.push({ prefix: '0.0.0.0/0', type: 'unreachable', metric: 4_000_000_000 });

    const first = await resyncTable(rt, desired, { table: TABLE, protocol: PROTOCOL });
    expect(first).toMatchObject({ added: desired.length, replaced: 0, deleted: 1, unchanged: 0, foreign: 2, failed: [] });
    const v4 = ipRoutes('-4', TABLE);
    expect(v4).toContain('10.50.0.0/16 via 10.99.0.2 dev up0 proto static ');
    expect(v4.some((l) => l.startsWith('10.60.0.0/16'))).toBe(false);
    expect(v4.filter((l) => l.includes(`proto ${PROTOCOL}`)).length).toBe(257);
    expect(ipRoutes('-6', TABLE).filter((l) => l.includes('2001:db8:50::/48')).length).toBe(1);

    const second = await resyncTable(rt, desired, { table: TABLE, protocol: PROTOCOL });
    expect(second).toMatchObject({ added: 0, replaced: 0, deleted: 0, unchanged: desired.length, foreign: 2, failed: [] });

    const moved = desired.map((r, i) => (i < 10 ? { ...r, gateway: '10.99.0.3' } : r)).slice(0, 200);
    const third = await resyncTable(rt, moved, { table: TABLE, protocol: PROTOCOL });
    expect(third).toMatchObject({ added: 0, replaced: 10, deleted: desired.length - 200, unchanged: 190, foreign: 2 });
    const after = ipRoutes('-4', TABLE);
    expect(after.filter((l) => l.includes('via 10.99.0.3')).length).toBe(10);
    expect(after).toContain('10.50.0.0/16 via 10.99.0.2 dev up0 proto static ');
    expect(ipRoutes('-6', TABLE).some((l) => l.startsWith('2001:db8:50::/48'))).toBe(true);

    await resyncTable(rt, [], { table: TABLE, protocol: PROTOCOL });
    expect((await rt.listRoutes(TABLE)).map((r) => r.protocol).sort()).toEqual([3, 4]);
  });

  it('reports a desired route that collides with a foreign one instead of overwriting it', async () => {
    const result = await resyncTable(rt, [{ prefix: '10.50.0.0/16', gateway: '10.99.0.3' }], { table: TABLE, protocol: PROTOCOL });
    expect(result.failed.map((f) => [f.route.prefix, f.code])).toEqual([['10.50.0.0/16', 'EEXIST']]);
    expect(ipRoutes('-4', TABLE)).toEqual(['10.50.0.0/16 via 10.99.0.2 dev up0 proto static ']);
  });

  it('serves the route daemon as its ForwardingPlane, one table per plane', async () => {
    const fib = new KernelForwardingPlane(rt, { tables: { production: TABLE, experimental: TABLE + 1 }, protocol: PROTOCOL, metric: 20 });
    const p = (t: string) => parsePrefix(t);
    const a = (t: string) => parseAddress(t);
    await fib.apply('experimental', [
      { kind: 'add', prefix: p('100.96.1.0/24'), nextHop: a('10.99.0.2') },
      { kind: 'add', prefix: p('2001:db8:e::/48'), nextHop: a('2001:db8:99::2') },
    ]);
    await fib.apply('experimental', [
      { kind: 'replace', prefix: p('100.96.1.0/24'), nextHop: a('10.99.0.3') },
      { kind: 'withdraw', prefix: p('2001:db8:e::/48') },
    ]);
    expect(ipRoutes('-4', TABLE + 1)).toEqual([`100.96.1.0/24 via 10.99.0.3 dev up0 proto ${PROTOCOL} metric 20 `]);
    expect(ipRoutes('-6', TABLE + 1)).toEqual([]);
    const refused = fib.apply('experimental', [
      { kind: 'add', prefix: p('100.96.2.0/24'), nextHop: a('192.0.2.200') },
      { kind: 'add', prefix: p('100.96.3.0/24'), nextHop: a('10.99.0.2') },
    ]);
    await expect(refused).rejects.toThrow(FibBatchError);
    await expect(refused).rejects.toThrow(/add 100.96.2.0\/24: .*ENETUNREACH/);
    expect(ipRoutes('-4', TABLE + 1).length).toBe(2);
    await fib.resync('experimental', [{ prefix: p('100.96.9.0/24'), nextHop: a('10.99.0.2') }]);
    expect(ipRoutes('-4', TABLE + 1)).toEqual([`100.96.9.0/24 via 10.99.0.2 dev up0 proto ${PROTOCOL} metric 20 `]);
    expect(ipRoutes('-4', TABLE)).toEqual(['10.50.0.0/16 via 10.99.0.2 dev up0 proto static ']);
  });

  it('sends BGP next hops that are not on a link through the interface the resolver names', async () => {
    const loopbackOfPeer = '192.0.2.99';
    const plain = new KernelForwardingPlane(rt, { tables: { production: TABLE + 2, experimental: TABLE + 3 }, protocol: PROTOCOL });
    const route = { prefix: parsePrefix('100.96.5.0/24'), nextHop: parseAddress(loopbackOfPeer) };
    await expect(plain.resync('production', [route])).rejects.toThrow(/ENETUNREACH/);
    const resolved = new KernelForwardingPlane(rt, {
      tables: { production: TABLE + 2, experimental: TABLE + 3 },
      protocol: PROTOCOL,
      resolveNextHop: (nextHop) => (nextHop === loopbackOfPeer ? { device: 'up0' } : { gateway: nextHop }),
    });
    await resolved.resync('production', [route]);
    await resolved.resync('production', [route]);
    expect(ipRoutes('-4', TABLE + 2)).toEqual([`100.96.5.0/24 dev up0 proto ${PROTOCOL} scope link `]);
    await resolved.apply('production', [{ kind: 'withdraw', prefix: route.prefix }]);
    expect(ipRoutes('-4', TABLE + 2)).toEqual([]);
  });
});
