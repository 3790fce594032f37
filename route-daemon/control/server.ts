import { chmod, mkdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import {
  Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { oneLine, UserError } from '../../common/errors.js';
import { createLogger } from '../../common/log.js';
import { parseAddress, parsePrefix } from '../../common/prefix.js';
import { PLANES, type Plane } from '../routing/instance.js';
import type { RouteFilter, RouteQueries } from '../routing/queries.js';
import type { RoutingInstance } from '../routing/instance.js';
import { parseCommunity, parseLargeCommunity, routeChangeMessage, routeMessage } from './convert.js';
import type { ListRoutesRequestMessage, NeighborMessage, PlaneSummaryMessage } from './messages.js';
import type { NeighborSource, NeighborState } from './neighbors.js';
import { serviceClient } from '../../common/grpc-service.js';

/**
 * The control API server. It answers from the routing instances' counters
 * and bounded pages; ListRoutes yields to the event loop between pages and
 * waits for the client to read, so a big listing never stalls the sessions.
 */

export type ControlledInstance = RoutingInstance & RouteQueries;

export interface ControlServerOptions {
  readonly instances: ReadonlyMap<Plane, ControlledInstance>;
  readonly neighbors: NeighborSource;
  readonly localAsn: number;
  /** "unix:/run/garagenet/routed.sock" (made mode 0600) or "127.0.0.1:PORT" (0 picks one). */
  readonly address: string;
}

export interface ControlServer {
  /** Where clients connect: the unix: address, or 127.0.0.1 with the port bound. */
  readonly address: string;
  close(): Promise<void>;
}

const DEFAULT_PAGE = 500;
const MAX_PAGE = 5000;

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const log = createLogger('routed-control');
  const server = new Server();
  server.addService(serviceClient('routed/Routed').service, handlers(options));
  const socketPath = options.address.startsWith('unix:') ? options.address.slice('unix:'.length).replace(/^\/\/(?=\/)/, '') : undefined;
  if (socketPath) {
    if (!socketPath.startsWith('/')) throw new UserError(`control socket "${socketPath}" is not an absolute path`, { hint: 'write it like unix:/run/garagenet/routed.sock' });
    if (await socketAnswers(socketPath)) {
      throw new UserError(`another process is listening on ${socketPath}`, { hint: 'is a route daemon already running? stop it or choose another control-socket' });
    }
    // A socket left by a daemon that died would make the bind fail.
    await rm(socketPath, { force: true });
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
  } else if (!/^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+$/.test(options.address)) {
    throw new UserError(`control address "${options.address}" is not on loopback`, { hint: 'use a unix: socket or 127.0.0.1:PORT; the control API must not face a network' });
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.address, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  }).catch((err: unknown) => {
    throw new UserError(`cannot listen on ${options.address}: ${oneLine(err)}`, { hint: 'is another route daemon running?' });
  });
  if (socketPath) await chmod(socketPath, 0o600);
  const address = socketPath ? `unix:${socketPath}` : options.address.replace(/:\d+$/, `:${port}`);
  log.info({ address }, 'control API listening');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => {
          if (socketPath) void rm(socketPath, { force: true }).then(() => resolve());
          else resolve();
        });
      }),
  };
}

/** Whether something accepts connections on the unix socket (a live daemon, not a stale file). */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

type Unary<Req> = (request: Req) => unknown;

function unary<Req>(run: Unary<Req>) {
  return (call: ServerUnaryCall<Req, unknown>, callback: sendUnaryData<unknown>): void => {
    try {
      callback(null, run(call.request));
    } catch (err) {
      callback(toStatus(err));
    }
  };
}

function toStatus(err: unknown): { code: status; details: string } {
  if (err instanceof NotFound) return { code: status.NOT_FOUND, details: err.message };
  if (err instanceof UserError) return { code: status.INVALID_ARGUMENT, details: oneLine(err) };
  return { code: status.FAILED_PRECONDITION, details: oneLine(err) };
}

class NotFound extends Error {}

function handlers(options: ControlServerOptions): UntypedServiceImplementation {
  const instance = (plane: string): ControlledInstance => {
    if (!(PLANES as readonly string[]).includes(plane)) {
      throw new UserError(`"${plane}" is not a plane`, { hint: `planes are ${PLANES.join(' and ')}` });
    }
    const found = options.instances.get(plane as Plane);
    if (!found) throw new NotFound(`this node does not take part in the ${plane} plane`);
    return found;
  };
  const neighborNamed = (name: string): NeighborState => {
    const found = options.neighbors.listNeighbors().find((n) => n.name === name);
    if (!found) throw new NotFound(`no neighbor named "${name}"`);
    return found;
  };

  return {
    ListNeighbors: unary<{ plane: string }>((request) => {
      if (request.plane) instance(request.plane);
      const neighbors = options.neighbors.listNeighbors().filter((n) => !request.plane || n.plane === request.plane);
      return { neighbors: neighbors.map((n) => neighborMessage(n, options.instances.get(n.plane))) };
    }),

    GetSummary: unary<object>(() => ({
      planes: [...options.instances.values()].map((i): PlaneSummaryMessage => {
        const c = i.counters();
        return { plane: c.plane, ipv4Routes: c.routes.ipv4, ipv6Routes: c.routes.ipv6, paths: c.paths, attributeSets: c.attributeSets, decisions: c.decisions };
      }),
    })),

    ListRoutes: (call: ServerWritableStream<ListRoutesRequestMessage, unknown>): void => {
      // A failed listing ends the call with a status, as a unary call would.
      void streamRoutes(call, { instance, localAsn: options.localAsn }).catch((err: unknown) => call.emit('error', toStatus(err)));
    },

    LookupRoute: unary<{ plane: string; query: string; exact: boolean }>((request) => {
      const rib = instance(request.plane);
      const query = request.query.trim();
      const route = query.includes('/')
        ? rib.lookup({ prefix: parsePrefix(query), orCovering: !request.exact })
        : rib.lookup({ address: parseAddress(query) });
      return route ? { found: true, route: routeMessage(route, options) } : { found: false, route: null };
    }),

    ListRouteChanges: unary<{ plane: string; limit: number }>((request) => ({
      changes: instance(request.plane).recentChanges({ limit: Math.min(request.limit || 100, 1000) }).map(routeChangeMessage),
    })),

    Announce: unary<{ plane: string; prefix: string; communities: string[]; largeCommunities: string[] }>((request) => {
      instance(request.plane).announceLocal(parsePrefix(request.prefix), {
        communities: request.communities.map(parseCommunity),
        largeCommunities: request.largeCommunities.map(parseLargeCommunity),
      });
      return {};
    }),

    Withdraw: unary<{ plane: string; prefix: string }>((request) => ({
      withdrawn: instance(request.plane).withdrawLocal(parsePrefix(request.prefix)),
    })),

    SoftReset: unary<{ neighbor: string; direction: string }>((request) => {
      const direction = request.direction || 'both';
      if (!['in', 'out', 'both'].includes(direction)) {
        throw new UserError(`"${direction}" is not a soft-reset direction`, { hint: 'use in, out or both' });
      }
      const neighbor = neighborNamed(request.neighbor);
      if (direction !== 'out') options.neighbors.requestRefresh(neighbor.name);
      if (direction !== 'in') instance(neighbor.plane).refresh(neighbor.name);
      return {};
    }),
  };
}

async function streamRoutes(
  call: ServerWritableStream<ListRoutesRequestMessage, unknown>,
  context: { instance: (plane: string) => ControlledInstance; localAsn: number },
): Promise<void> {
  const request = call.request;
  const rib = context.instance(request.plane);
  const filter = routeFilter(request);
  const pageSize = Math.min(request.pageSize || DEFAULT_PAGE, MAX_PAGE);
  const limit = request.limit || Infinity;
  let after = request.pageToken || undefined;
  let sent = 0;
  for (;;) {
    if (call.cancelled) return;
    const page = rib.listRoutes({ filter, limit: Math.min(pageSize, limit - sent), ...(after ? { after } : {}) });
    sent += page.routes.length;
    after = page.next;
    const more = after !== undefined && sent < limit;
    if (page.routes.length > 0 || !more) {
      const flowing = call.write({ routes: page.routes.map((r) => routeMessage(r, context)), nextPageToken: after ?? '' });
      if (!flowing) await new Promise((resolve) => call.once('drain', resolve));
    }
    if (!more) break;
    // Let the sessions run between pages.
    await new Promise((resolve) => setImmediate(resolve));
  }
  call.end();
}

function routeFilter(request: ListRoutesRequestMessage): RouteFilter {
  const family = request.family ?? '';
  if (!['', 'ipv4', 'ipv6'].includes(family)) throw new UserError(`"${family}" is not an address family`, { hint: 'use ipv4 or ipv6' });
  return {
    ...(family ? { family: family === 'ipv4' ? 4 : 6 } : {}),
    ...(request.community ? { community: parseCommunity(request.community) } : {}),
    ...(request.largeCommunity ? { largeCommunity: parseLargeCommunity(request.largeCommunity) } : {}),
    ...(request.originAsn ? { originAsn: request.originAsn } : {}),
    ...(request.peer ? { peer: request.peer } : {}),
  };
}

function neighborMessage(n: NeighborState, rib: ControlledInstance | undefined): NeighborMessage {
  const counters = rib?.peerCounters(n.name);
  const counts = (c: Readonly<Record<string, number>>) => ({
    open: c.open ?? 0, update: c.update ?? 0, notification: c.notification ?? 0, keepalive: c.keepalive ?? 0, routeRefresh: c.routeRefresh ?? 0,
  });
  return {
    name: n.name,
    plane: n.plane,
    address: n.address,
    asn: n.asn,
    state: n.state.toLowerCase(),
    passive: n.passive,
    uptimeSeconds: n.establishedAt ? Math.max(0, Math.floor((Date.now() - n.establishedAt) / 1000)) : 0,
    routerId: n.routerId ?? '',
    holdTime: n.holdTime,
    families: [...n.families],
    received: counts(n.received),
    sent: counts(n.sent),
    accepted: counters?.accepted ?? 0,
    advertised: counters?.advertised ?? 0,
    stale: counters?.stale ?? 0,
    rejected: n.prefixes.rejected,
    flaps: n.flaps,
    lastError: n.lastError?.text ?? '',
    decisions: counters?.decisions ?? {},
  };
}
