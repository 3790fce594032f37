import { chmod, rm } from 'node:fs/promises';
import {
  Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { oneLine } from '../../../common/errors.js';
import type { Logger } from '../../../common/log.js';
import { ApiError } from './api-error.js';
import type { ApiListen } from './config.js';
import { serviceClient } from '../../../common/grpc-service.js';
import type { AgentApiService } from './service.js';

/**
 * The agent API's gRPC server (proto/agent.proto) on the state directory's
 * unix socket (0600) and, if configured, a TCP address. A bad request gets
 * INVALID_ARGUMENT or RESOURCE_EXHAUSTED with the reason; anything else that
 * fails is logged and answered INTERNAL. No request can stop the agent.
 */

export interface AgentApiServer {
  /** Where it listens: unix:PATH, and ADDRESS:PORT when TCP is on. */
  readonly addresses: readonly string[];
  close(): Promise<void>;
}

function unary<Req>(log: Logger, method: string, run: (request: Req) => Promise<unknown>) {
  return (call: ServerUnaryCall<Req, unknown>, callback: sendUnaryData<unknown>): void => {
    // A throw before the first await (a malformed request) is answered like a rejection.
    Promise.resolve().then(() => run(call.request)).then(
      (response) => callback(null, response),
      (err: unknown) => {
        if (err instanceof ApiError) return callback({ code: err.code, details: oneLine(err) });
        log.error({ method, err: oneLine(err) }, 'agent API call failed');
        callback({ code: status.INTERNAL, details: `${method} failed: ${oneLine(err)}` });
      },
    );
  };
}

function handlers(service: AgentApiService, log: Logger): UntypedServiceImplementation {
  return {
    ListTunnels: unary(log, 'ListTunnels', () => service.listTunnels()),
    Ping: unary<{ target: string; count: number }>(log, 'Ping', (r) => service.ping(r)),
    Traceroute: unary<{ target: string; maxHops: number }>(log, 'Traceroute', (r) => service.traceroute(r)),
    CompareRibFib: unary<{ plane: string; maxDifferences: number }>(log, 'CompareRibFib', (r) => service.compareRibFib(r)),
  };
}

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** Serves the unix socket; a TCP address that cannot be bound is logged and left out (the API is an aid, not a reason to stay down). */
export async function serveAgentApi(service: AgentApiService, listen: ApiListen, log: Logger): Promise<AgentApiServer> {
  const server = new Server();
  server.addService(serviceClient('agent/Agent').service, handlers(service, log));
  // A socket left by an agent that died would make the bind fail; the agent's pid file guards against a live one.
  await rm(listen.socket, { force: true });
  await bind(server, `unix:${listen.socket}`);
  await chmod(listen.socket, 0o600);
  const addresses = [`unix:${listen.socket}`];
  if (listen.tcp) {
    await bind(server, listen.tcp).then(
      (port) => addresses.push(listen.tcp!.replace(/:\d+$/, `:${port}`)),
      (err: unknown) => log.warn({ address: listen.tcp, err: oneLine(err) }, 'agent API not served on TCP'),
    );
  }
  log.info({ addresses }, 'agent API listening');
  return {
    addresses,
    // Forced: a running traceroute must not hold up the agent's stop.
    close: async () => {
      server.forceShutdown();
      await rm(listen.socket, { force: true });
    },
  };
}
