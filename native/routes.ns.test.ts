import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rtnetlink, type Route, type RouteChange } from './rtnetlink.js';
import { Lab } from './test-support/netns.js';

const TABLE = 1234;
const PROTOCOL = 201;
const lab = new Lab();
let ns: string;
let rt: Rtnetlink;

beforeAll(() => {
  ns = lab.routedNamespace('r');
  rt = Rtnetlink.open({ netns: ns });
});

afterAll(() => {
  rt?.close();
  lab.cleanup();
});

function v4(i: number): string {
  return `10.${128 + (i >> 8)}.${i & 255}.0/24`;
}
function v6(i: number): string {
  return `2001:db8:${(0x1000 + i).toString(16)}::/48`;
}

/** What the kernel has in TABLE, as comparable lines. */
async function kernelTable(): Promise<string[]> {
  const routes = await rt.listRoutes(TABLE);
  return routes.map((r) => `${r.prefix} ${r.metric} ${r.gateway ?? '-'} ${r.device ?? '-'} ${r.protocol}`).sort();
}

function expected(routes: Map<string, Route>): string[] {
  return [...routes.values()]
    .map((r) => {
      const metric = r.metric ?? (r.prefix.includes(':') ? 1024 : 0);
      return `${r.prefix} ${metric} ${r.gateway ?? '-'} ${r.device ?? '-'} ${PROTOCOL}`;
    })
    .sort();
}

describe('route programming over rtnetlink', () => {
  it('installs, replaces and deletes 10,000 mixed IPv4/IPv6 routes, the kernel matching after each step', async () => {
    const want = new Map<string, Route>();
    for (let i = 0; i < 6000; i++) want.set(v4(i), { prefix: v4(i), gateway: '10.99.0.2', device: 'up0', metric: 10 });
    for (let i = 0; i < 4000; i++) want.set(v6(i), { prefix: v6(i), gateway: '2001:db8:99::2', device: 'up0' });
    const added = await rt.applyRoutes(
      [...want.values()].map((route) => ({ op: 'add', route })),
      { table: TABLE, protocol: PROTOCOL },
    );
    expect(added.failed).toEqual([]);
    expect(added.applied).toBe(10_000);
    expect(added.sends).toBe(10);
    expect(await kernelTable()).toEqual(expected(want));

    const replaces: RouteChange[] = [];
    for (const [key, r] of want) {
      if (Number.parseInt(key.split(/[.:]/)[2]!, 16) % 2 === 0) {
        const route: Route = r.prefix.includes(':') ? { prefix: r.prefix, device: 'up0' } : { ...r, gateway: '10.99.0.3' };
        want.set(key, route);
        replaces.push({ op: 'replace', route });
      }
    }
    const replaced = await rt.applyRoutes(replaces, { table: TABLE, protocol: PROTOCOL });
    expect(replaced.failed).toEqual([]);
    expect(replaces.length).toBeGreaterThan(4000);
    expect(await kernelTable()).toEqual(expected(want));

    const deletes: RouteChange[] = [];
    let n = 0;
    for (const [key, route] of want) {
      if (n++ % 3 === 0) {
        deletes.push({ op: 'delete', route });
        want.delete(key);
      }
    }
    const deleted = await rt.applyRoutes(deletes, { table: TABLE, protocol: PROTOCOL });
    expect(deleted.failed).toEqual([]);
    expect(await kernelTable()).toEqual(expected(want));

    const rest = await rt.applyRoutes(
      [...want.values()].map((route) => ({ op: 'delete', route })),
      { table: TABLE, protocol: PROTOCOL },
    );
    expect(rest.failed).toEqual([]);
    expect(await kernelTable()).toEqual([]);
  });

  it('reports a refused route with its errno while the rest of the batch applies', async () => {
    const changes: RouteChange[] = [];
    for (let i = 0; i < 500; i++) changes.push({ op: 'add', route: { prefix: v4(i), gateway: '10.99.0.2' } });
    const unreachable: Route = { prefix: '10.250.0.0/16', gateway: '192.0.2.77' };
    const duplicate: Route = { prefix: v4(7), gateway: '10.99.0.2' };
    changes.splice(250, 0, { op: 'add', route: unreachable });
    changes.push({ op: 'add', route: duplicate });
    const result = await rt.applyRoutes(changes, { table: TABLE, protocol: PROTOCOL });
    expect(result.failed.map((f) => [f.route.prefix, f.code])).toEqual([
      ['10.250.0.0/16', 'ENETUNREACH'],
      [v4(7), 'EEXIST'],
    ]);
    expect(result.failed[0]!.route).toBe(unreachable);
    expect(result.applied).toBe(500);
    const installed = new Set((await rt.listRoutes(TABLE)).map((r) => r.prefix));
    expect(installed.size).toBe(500);
    expect(installed.has('10.250.0.0/16')).toBe(false);
    await rt.applyRoutes(
      changes.filter((c) => c.route !== unreachable && c.route !== duplicate).map((c) => ({ op: 'delete', route: c.route })),
      { table: TABLE, protocol: PROTOCOL },
    );
    expect(await kernelTable()).toEqual([]);
  });

  it('applies batches in call order, even when the caller does not wait for each', async () => {
    const owner = { table: TABLE, protocol: PROTOCOL };
    const pending = [];
    for (let i = 0; i < 40; i++) {
      const prefix = `10.200.${i}.0/24`;
      // Adds naming a device resolve it first: the slower path must not be overtaken.
      const route: Route = i % 2 ? { prefix, gateway: '10.99.0.2', device: 'up0' } : { prefix, gateway: '10.99.0.2' };
      pending.push(rt.applyRoutes([{ op: 'add', route }], owner));
      pending.push(rt.applyRoutes([{ op: 'delete', route: { prefix } }], owner));
    }
    pending.push(rt.applyRoutes([{ op: 'add', route: { prefix: '10.201.0.0/24', device: 'up0' } }], owner));
    const results = await Promise.all(pending);
    expect(results.flatMap((r) => r.failed)).toEqual([]);
    expect(await kernelTable()).toEqual([`10.201.0.0/24 0 - up0 ${PROTOCOL}`]);
    await rt.applyRoutes([{ op: 'delete', route: { prefix: '10.201.0.0/24' } }], owner);
  });

  it('refuses a batch size the send buffer cannot hold, before sending anything', async () => {
    const route = { prefix: '10.210.0.0/24', gateway: '10.99.0.2' };
    await expect(rt.applyRoutes([{ op: 'add', route }], { table: TABLE, protocol: PROTOCOL, perSend: 50_000 })).rejects.toThrow(
      /perSend 50000 is out of range/,
    );
    expect(await kernelTable()).toEqual([]);
  });

  it('never deletes a route with another owner tag', async () => {
    lab.exec(ns, 'ip', ['route', 'add', '10.77.0.0/16', 'via', '10.99.0.2', 'table', String(TABLE), 'proto', 'static']);
    const result = await rt.applyRoutes([{ op: 'delete', route: { prefix: '10.77.0.0/16' } }], {
      table: TABLE,
      protocol: PROTOCOL,
    });
    expect(result.failed.map((f) => f.code)).toEqual(['ESRCH']);
    expect((await rt.listRoutes(TABLE)).map((r) => [r.prefix, r.protocol])).toEqual([['10.77.0.0/16', 4]]);
  });
});
