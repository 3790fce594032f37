import { formatAddress, formatPrefix, type Address, type Prefix } from '../../common/prefix.js';
import type { MeshCache, MeshSnapshot } from '../sources/cache.js';
import { mapSettled, withTimeout } from '../sources/map-limit.js';
import { BusyError, NotOfferedError, RefusedError, type NodeSource, type RouteFilter } from '../sources/source.js';
import type { MeshNode, Plane } from '../sources/types.js';
import { buildAsGraph } from './as-path-graph.js';
import type { CommunityDictionary } from './communities.js';
import { HttpError } from './http-error.js';
import { meshLinks } from './mesh-links.js';
import type { ProbeGate } from './probe-gate.js';
import {
  publicAllocation,
  publicAuthorization,
  publicChange,
  publicExperiment,
  publicNode,
  publicOrganization,
  publicProbe,
  publicRibFib,
  publicRoute,
  publicSession,
  publicTunnel,
  type PublicRoute,
} from './public-view.js';
import { parseValue, type ParsedQuery, type QuerySchema } from './query-schema.js';

export interface ApiContext {
  readonly cache: MeshCache;
  readonly probes: ProbeGate;
  readonly dictionary: CommunityDictionary;
}

export interface Endpoint {
  /** Path with `:name` segments, e.g. /api/v1/nodes/:node/sessions. */
  readonly path: string;
  readonly summary: string;
  readonly query: QuerySchema;
  /** Rate-limit tokens one call costs. */
  readonly cost: number;
  handle(request: { query: ParsedQuery; params: Record<string, string> }, ctx: ApiContext): Promise<unknown>;
}

/** Largest difference lists a RIB-vs-FIB answer carries. */
const MAX_DIFFERENCES = 500;
const DEFAULT_LIMIT = 100;
const PROBE_COST = 10;
/** A traceroute waits up to a second per silent hop at the node. */
const PROBE_TIMEOUT_MS = 20_000;

/** Every endpoint of the JSON API; README.md documents the same list. */
export const ENDPOINTS: readonly Endpoint[] = [
  {
    path: '/api/v1/mesh',
    summary: 'garages and tunnels with latency, loss and state',
    query: {},
    cost: 1,
    handle: async (_, ctx) => {
      const snap = ctx.cache.snapshot();
      return {
        meshName: snap.registry.meshName,
        ...ages(snap),
        nodes: snap.registry.nodes.map((n) => {
          const fresh = snap.nodes.get(n.name)?.sessions !== undefined;
          return { name: n.name, organization: n.organization, asn: n.asn, location: n.location, online: n.online, reporting: fresh, loopbacks: n.loopbacks };
        }),
        links: meshLinks(snap),
      };
    },
  },
  {
    path: '/api/v1/members',
    summary: 'organizations, nodes, allocations and route authorizations',
    query: {},
    cost: 1,
    handle: async (_, ctx) => {
      const { registry } = ctx.cache.snapshot();
      return {
        organizations: registry.organizations.map((o) => ({
          ...publicOrganization(o),
          nodes: registry.nodes.filter((n) => n.organization === o.name).map((n) => n.name),
        })),
        nodes: registry.nodes.map(publicNode),
        pools: registry.pools.map((p) => ({ plane: p.plane, prefix: p.prefix })),
        allocations: registry.allocations.map(publicAllocation),
        authorizations: registry.authorizations.map(publicAuthorization),
      };
    },
  },
  {
    path: '/api/v1/nodes',
    summary: 'every node with its session counts per plane',
    query: {},
    cost: 1,
    handle: async (_, ctx) => {
      const snap = ctx.cache.snapshot();
      return {
        ...ages(snap),
        nodes: snap.registry.nodes.map((n) => {
          const node = snap.nodes.get(n.name);
          const count = (plane: Plane) => {
            const sessions = node?.sessions?.filter((s) => s.plane === plane);
            return sessions && { established: sessions.filter((s) => s.state === 'established').length, total: sessions.length };
          };
          return { ...publicNode(n), sessions: { production: count('production'), experimental: count('experimental') }, ...nodeAge(snap, n.name) };
        }),
      };
    },
  },
  {
    path: '/api/v1/nodes/:node',
    summary: 'one node: its record, sessions and tunnels',
    query: {},
    cost: 1,
    handle: async ({ params }, ctx) => {
      const snap = ctx.cache.snapshot();
      const node = knownNode(snap, params.node!);
      const data = snap.nodes.get(node.name);
      return {
        ...publicNode(node),
        ...nodeAge(snap, node.name),
        sessions: data?.sessions?.map(publicSession),
        tunnels: data?.tunnels?.map(publicTunnel),
      };
    },
  },
  {
    path: '/api/v1/nodes/:node/sessions',
    summary: 'BGP sessions of one node, optionally of one plane',
    query: { plane: { kind: 'plane' } },
    cost: 1,
    handle: async ({ query, params }, ctx) => {
      const snap = ctx.cache.snapshot();
      const node = knownNode(snap, params.node!);
      const sessions = snap.nodes.get(node.name)?.sessions;
      if (!sessions) throw noFreshData(snap, node.name);
      const plane = query.plane as Plane | undefined;
      return { node: node.name, ...nodeAge(snap, node.name), sessions: sessions.filter((s) => !plane || s.plane === plane).map(publicSession) };
    },
  },
  {
    path: '/api/v1/lookup',
    summary: 'best route and every path for an address or prefix, at one node or every node',
    query: { plane: { kind: 'plane', required: true }, target: { kind: 'target', required: true }, node: { kind: 'node-name' } },
    cost: 1,
    handle: async ({ query }, ctx) => {
      const plane = query.plane as Plane;
      const target = query.target as Address | Prefix;
      const snap = ctx.cache.snapshot();
      const nodes = query.node ? [knownNode(snap, query.node as string)] : snap.registry.nodes;
      const results = await lookupAt(nodes, plane, target, ctx);
      return { plane, target: formatTarget(target), results };
    },
  },
  {
    path: '/api/v1/routes',
    summary: 'routes at one node from a neighbor, by origin AS, by community or by large community',
    query: {
      plane: { kind: 'plane', required: true },
      node: { kind: 'node-name', required: true },
      neighbor: { kind: 'node-name' },
      originAsn: { kind: 'asn' },
      community: { kind: 'community' },
      largeCommunity: { kind: 'large-community' },
      limit: { kind: 'limit' },
    },
    // A filter may walk a whole table at the node.
    cost: 5,
    handle: async ({ query }, ctx) => {
      const plane = query.plane as Plane;
      const node = knownNode(ctx.cache.snapshot(), query.node as string);
      const filter = routeFilter(query);
      const limit = (query.limit as number | undefined) ?? DEFAULT_LIMIT;
      const key = `routes|${plane}|${node.name}|${JSON.stringify(filter)}|${limit}`;
      const list = await ctx.cache.query(key, () => call(ctx, node.name, (s) => s.routeDaemon.routes(plane, { filter, limit })));
      return { plane, node: node.name, filter, truncated: list.truncated, routes: list.routes.map((r) => publicRoute(r, ctx.dictionary)) };
    },
  },
  {
    path: '/api/v1/as-paths',
    summary: 'every AS path toward an address or prefix, from every node, as a graph',
    query: { plane: { kind: 'plane', required: true }, target: { kind: 'target', required: true } },
    cost: 1,
    handle: async ({ query }, ctx) => {
      const plane = query.plane as Plane;
      const target = query.target as Address | Prefix;
      const snap = ctx.cache.snapshot();
      const results = await lookupAt(snap.registry.nodes, plane, target, ctx);
      const labels = new Map<number, string>([
        ...snap.registry.nodes.map((n) => [n.asn, n.name] as const),
        ...snap.registry.experiments.map((e) => [e.asn, `experiment ${e.name}`] as const),
      ]);
      const views = results.flatMap((r) => {
        const asn = snap.registry.nodes.find((n) => n.name === r.node)!.asn;
        return r.routes ? [{ node: r.node, asn, paths: r.routes.map((route) => ({ asPath: route.asPath, best: route.best })) }] : [];
      });
      return { plane, target: formatTarget(target), prefixes: [...new Set(results.flatMap((r) => r.routes?.map((x) => x.prefix) ?? []))], graph: buildAsGraph(views, labels) };
    },
  },
  {
    path: '/api/v1/nodes/:node/rib-fib',
    summary: "whether one node's kernel table agrees with its route daemon, per plane",
    query: { plane: { kind: 'plane', required: true } },
    cost: 2,
    handle: async ({ query, params }, ctx) => {
      const plane = query.plane as Plane;
      const node = knownNode(ctx.cache.snapshot(), params.node!);
      const cmp = publicRibFib(await ctx.cache.query(`rib-fib|${plane}|${node.name}`, () => call(ctx, node.name, (s) => s.agent.ribVsFib(plane))));
      const counts = cmp.counts ?? { missingFromFib: cmp.missingFromFib.length, extraInFib: cmp.extraInFib.length, nextHopMismatch: cmp.nextHopMismatch.length };
      return {
        node: node.name,
        ...cmp,
        agrees: counts.missingFromFib + counts.extraInFib + counts.nextHopMismatch === 0,
        counts,
        missingFromFib: cmp.missingFromFib.slice(0, MAX_DIFFERENCES),
        extraInFib: cmp.extraInFib.slice(0, MAX_DIFFERENCES),
        nextHopMismatch: cmp.nextHopMismatch.slice(0, MAX_DIFFERENCES),
      };
    },
  },
  {
    path: '/api/v1/changes',
    summary: 'recent announcements and withdrawals, newest first',
    query: { plane: { kind: 'plane' }, node: { kind: 'node-name' }, limit: { kind: 'limit' } },
    cost: 1,
    handle: async ({ query }, ctx) => {
      const snap = ctx.cache.snapshot();
      if (query.node) knownNode(snap, query.node as string);
      const inScope = [...snap.nodes.entries()].filter(([name]) => !query.node || name === query.node);
      // A node whose route daemon keeps no change log (or did not answer) is named, so an empty list is not read as a quiet mesh.
      const withoutChangeLog = inScope.filter(([, n]) => n.changes === undefined).map(([name]) => name);
      const changes = inScope
        .flatMap(([, n]) => n.changes ?? [])
        .filter((c) => !query.plane || c.plane === query.plane)
        .sort((a, b) => b.time.localeCompare(a.time))
        .slice(0, (query.limit as number | undefined) ?? DEFAULT_LIMIT);
      return { ...ages(snap), changes: changes.map(publicChange), withoutChangeLog };
    },
  },
  {
    path: '/api/v1/experiments',
    summary: 'experiments with owner, allocation, ASN, state, limits and audit log',
    query: {},
    cost: 1,
    handle: async (_, ctx) => ({ experiments: ctx.cache.snapshot().registry.experiments.map(publicExperiment) }),
  },
  {
    path: '/api/v1/experiments/:experiment',
    summary: 'one experiment by name',
    query: {},
    cost: 1,
    handle: async ({ params }, ctx) => {
      const { registry } = ctx.cache.snapshot();
      const name = parseValue('experiment', 'node-name', params.experiment!);
      const experiment = registry.experiments.find((e) => e.name === name);
      if (!experiment) throw new HttpError(404, `no experiment "${name}"`, { field: 'experiment', hint: 'see /api/v1/experiments for the list' });
      return publicExperiment(experiment);
    },
  },
  probeEndpoint('ping'),
  probeEndpoint('traceroute'),
];

function probeEndpoint(kind: 'ping' | 'traceroute'): Endpoint {
  return {
    path: `/api/v1/${kind}`,
    summary: `${kind} from a node to an address inside the mesh's pools`,
    query: { node: { kind: 'node-name', required: true }, plane: { kind: 'plane', required: true }, target: { kind: 'address', required: true } },
    cost: PROBE_COST,
    handle: async ({ query }, ctx) => {
      const plane = query.plane as Plane;
      const target = query.target as Address;
      const snap = ctx.cache.snapshot();
      const node = knownNode(snap, query.node as string);
      ctx.probes.checkTarget(target, plane, snap.registry.pools);
      if (!node.online) throw new HttpError(409, `node ${node.name} is offline`, { field: 'node', hint: 'choose a node that is online' });
      const text = formatAddress(target);
      const result = await ctx.cache.query(`${kind}|${plane}|${node.name}|${text}`, () =>
        ctx.probes.run(() => call(ctx, node.name, (s) => s.agent.probe({ kind, plane, target: text }), { timeoutMs: PROBE_TIMEOUT_MS })),
      );
      return { node: node.name, plane, target: text, result: publicProbe(result) };
    },
  };
}

/** Finds the endpoint for a path and the values of its `:name` segments. */
export function matchEndpoint(path: string): { endpoint: Endpoint; params: Record<string, string> } | undefined {
  const parts = path.split('/');
  for (const endpoint of ENDPOINTS) {
    const pattern = endpoint.path.split('/');
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((p, i) => {
      if (!p.startsWith(':')) return p === parts[i];
      params[p.slice(1)] = safeDecode(parts[i]!);
      return parts[i] !== '';
    });
    if (matches) return { endpoint, params };
  }
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

interface LookupAtNode {
  readonly node: string;
  readonly routes?: PublicRoute[];
  readonly error?: string;
}

/** Lookup at several nodes at once; one answer per node, shared by every asker for a few seconds. */
async function lookupAt(nodes: readonly MeshNode[], plane: Plane, target: Address | Prefix, ctx: ApiContext): Promise<LookupAtNode[]> {
  const text = formatTarget(target);
  const settled = await mapSettled(
    nodes,
    (n) => ctx.cache.query(`lookup|${plane}|${n.name}|${text}`, () => call(ctx, n.name, (s) => s.routeDaemon.lookup(plane, target))),
    { concurrency: ctx.cache.fanOutConcurrency },
  );
  return nodes.map((n, i) => {
    const r = settled[i]!;
    return r.status === 'fulfilled'
      ? { node: n.name, routes: r.value.map((route) => publicRoute(route, ctx.dictionary)) }
      : { node: n.name, error: `node ${n.name} did not answer` };
  });
}

async function call<T>(ctx: ApiContext, node: string, work: (source: NodeSource) => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
  const source = ctx.cache.source.node(node);
  if (!source) throw new HttpError(503, `no source for node ${node}`);
  try {
    return await withTimeout(work(source), options.timeoutMs ?? ctx.cache.callTimeoutMs, `node ${node}`);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (err instanceof NotOfferedError) throw new HttpError(501, `node ${node}: ${err.message}`);
    if (err instanceof RefusedError) throw new HttpError(400, `node ${node} refused: ${err.message}`, { field: 'target' });
    if (err instanceof BusyError) throw new HttpError(503, `node ${node} is busy: ${err.message}`, { hint: 'try again in a few seconds', retryAfterSeconds: 5 });
    throw new HttpError(502, `node ${node} did not answer`, { hint: 'it may be offline; try another node' });
  }
}

function knownNode(snap: MeshSnapshot, name: string): MeshNode {
  const checked = parseValue('node', 'node-name', name);
  const node = snap.registry.nodes.find((n) => n.name === checked);
  if (!node) throw new HttpError(404, `no node named "${checked}"`, { field: 'node', hint: 'see /api/v1/nodes for the list' });
  return node;
}

function routeFilter(query: ParsedQuery): RouteFilter {
  const given: RouteFilter[] = [];
  if (query.neighbor) given.push({ kind: 'neighbor', neighbor: query.neighbor as string });
  if (query.originAsn) given.push({ kind: 'origin-asn', asn: query.originAsn as number });
  if (query.community) given.push({ kind: 'community', community: query.community as string });
  if (query.largeCommunity) given.push({ kind: 'large-community', community: query.largeCommunity as string });
  if (given.length !== 1) {
    throw new HttpError(400, given.length === 0 ? 'no route filter given' : 'more than one route filter given', {
      field: 'neighbor',
      hint: 'give exactly one of neighbor, originAsn, community, largeCommunity',
    });
  }
  return given[0]!;
}

function noFreshData(snap: MeshSnapshot, name: string): HttpError {
  const error = snap.nodes.get(name)?.error;
  return new HttpError(503, `no fresh data from node ${name}${error ? ` (${error})` : ''}`, { hint: 'the node may be offline; try again later', retryAfterSeconds: 5 });
}

function ages(snap: MeshSnapshot): { generatedAt: string; registryAgeMs: number } {
  return { generatedAt: new Date().toISOString(), registryAgeMs: Math.max(0, Date.now() - snap.registryUpdatedAt) };
}

function nodeAge(snap: MeshSnapshot, name: string): { dataAgeMs?: number; error?: string } {
  const n = snap.nodes.get(name);
  return {
    ...(n?.updatedAt === undefined ? {} : { dataAgeMs: Math.max(0, Date.now() - n.updatedAt) }),
    ...(n?.sessions === undefined && n?.error ? { error: 'no fresh data from this node' } : {}),
  };
}

function formatTarget(target: Address | Prefix): string {
  return 'length' in target ? formatPrefix(target) : formatAddress(target);
}

