import { credentials, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { ApiError } from './api-error.js';
import type { CompareRibFibResponseMessage, ListTunnelsResponseMessage, PingResponseMessage, TracerouteResponseMessage } from './messages.js';
import { serviceClient } from '../../../common/grpc-service.js';

/**
 * A typed client of the agent API, for the looking glass and the tests.
 * A refusal arrives as the server's own ApiError, gRPC code kept, so a caller
 * can tell a bad request from an unreachable node.
 */

type Callback<T> = (err: ServiceError | null, value: T) => void;
type UnaryMethod = (request: object, options: { deadline: Date }, callback: Callback<unknown>) => void;

export class AgentApiClient {
  private readonly client: Client;

  /** `address`: unix:/path/agent-api.sock or ADDRESS:PORT. */
  constructor(readonly address: string, private readonly options: { timeoutMs?: number } = {}) {
    const Ctor = serviceClient('agent/Agent');
    this.client = new Ctor(address, credentials.createInsecure());
  }

  close(): void {
    this.client.close();
  }

  listTunnels(): Promise<ListTunnelsResponseMessage> {
    return this.call('ListTunnels', {});
  }

  ping(request: { target: string; count?: number }): Promise<PingResponseMessage> {
    return this.call('Ping', { count: 0, ...request }, 30_000);
  }

  traceroute(request: { target: string; maxHops?: number }): Promise<TracerouteResponseMessage> {
    return this.call('Traceroute', { maxHops: 0, ...request }, 30_000);
  }

  compareRibFib(request: { plane: string; maxDifferences?: number }): Promise<CompareRibFibResponseMessage> {
    return this.call('CompareRibFib', { maxDifferences: 0, ...request });
  }

  /** Probes take seconds by design: their deadline is at least `floorMs`. */
  private call<T>(method: string, request: object, floorMs = 0): Promise<T> {
    const fn = (this.client as unknown as Record<string, UnaryMethod>)[method]!;
    const deadline = new Date(Date.now() + Math.max(this.options.timeoutMs ?? 10_000, floorMs));
    return new Promise((resolve, reject) => {
      fn.call(this.client, request, { deadline }, (err, value) => {
        if (err) reject(new ApiError(err.code, err.code === status.UNAVAILABLE ? `the agent API at ${this.address} is not answering` : err.details));
        else resolve(value as T);
      });
    });
  }
}
