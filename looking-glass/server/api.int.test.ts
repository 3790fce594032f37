import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSampleMesh, MESH_COMMUNITIES, MESH_LARGE_COMMUNITIES } from '../sources/in-process/sample-mesh.js';
import type { InProcessMesh } from '../sources/in-process/in-process-mesh.js';
import { BusyError, RefusedError, type MeshSource } from '../sources/source.js';
import { ENDPOINTS } from './api.js';
import { createLookingGlass, type LookingGlass } from './server.js';

// Values planted in the sources that must never reach any response.
const SECRETS = {
  privateKey: 'PLANTED-PRIVATE-KEY-qY3bV0aZ1',
  credential: 'PLANTED-NODE-CREDENTIAL-7hT2',
  invitation: 'PLANTED-INVITATION-SECRET-9xK4',
  bgpPassword: 'PLANTED-BGP-MD5-PASSWORD-3mN8',
  presharedKey: 'PLANTED-WG-PRESHARED-KEY-5pL1',
  probeRaw: 'PLANTED-PROBE-RAW-OUTPUT-2wE6',
  experimentToken: 'PLANTED-EXPERIMENT-TOKEN-8rU0',
};

/** The sample mesh with secrets planted where a careless source might carry them along. */
function meshWithSecrets(): InProcessMesh {
  const mesh = buildSampleMesh();
  const view = mesh.registryView();
  mesh.setRegistryView({
    ...view,
    nodes: view.nodes.map((n) => ({ ...n, privateKey: SECRETS.privateKey, credential: SECRETS.credential })),
    experiments: view.experiments.map((e) => ({ ...e, token: SECRETS.experimentToken, limits: { ...e.limits, token: SECRETS.experimentToken } })),
    invitations: [{ secret: SECRETS.invitation, organization: 'aalto' }],
  } as typeof view);
  for (const node of mesh.nodes.values()) {
    node.sessions.splice(0, node.sessions.length, ...node.sessions.map((s) => ({ ...s, password: SECRETS.bgpPassword })));
    node.tunnels.splice(0, node.tunnels.length, ...node.tunnels.map((t) => ({ ...t, presharedKey: SECRETS.presharedKey })));
  }
  return mesh;
}

const dictionary = { communities: MESH_COMMUNITIES, largeCommunities: MESH_LARGE_COMMUNITIES };
let mesh: InProcessMesh;
let lg: LookingGlass;
let base: string;
const bodies: string[] = [];

async function get(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const res = await fetch(base + path, init);
  const text = await res.text();
  bodies.push(text);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

beforeAll(async () => {
  mesh = meshWithSecrets();
  // The probe result carries a raw field too, as an agent's might.
  const source: MeshSource = {
    registry: mesh.registry,
    node: (name) => {
      const n = mesh.node(name);
      return n && { routeDaemon: n.routeDaemon, agent: { ...n.agent, probe: async (r) => ({ ...(await n.agent.probe(r)), raw: SECRETS.probeRaw }) } };
    },
  };
  lg = createLookingGlass({ source, communities: dictionary, rateLimit: { burst: 100_000, perSecond: 100_000 }, cache: { refreshIntervalMs: 60_000 } });
  base = await lg.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await lg?.close();
});

describe('headers', () => {
  it('sets a strict CSP and the other safe headers on pages, API answers and errors', async () => {
    for (const path of ['/', '/api/v1/mesh', '/api/v1/lookup?plane=nope', '/no-such-page']) {
      const { headers } = await get(path);
      const csp = headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('serves the page without inline scripts, inline styles or event handlers', async () => {
    const { status, text, headers } = await get('/');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/html/);
    expect(text).toMatch(/<script type="module" src="[^"]+"><\/script>/);
    expect(text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(text).not.toMatch(/\son[a-z]+=/i);
    expect(text).not.toMatch(/\sstyle=/i);
  });

  it('answers 400 to a request target that is not a URL, and keeps serving', async () => {
    const { port } = lg.server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end('GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('the request target is not a valid URL path');
    expect((await get('/api/v1/mesh')).status).toBe(200);
  });

  it('answers 405 to anything but GET and HEAD', async () => {
    const res = await get('/api/v1/mesh', { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(res.json.error.message).toMatch(/read-only/);
  });
});

describe('mesh, members, nodes', () => {
  it('draws tunnels from both ends: down to the offline garage, none between the two NATed garages', async () => {
    const { status, json } = await get('/api/v1/mesh');
    expect(status).toBe(200);
    expect(json.nodes).toHaveLength(6);
    expect(json.nodes.find((n: any) => n.name === 'freiburg-garage')).toMatchObject({ online: false, reporting: false });
    const link = (a: string, b: string) => json.links.find((l: any) => (l.a === a && l.b === b) || (l.a === b && l.b === a));
    expect(link('delft-shed', 'eindhoven-lab')).toBeUndefined();
    expect(link('aalto-garage', 'freiburg-garage').state).toBe('down');
    const up = link('aalto-garage', 'bergen-lab');
    expect(up.state).toBe('up');
    expect(up.reportedBy.sort()).toEqual(['aalto-garage', 'bergen-lab']);
    expect(up.latencyMs).toBeGreaterThan(0);
    expect(json.links.some((l: any) => l.loss > 0 && l.loss < 1)).toBe(true);
  });

  it('lists members with allocations and authorizations, and an endpoint only where it is public', async () => {
    const { json } = await get('/api/v1/members');
    expect(json.organizations.find((o: any) => o.name === 'aalto').nodes).toEqual(['aalto-garage']);
    expect(json.allocations.some((a: any) => a.purpose === 'experiment' && a.holder.name === 'anycast-study')).toBe(true);
    expect(json.authorizations.length).toBeGreaterThan(0);
    const view = mesh.registryView();
    for (const node of json.nodes) {
      const source = view.nodes.find((n) => n.name === node.name)!;
      expect(node.endpoints).toEqual(source.endpointPublic ? source.endpoints : []);
    }
    expect(json.nodes.some((n: any) => n.endpoints.length > 0)).toBe(true);
  });

  it('lists nodes with session counts, and one node with sessions and tunnels', async () => {
    const list = await get('/api/v1/nodes');
    const aalto = list.json.nodes.find((n: any) => n.name === 'aalto-garage');
    expect(aalto.sessions.experimental.total).toBe(aalto.sessions.production.total + 1);
    const one = await get('/api/v1/nodes/aalto-garage');
    expect(one.json.sessions.length).toBe(aalto.sessions.production.total + aalto.sessions.experimental.total);
    expect(one.json.tunnels.find((t: any) => t.peer === 'freiburg-garage').state).toBe('down');
  });

  it('lists sessions per plane with state and prefix counts', async () => {
    const { json } = await get('/api/v1/nodes/aalto-garage/sessions?plane=experimental');
    expect(json.sessions.every((s: any) => s.plane === 'experimental')).toBe(true);
    const researcher = json.sessions.find((s: any) => s.neighbor === 'anycast-study-r1');
    expect(researcher).toMatchObject({ state: 'established', prefixesReceived: 4, prefixesAccepted: 2 });
    expect(json.sessions.find((s: any) => s.neighbor === 'freiburg-garage').state).toBe('active');
  });

  it('answers 404 for an unknown node and 400 for a malformed name or plane', async () => {
    const unknown = await get('/api/v1/nodes/nowhere-garage/sessions');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ field: 'node', message: 'no node named "nowhere-garage"' });
    const malformed = await get('/api/v1/nodes/Bad%20Name!/sessions');
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.field).toBe('node');
    const plane = await get('/api/v1/nodes/aalto-garage/sessions?plane=transit');
    expect(plane.status).toBe(400);
    expect(plane.json.error).toMatchObject({ field: 'plane', hint: 'use one of production, experimental' });
  });

  it('answers 503 for the sessions of a node that does not answer', async () => {
    const { status, json } = await get('/api/v1/nodes/freiburg-garage/sessions');
    expect(status).toBe(503);
    expect(json.error.message).toMatch(/no fresh data from node freiburg-garage/);
  });
});

describe('routes', () => {
  it('looks up an address at one node: every path, best first, communities decoded, validation state', async () => {
    const { status, json } = await get('/api/v1/lookup?plane=production&target=10.97.5.77&node=delft-shed');
    expect(status).toBe(200);
    const [result] = json.results;
    expect(result.node).toBe('delft-shed');
    expect(result.routes.length).toBeGreaterThan(1);
    expect(result.routes[0]).toMatchObject({ prefix: '10.97.5.0/24', best: true, validation: 'valid' });
    expect(result.routes.slice(1).every((r: any) => !r.best)).toBe(true);
    expect(result.routes[0].asPath.at(-1)).toBe(4200000105);
    expect(result.routes[0].communities).toEqual([{ value: '64512:200', meaning: 'garage LAN' }]);
    expect(result.routes[0].largeCommunities[0].meaning).toBe('originated in the Netherlands');
  });

  it('looks up a prefix at every node, with an error entry for the one that does not answer', async () => {
    const { json } = await get('/api/v1/lookup?plane=experimental&target=10.200.1.0/24');
    expect(json.results).toHaveLength(6);
    expect(json.results.find((r: any) => r.node === 'freiburg-garage')).toEqual({ node: 'freiburg-garage', error: 'node freiburg-garage did not answer' });
    const aalto = json.results.find((r: any) => r.node === 'aalto-garage');
    expect(aalto.routes[0]).toMatchObject({ neighbor: 'anycast-study-r1', asPath: [4200100001], validation: 'valid' });
  });

  it('shows a route in the wrong plane as absent, never crossing planes', async () => {
    const { json } = await get('/api/v1/lookup?plane=experimental&target=10.97.5.1&node=aalto-garage');
    expect(json.results[0].routes).toEqual([]);
  });

  it.each([
    ['/api/v1/lookup?target=10.97.5.1', 'plane', /is required/],
    ['/api/v1/lookup?plane=production', 'target', /is required/],
    ['/api/v1/lookup?plane=production&target=10.97.5.256', 'target', /not an IPv4 or IPv6 address/],
    ['/api/v1/lookup?plane=production&target=10.97.5.1/24', 'target', /host bits set/],
    ['/api/v1/lookup?plane=production&target=10.97.5.0/33', 'target', /invalid prefix length/],
    ['/api/v1/lookup?plane=production&target=10.97.5.1&node=..%2Fetc', 'node', /not a valid name/],
    ['/api/v1/lookup?plane=production&target=10.97.5.1&verbose=1', 'verbose', /unknown query parameter/],
    ['/api/v1/lookup?plane=production&plane=experimental&target=10.97.5.1', 'plane', /more than once/],
    ['/api/v1/routes?plane=production&node=aalto-garage&originAsn=AS99999999999', 'originAsn', /not an AS number/],
    ['/api/v1/routes?plane=production&node=aalto-garage&community=65536:1', 'community', /not a community/],
    ['/api/v1/routes?plane=production&node=aalto-garage&largeCommunity=1:2', 'largeCommunity', /not a large community/],
    ['/api/v1/routes?plane=production&node=aalto-garage&originAsn=1&limit=0', 'limit', /not a limit/],
    ['/api/v1/routes?plane=production&node=aalto-garage', 'neighbor', /no route filter given/],
    ['/api/v1/routes?plane=production&node=aalto-garage&originAsn=1&community=1:1', 'neighbor', /more than one route filter/],
    ['/api/v1/as-paths?plane=production&target=banana', 'target', /not an IPv4 or IPv6 address/],
    ['/api/v1/nodes/aalto-garage/rib-fib', 'plane', /is required/],
    ['/api/v1/changes?limit=100000', 'limit', /not a limit/],
    ['/api/v1/ping?node=aalto-garage&plane=production&target=10.96.0.0/24', 'target', /not an IPv4 or IPv6 address/],
    ['/api/v1/ping?node=aalto-garage&plane=production&target=192.0.2.1', 'target', /not a production address of this mesh/],
    ['/api/v1/traceroute?node=aalto-garage&plane=experimental&target=10.96.0.2', 'target', /not a experimental address of this mesh/],
    ['/api/v1/mesh?x=1', 'x', /unknown query parameter/],
  ])('answers 400 to %s, naming %s', async (path, field, message) => {
    const { status, json } = await get(path);
    expect(status).toBe(400);
    expect(json.error.field).toBe(field);
    expect(json.error.message).toMatch(message);
    expect(typeof json.error.hint).toBe('string');
  });

  it('lists routes from a neighbor, by origin AS, by community and by large community', async () => {
    const q = '/api/v1/routes?plane=production&node=aalto-garage';
    const neighbor = await get(`${q}&neighbor=bergen-lab`);
    expect(neighbor.json.routes.length).toBeGreaterThan(0);
    expect(neighbor.json.routes.every((r: any) => r.neighbor === 'bergen-lab')).toBe(true);
    const origin = await get(`${q}&originAsn=AS4200000105`);
    expect(origin.json.routes.length).toBeGreaterThan(0);
    expect(origin.json.routes.every((r: any) => r.asPath.at(-1) === 4200000105)).toBe(true);
    expect(origin.json.routes.filter((r: any) => r.best)).toHaveLength(2);
    const community = await get(`${q}&community=64512:300`);
    expect(community.json.routes.every((r: any) => r.communities.some((c: any) => c.value === '64512:300'))).toBe(true);
    const large = await get(`${q}&largeCommunity=4200000000:1:2&limit=1`);
    expect(large.json.routes).toHaveLength(1);
    expect(large.json.truncated).toBe(true);
    expect(large.json.routes[0].largeCommunities[0].value).toBe('4200000000:1:2');
  });

  it('draws the AS paths toward a prefix as a graph ending at the origin', async () => {
    const { json } = await get('/api/v1/as-paths?plane=experimental&target=10.200.0.5');
    expect(json.prefixes).toEqual(['10.200.0.0/24']);
    const origin = json.graph.vertices.filter((v: any) => v.origin);
    expect(origin).toEqual([{ asn: 4200100001, label: 'experiment anycast-study', origin: true, viewpoint: false }]);
    expect(json.graph.edges.find((e: any) => e.from === 4200000101 && e.to === 4200100001).best).toBe(true);
    expect(json.graph.edges.find((e: any) => e.from === 4200000104 && e.to === 4200000101).best).toBe(true);
  });

  it('compares RIB and FIB: one node agrees, one lists its differences', async () => {
    const good = await get('/api/v1/nodes/aalto-garage/rib-fib?plane=production');
    expect(good.json).toMatchObject({ agrees: true, counts: { missingFromFib: 0, extraInFib: 0, nextHopMismatch: 0 } });
    const bad = await get('/api/v1/nodes/bergen-lab/rib-fib?plane=production');
    expect(bad.json.agrees).toBe(false);
    expect(bad.json.missingFromFib).toEqual([{ prefix: '10.97.4.0/24', ribNextHop: '10.96.0.4' }]);
    expect(bad.json.extraInFib).toEqual([{ prefix: '10.97.99.0/24', fibNextHop: '10.96.0.3' }]);
  });

  it('lists recent changes newest first, filtered by plane and node', async () => {
    const all = await get('/api/v1/changes?limit=50');
    const times = all.json.changes.map((c: any) => c.time);
    expect(times).toEqual([...times].sort().reverse());
    expect(all.json.changes.some((c: any) => c.kind === 'withdraw')).toBe(true);
    const exp = await get('/api/v1/changes?plane=experimental&node=aalto-garage');
    expect(exp.json.changes).toEqual([expect.objectContaining({ prefix: '10.200.1.0/24', kind: 'announce', neighbor: 'anycast-study-r1' })]);
    expect(exp.json.withoutChangeLog).toEqual([]);
    // An offline node gave no log: it is named, not taken for a quiet one.
    const offline = await get('/api/v1/changes?node=freiburg-garage');
    expect(offline.json).toMatchObject({ changes: [], withoutChangeLog: ['freiburg-garage'] });
  });
});

describe('experiments and probes', () => {
  it('lists experiments with limits and audit log, and finds one by name', async () => {
    const { json } = await get('/api/v1/experiments');
    expect(json.experiments.map((e: any) => e.state)).toEqual(['active', 'suspended']);
    const one = await get('/api/v1/experiments/anycast-study');
    expect(one.json.limits.maxPrefixes).toBe(8);
    expect(one.json.audit.map((a: any) => a.kind)).toEqual(['unauthorized-prefix', 'as-path-too-long']);
    expect((await get('/api/v1/experiments/no-such-experiment')).status).toBe(404);
  });

  it('pings and traceroutes a mesh address through the mesh', async () => {
    const ping = await get('/api/v1/ping?node=delft-shed&plane=production&target=10.97.5.1');
    expect(ping.status).toBe(200);
    expect(ping.json.result).toMatchObject({ kind: 'ping', sent: 3, received: 3 });
    const trace = await get('/api/v1/traceroute?node=delft-shed&plane=production&target=10.97.5.1');
    expect(trace.json.result.reached).toBe(true);
    expect(trace.json.result.hops.map((h: any) => h.node)).toEqual(['aalto-garage', 'eindhoven-lab']);
  });

  it('runs at most two probes at once across all clients, and 503s the third with Retry-After', async () => {
    const held = buildSampleMesh();
    const release: (() => void)[] = [];
    const source: MeshSource = {
      registry: held.registry,
      node: (name) => {
        const n = held.node(name);
        return n && { routeDaemon: n.routeDaemon, agent: { ...n.agent, probe: async (r) => { await new Promise<void>((done) => release.push(done)); return n.agent.probe(r); } } };
      },
    };
    const gated = createLookingGlass({ source, maxConcurrentProbes: 2, rateLimit: { burst: 1000, perSecond: 1000 } });
    const url = await gated.listen({ port: 0, host: '127.0.0.1' });
    try {
      const probe = (target: string) => fetch(`${url}/api/v1/ping?node=aalto-garage&plane=production&target=${target}`);
      const first = probe('10.96.0.2');
      const second = probe('10.96.0.3');
      await expect.poll(() => release.length).toBe(2);
      const third = await probe('10.96.0.4');
      expect(third.status).toBe(503);
      expect(third.headers.get('retry-after')).toBe('5');
      expect(((await third.json()) as { error: { message: string } }).error.message).toBe('2 probes are already running');
      release.splice(0).forEach((done) => done());
      expect([(await first).status, (await second).status]).toEqual([200, 200]);
      const fourth = probe('10.96.0.4');
      await expect.poll(() => release.length).toBe(1);
      release.splice(0).forEach((done) => done());
      expect((await fourth).status).toBe(200);
    } finally {
      release.forEach((done) => done());
      await gated.close();
    }
  });

  it('passes on a node agent\'s refusal as 400 and its full probe slots as 503 with Retry-After', async () => {
    const held = buildSampleMesh();
    const refusals = [new RefusedError('"target" 10.97.5.1 is outside the mesh\'s pools'), new BusyError('2 probes are already running on this node')];
    const source: MeshSource = {
      registry: held.registry,
      node: (name) => {
        const n = held.node(name);
        return n && { routeDaemon: n.routeDaemon, agent: { ...n.agent, probe: () => Promise.reject(refusals.shift()) } };
      },
    };
    const agentSays = createLookingGlass({ source, rateLimit: { burst: 1000, perSecond: 1000 } });
    const url = await agentSays.listen({ port: 0, host: '127.0.0.1' });
    try {
      const probe = async (target: string) => {
        const res = await fetch(`${url}/api/v1/ping?node=aalto-garage&plane=production&target=${target}`);
        return { status: res.status, retryAfter: res.headers.get('retry-after'), error: ((await res.json()) as { error: { message: string; field?: string } }).error };
      };
      const refused = await probe('10.97.5.1');
      expect(refused).toMatchObject({ status: 400, error: { field: 'target', message: 'node aalto-garage refused: "target" 10.97.5.1 is outside the mesh\'s pools' } });
      const busy = await probe('10.97.5.2');
      expect(busy).toMatchObject({ status: 503, retryAfter: '5', error: { message: 'node aalto-garage is busy: 2 probes are already running on this node' } });
    } finally {
      await agentSays.close();
    }
  });

  it('refuses to probe from an offline node', async () => {
    const { status, json } = await get('/api/v1/ping?node=freiburg-garage&plane=production&target=10.96.0.1');
    expect(status).toBe(409);
    expect(json.error.message).toBe('node freiburg-garage is offline');
  });
});

describe('hostile input', () => {
  it('never answers 500 to 400 random mixes of parameters and values, and keeps serving', async () => {
    const values = ['', 'production', 'experimental', '10.97.5.1', '10.97.5.0/24', '0.0.0.0/0', '::/0', 'fd00::1', '%00', '%ZZ', '..%2F..',
      '1:2', '1:2:3', 'AS4200000101', '4294967296', '-1', '1e3', 'aalto-garage', 'nowhere', '<script>', '%E2%98%83', 'a'.repeat(300), '10.97.5.1%2F24'];
    const names = ['plane', 'target', 'node', 'neighbor', 'originAsn', 'community', 'largeCommunity', 'limit', 'kind', 'x'];
    const paths = [...ENDPOINTS.map((e) => e.path.replace(':node', 'aalto-garage').replace(':experiment', 'anycast-study')), '/api/v1/nodes/%E2%98%83/sessions', '/api/v1/nodes//sessions', '/api/v2/mesh'];
    let seed = 7;
    const pick = <T>(list: readonly T[]): T => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return list[seed % list.length]!;
    };
    const statuses = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const query = Array.from({ length: pick([0, 1, 2, 3, 4]) }, () => `${pick(names)}=${pick(values)}`).join('&');
      const { status, json } = await get(`${pick(paths)}${query ? `?${query}` : ''}`);
      statuses.add(status);
      expect(status, `${status} ${JSON.stringify(json)}`).not.toBe(500);
      if (status !== 200) expect(typeof json.error.message).toBe('string');
    }
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 400, 404]));
    expect((await get('/api/v1/mesh')).status).toBe(200);
  });
});

describe('secrets', () => {
  it('never shows a planted secret or a private underlay endpoint in any answer', async () => {
    for (const path of [
      '/api/v1', '/api/v1/mesh', '/api/v1/members', '/api/v1/nodes', '/api/v1/experiments', '/api/v1/changes',
      '/api/v1/ping?node=aalto-garage&plane=production&target=10.96.0.3',
      '/api/v1/traceroute?node=aalto-garage&plane=experimental&target=10.192.0.2',
      '/api/v1/experiments/anycast-study',
    ]) expect((await get(path)).status).toBe(200);
    for (const node of mesh.registryView().nodes) {
      await get(`/api/v1/nodes/${node.name}`);
      await get(`/api/v1/nodes/${node.name}/sessions`);
      await get(`/api/v1/nodes/${node.name}/rib-fib?plane=production`);
    }
    // Every answer this file has received, including the ones above.
    const everything = bodies.join('\n');
    for (const secret of Object.values(SECRETS)) expect(everything).not.toContain(secret);
    for (const node of mesh.registryView().nodes) {
      if (node.endpointPublic) expect(everything).toContain(node.endpoints[0]);
      else expect(everything).not.toContain(node.endpoints[0]!.split(':')[0]);
    }
    expect(everything).toContain('wireguardPublicKey');
  });
});

describe('caching', () => {
  it('serves page views from the background snapshot, with no call to any node', async () => {
    const before = new Map(mesh.callCount);
    for (let i = 0; i < 5; i++) {
      for (const path of ['/api/v1/mesh', '/api/v1/nodes', '/api/v1/nodes/aalto-garage/sessions', '/api/v1/changes', '/api/v1/members']) {
        expect((await get(path)).status).toBe(200);
      }
    }
    expect(mesh.callCount).toEqual(before);
  });

  it('shares one lookup answer among repeated askers', async () => {
    const path = '/api/v1/lookup?plane=production&target=10.97.3.9&node=bergen-lab';
    await get(path);
    const after = mesh.callCount.get('bergen-lab');
    await get(path);
    await get(path);
    expect(mesh.callCount.get('bergen-lab')).toBe(after);
  });
});

describe('rate limiting and metrics', () => {
  it('answers 429 with Retry-After once a client has used its burst, and counts it', async () => {
    const strict = createLookingGlass({ source: buildSampleMesh(), rateLimit: { burst: 5, perSecond: 0.5 } });
    const url = await strict.listen({ port: 0, host: '127.0.0.1' });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`${url}/api/v1/mesh`);
        statuses.push(res.status);
        if (res.status === 429) {
          retryAfter = res.headers.get('retry-after');
          expect(((await res.json()) as { error: { message: string } }).error.message).toBe('too many requests from your address');
        } else await res.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      const metrics = strict.metrics.registry.getSingleMetricAsString('looking_glass_rate_limited_total');
      expect(await metrics).toMatch(/looking_glass_rate_limited_total 3/);
    } finally {
      await strict.close();
    }
  });

  it('believes X-Forwarded-For only from a trusted proxy, so a client cannot pick its own bucket', async () => {
    const statuses = async (url: string, forwardedFor: string[]): Promise<number[]> => {
      const out: number[] = [];
      for (const xff of forwardedFor) {
        const res = await fetch(`${url}/api/v1/experiments`, { headers: { 'x-forwarded-for': xff } });
        await res.arrayBuffer();
        out.push(res.status);
      }
      return out;
    };
    const direct = createLookingGlass({ source: buildSampleMesh(), rateLimit: { burst: 2, perSecond: 0.01 } });
    const proxied = createLookingGlass({ source: buildSampleMesh(), rateLimit: { burst: 2, perSecond: 0.01 }, trustedProxies: ['127.0.0.1'] });
    try {
      expect(await statuses(await direct.listen({ port: 0, host: '127.0.0.1' }), ['192.0.2.1', '192.0.2.2', '192.0.2.3'])).toEqual([200, 200, 429]);
      const url = await proxied.listen({ port: 0, host: '127.0.0.1' });
      // The proxy appends the client's address; what the client wrote before it is not believed.
      expect(await statuses(url, ['192.0.2.1', '10.9.9.9, 192.0.2.1', '192.0.2.1', '192.0.2.2', 'not-an-address'])).toEqual([200, 200, 429, 200, 200]);
    } finally {
      await direct.close();
      await proxied.close();
    }
  });

  it('answers HEAD without a body and a matching If-None-Match with 304', async () => {
    const head = await fetch(`${base}/app.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const etag = head.headers.get('etag')!;
    const again = await fetch(`${base}/app.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('exposes Prometheus metrics of the server itself', async () => {
    const { status, text, headers } = await get('/metrics');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/plain/);
    expect(text).toMatch(/looking_glass_http_requests_total\{endpoint="\/api\/v1\/lookup",status="400"\} \d+/);
    expect(text).toMatch(/looking_glass_query_cache_total\{result="reused"\} [1-9]/);
    expect(text).toContain('looking_glass_refresh_duration_seconds_count');
    expect(text).toContain('looking_glass_process_resident_memory_bytes');
  });

  it('documents every endpoint at /api/v1', async () => {
    const { json } = await get('/api/v1');
    expect(json.endpoints.map((e: any) => e.path)).toEqual(ENDPOINTS.map((e) => e.path));
  });
});
