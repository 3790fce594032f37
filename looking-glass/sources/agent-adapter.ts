import { status } from '@grpc/grpc-js';
import { ApiError } from '../../node/agent/api/api-error.js';
import type { AgentApiClient } from '../../node/agent/api/client.js';
import type { TunnelMessage } from '../../node/agent/api/messages.js';
import { BusyError, RefusedError, type AgentSource } from './source.js';
import type { Plane, ProbeRequest, ProbeResult, RibFibComparison, TunnelStatus } from './types.js';

/** What the adapter needs of the agent API's typed client (node/agent/api/client.ts). */
export type AgentApiCalls = Pick<AgentApiClient, 'listTunnels' | 'ping' | 'traceroute' | 'compareRibFib'>;

/** Echoes per ping from the page: enough for a median, short enough to hold a probe slot for about a second. */
const PING_COUNT = 5;

/**
 * One node's agent through its API (proto/agent.proto): tunnel health from
 * the agent's own link probes, its fixed ping and traceroute, and its kernel
 * tables against its route daemon. The node's refusals keep their meaning:
 * a target it will not probe is a 400, full probe slots a 503.
 */
export class AgentApiSource implements AgentSource {
  constructor(private readonly client: AgentApiCalls) {}

  async tunnels(): Promise<readonly TunnelStatus[]> {
    return (await this.client.listTunnels()).tunnels.map(toTunnel);
  }

  async probe(request: ProbeRequest): Promise<ProbeResult> {
    try {
      if (request.kind === 'ping') {
        const r = await this.client.ping({ target: request.target, count: PING_COUNT });
        return { kind: 'ping', sent: r.sent, received: r.received, rttMs: r.rttMs };
      }
      const r = await this.client.traceroute({ target: request.target });
      return {
        kind: 'traceroute',
        reached: r.reached,
        hops: r.hops.map((h) => ({
          ttl: h.ttl,
          ...(h.address ? { address: h.address } : {}),
          ...(h.node ? { node: h.node } : {}),
          ...(h.hasRtt ? { rttMs: h.rttMs } : {}),
        })),
      };
    } catch (err) {
      throw refusal(err);
    }
  }

  async ribVsFib(plane: Plane): Promise<RibFibComparison> {
    const r = await this.client.compareRibFib({ plane }).catch((err: unknown) => Promise.reject(refusal(err)));
    const diff = (d: { prefix: string; ribNextHop: string; kernelNextHop: string }) => ({
      prefix: d.prefix,
      ...(d.ribNextHop ? { ribNextHop: d.ribNextHop } : {}),
      ...(d.kernelNextHop ? { fibNextHop: d.kernelNextHop } : {}),
    });
    return {
      plane,
      checkedAt: r.checkedAt,
      ribRoutes: r.ribRoutes,
      fibRoutes: r.kernelRoutes,
      missingFromFib: r.missingInKernel.map(diff),
      extraInFib: r.extraInKernel.map(diff),
      nextHopMismatch: r.nextHopMismatch.map(diff),
      counts: { missingFromFib: r.missingInKernelCount, extraInFib: r.extraInKernelCount, nextHopMismatch: r.nextHopMismatchCount },
    };
  }
}

function toTunnel(t: TunnelMessage): TunnelStatus {
  return {
    peer: t.peer,
    state: t.state === 'up' || t.state === 'connecting' ? t.state : 'down',
    ...(t.hasLatency && t.state === 'up' ? { latencyMs: t.latencyMs } : {}),
    loss: t.loss,
    ...(t.lastHandshakeUnix > 0 ? { lastHandshake: new Date(t.lastHandshakeUnix * 1000).toISOString() } : {}),
  };
}

function refusal(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  if (err.code === status.INVALID_ARGUMENT) return new RefusedError(err.message);
  if (err.code === status.RESOURCE_EXHAUSTED) return new BusyError(err.message);
  return err;
}
