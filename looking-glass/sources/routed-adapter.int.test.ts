import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix } from '../../common/prefix.js';
import { RoutedClient } from '../../route-daemon/control/client.js';
import type { NeighborSource, NeighborState } from '../../route-daemon/control/neighbors.js';
import { startControlServer, type ControlServer } from '../../route-daemon/control/server.js';
import type { RouteAttributes } from '../../route-daemon/routing/attributes.js';
import type { Plane } from '../../route-daemon/routing/instance.js';
import { createRoutingInstance, type PlaneInstance } from '../../route-daemon/routing/plane-instance.js';
import { createLookingGlass, type LookingGlass } from '../server/server.js';
import { AGENT_NOT_GIVEN, RouteDaemonControlSource } from './routed-adapter.js';
import type { RegistryView } from './types.js';

// The looking glass reading a real route daemon's routing instances through
// its real gRPC control API on a unix socket. The sessions are reported by a
// stand-in for the peering layer (as in the daemon's own control test); the
// routes went through the daemon's real import policy and decision process.

const LOCAL_AS = 4200000001;
const PEER_AS = 65001;

class Sessions implements NeighborSource {
  readonly states: NeighborState[] = [];
  listNeighbors(): readonly NeighborState[] {
    return this.states;
  }
  requestRefresh(): void {}
}

const attrs = (asns: number[], extra: Partial<RouteAttributes> = {}): RouteAttributes =>
  ({ origin: 'igp', asPath: [{ type: 'sequence', asns }], nextHop: parseAddress('10.64.0.2'), ...extra });

const registry: RegistryView = {
  meshName: 'routed test', generatedAt: new Date().toISOString(),
  pools: [{ plane: 'production', prefix: '10.64.0.0/10' }, { plane: 'experimental', prefix: '10.128.0.0/10' }],
  organizations: [{ name: 'uni-a', description: 'University A' }],
  nodes: [{
    name: 'garage-a', organization: 'uni-a', asn: LOCAL_AS, wireguardPublicKey: 'k', loopbacks: { production: '10.64.0.1', experimental: '10.128.0.1' },
    endpoints: [], endpointPublic: false, online: true,
  }],
  allocations: [], authorizations: [], experiments: [],
};

let dir: string;
let server: ControlServer;
let client: RoutedClient;
let lg: LookingGlass;
let base: string;

async function get(path: string): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path);
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lg-routed-'));
  const instances = new Map<Plane, PlaneInstance>();
  for (const plane of ['production', 'experimental'] as const) {
    instances.set(plane, createRoutingInstance({
      plane, localAsn: LOCAL_AS,
      pools: plane === 'production' ? [parsePrefix('10.64.0.0/10')] : [parsePrefix('10.128.0.0/10')],
      authorizations: [{ prefix: parsePrefix('10.70.0.0/16'), maxLength: 24, originAsn: PEER_AS, plane: 'production' }],
    }));
  }
  const production = instances.get('production')!;
  const sessions = new Sessions();
  production.peerUp({ name: 'garage-b', asn: PEER_AS, address: parseAddress('10.64.0.2') }, {
    session: { routerId: 0x0a400002, families: ['ipv4-unicast'], localAddress: parseAddress('10.64.0.1'), routeRefresh: true },
    onExportReady: () => {},
  });
  sessions.states.push({
    name: 'garage-b', plane: 'production', address: '10.64.0.2', asn: PEER_AS, passive: false, state: 'established',
    establishedAt: Date.now() - 125_000, holdTime: 9, families: ['ipv4-unicast'], received: {}, sent: {}, prefixes: { rejected: 1 }, flaps: 0,
  });
  production.receive('garage-b', {
    withdrawn: [],
    announced: [
      { attributes: attrs([PEER_AS], { communities: [((PEER_AS << 16) | 100) >>> 0] }), prefixes: ['10.70.0.0/16', '10.70.1.0/24', '10.70.2.0/24'].map((t) => parsePrefix(t)) },
      { attributes: attrs([PEER_AS, 65020], { largeCommunities: [[PEER_AS, 7, 7]] }), prefixes: ['10.80.0.0/16', '10.81.0.0/16'].map((t) => parsePrefix(t)) },
      // Not authorized for this origin: the daemon's import policy drops it.
      { attributes: attrs([PEER_AS, 65099]), prefixes: [parsePrefix('10.70.9.0/24')] },
    ],
  });
  server = await startControlServer({ instances, neighbors: sessions, localAsn: LOCAL_AS, address: `unix:${join(dir, 'routed.sock')}` });
  client = new RoutedClient({ address: server.address, timeoutMs: 5000 });
  lg = createLookingGlass({
    source: {
      registry: { publicView: async () => registry },
      node: (name) => (name === 'garage-a' ? { routeDaemon: new RouteDaemonControlSource(client, { node: 'garage-a' }), agent: AGENT_NOT_GIVEN } : undefined),
    },
    communities: { communities: { '65001:100': 'learned from garage-b' }, largeCommunities: {} },
    rateLimit: { burst: 10_000, perSecond: 10_000 },
  });
  base = await lg.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await lg?.close();
  client?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the looking glass on a real route daemon control API', () => {
  it('shows the sessions with state, uptime and prefix counts', async () => {
    const { status, json } = await get('/api/v1/nodes/garage-a/sessions');
    expect(status).toBe(200);
    expect(json.sessions).toEqual([{
      plane: 'production', neighbor: 'garage-b', neighborAddress: '10.64.0.2', neighborAsn: PEER_AS, state: 'established',
      since: expect.any(String), prefixesReceived: 6, prefixesAccepted: 5, prefixesAdvertised: expect.any(Number),
    }]);
    expect(Date.now() - Date.parse(json.sessions[0].since)).toBeGreaterThanOrEqual(125_000);
  });

  it('looks up an address: the best route with AS path, next hop, decoded community and validation', async () => {
    const { json } = await get('/api/v1/lookup?plane=production&target=10.70.1.77&node=garage-a');
    expect(json.results[0].routes).toEqual([expect.objectContaining({
      prefix: '10.70.1.0/24', best: true, neighbor: 'garage-b', nextHop: '10.64.0.2', asPath: [PEER_AS], validation: 'valid',
      communities: [{ value: '65001:100', meaning: 'learned from garage-b' }],
    })]);
    const miss = await get('/api/v1/lookup?plane=experimental&target=10.70.1.77&node=garage-a');
    expect(miss.json.results[0].routes).toEqual([]);
  });

  it('lists routes by community, large community, origin AS and neighbor, and says when the list is cut', async () => {
    const q = '/api/v1/routes?plane=production&node=garage-a';
    const prefixes = async (filter: string): Promise<string[]> => (await get(`${q}&${filter}`)).json.routes.map((r: any) => r.prefix).sort();
    expect(await prefixes('community=65001:100')).toEqual(['10.70.0.0/16', '10.70.1.0/24', '10.70.2.0/24']);
    expect(await prefixes('largeCommunity=65001:7:7')).toEqual(['10.80.0.0/16', '10.81.0.0/16']);
    expect(await prefixes('originAsn=65020')).toEqual(['10.80.0.0/16', '10.81.0.0/16']);
    expect(await prefixes('neighbor=garage-b')).toHaveLength(5);
    const cut = await get(`${q}&neighbor=garage-b&limit=2`);
    expect(cut.json).toMatchObject({ truncated: true, routes: { length: 2 } });
  });

  it('draws the AS paths toward a prefix', async () => {
    const { json } = await get('/api/v1/as-paths?plane=production&target=10.80.0.0/16');
    expect(json.graph.edges).toEqual([
      { from: LOCAL_AS, to: PEER_AS, paths: 1, best: true },
      { from: PEER_AS, to: 65020, paths: 1, best: true },
    ]);
  });

  it('shows the daemon\'s recent route changes (ListRouteChanges), newest first, with the node and AS path', async () => {
    const { status, json } = await get('/api/v1/changes?node=garage-a');
    expect(status).toBe(200);
    expect(json.withoutChangeLog).toEqual([]);
    expect(json.changes.map((c: { prefix: string }) => c.prefix).sort()).toEqual(['10.70.0.0/16', '10.70.1.0/24', '10.70.2.0/24', '10.80.0.0/16', '10.81.0.0/16']);
    for (const c of json.changes) {
      expect(c).toMatchObject({ node: 'garage-a', plane: 'production', kind: 'announce', neighbor: 'garage-b' });
      expect(c.asPath[0]).toBe(PEER_AS);
    }
    const times = json.changes.map((c: { time: string }) => c.time);
    expect([...times].sort().reverse()).toEqual(times);
    expect((await get('/api/v1/changes?node=garage-a&plane=experimental')).json.changes).toEqual([]);
  });

  it('says plainly that it was given no agent for the node', async () => {
    const fib = await get('/api/v1/nodes/garage-a/rib-fib?plane=production');
    expect(fib.status).toBe(501);
    expect(fib.json.error.message).toBe('node garage-a: the looking glass was given no agent API address for this node, so it cannot compare its kernel tables');
    const ping = await get('/api/v1/ping?node=garage-a&plane=production&target=10.64.0.2');
    expect(ping.status).toBe(501);
    const mesh = await get('/api/v1/mesh');
    expect(mesh.json.nodes[0].reporting).toBe(true);
  });
});
