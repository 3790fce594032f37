import { credentials, status, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { UserError } from '../../common/errors.js';
import { DEFAULT_CONTROL_SOCKET } from '../config/config.js';
import type {
  ListRoutesRequestMessage, ListRoutesResponseMessage, LookupRouteResponseMessage, NeighborMessage, PlaneSummaryMessage, RouteChangeMessage,
} from './messages.js';
import { serviceClient } from '../../common/grpc-service.js';

/**
 * A typed client of the control API, for the CLI and the looking glass.
 * Failures become one-line UserErrors that say what to check.
 */

export interface RoutedClientOptions {
  /** "unix:/path" or "127.0.0.1:PORT"; default GARAGENET_ROUTED or the standard socket. */
  readonly address?: string;
  /** Per-call deadline in milliseconds (default 10 s). */
  readonly timeoutMs?: number;
}

type Callback<T> = (err: ServiceError | null, value: T) => void;
type UnaryMethod = (request: object, options: { deadline: Date }, callback: Callback<unknown>) => void;

export class RoutedClient {
  readonly address: string;
  private readonly client: Client;
  private readonly timeoutMs: number;

  constructor(options: RoutedClientOptions = {}) {
    this.address = options.address ?? process.env.GARAGENET_ROUTED ?? `unix:${DEFAULT_CONTROL_SOCKET}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const Ctor = serviceClient('routed/Routed');
    this.client = new Ctor(this.address, credentials.createInsecure());
  }

  close(): void {
    this.client.close();
  }

  async listNeighbors(options: { plane?: string } = {}): Promise<NeighborMessage[]> {
    const response = await this.call<{ neighbors: NeighborMessage[] }>('ListNeighbors', { plane: options.plane ?? '' });
    return response.neighbors;
  }

  async summary(): Promise<PlaneSummaryMessage[]> {
    return (await this.call<{ planes: PlaneSummaryMessage[] }>('GetSummary', {})).planes;
  }

  /** Pages of routes as the daemon streams them. */
  async *listRoutes(request: ListRoutesRequestMessage): AsyncGenerator<ListRoutesResponseMessage> {
    const method = (this.client as unknown as Record<string, (request: object) => ClientReadableStream<ListRoutesResponseMessage>>).ListRoutes!;
    const stream = method.call(this.client, request);
    try {
      for await (const page of stream as AsyncIterable<ListRoutesResponseMessage>) yield page;
    } catch (err) {
      throw this.explain(err as ServiceError);
    } finally {
      stream.cancel();
    }
  }

  lookupRoute(request: { plane: string; query: string; exact?: boolean }): Promise<LookupRouteResponseMessage> {
    return this.call('LookupRoute', { exact: false, ...request });
  }

  async routeChanges(request: { plane: string; limit?: number }): Promise<RouteChangeMessage[]> {
    return (await this.call<{ changes: RouteChangeMessage[] }>('ListRouteChanges', { limit: 0, ...request })).changes;
  }

  async announce(request: { plane: string; prefix: string; communities?: string[]; largeCommunities?: string[] }): Promise<void> {
    await this.call('Announce', { communities: [], largeCommunities: [], ...request });
  }

  async withdraw(request: { plane: string; prefix: string }): Promise<boolean> {
    return (await this.call<{ withdrawn: boolean }>('Withdraw', request)).withdrawn;
  }

  async softReset(request: { neighbor: string; direction?: 'in' | 'out' | 'both' }): Promise<void> {
    await this.call('SoftReset', { direction: 'both', ...request });
  }

  private call<T>(name: string, request: object): Promise<T> {
    const method = (this.client as unknown as Record<string, UnaryMethod>)[name]!;
    return new Promise<T>((resolve, reject) => {
      method.call(this.client, request, { deadline: new Date(Date.now() + this.timeoutMs) }, (err, value) => {
        if (err) reject(this.explain(err));
        else resolve(value as T);
      });
    });
  }

  private explain(err: ServiceError): Error {
    if (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED) {
      return new UserError(`cannot reach the route daemon at ${this.address}`, {
        hint: 'is it running? point GARAGENET_ROUTED or --socket at its control socket',
      });
    }
    return new UserError(err.details || err.message);
  }
}
