import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../node/agent/api/api-error.js';
import { AgentApiSource, type AgentApiCalls } from './agent-adapter.js';
import { BusyError, RefusedError } from './source.js';

const unused = (): Promise<never> => Promise.reject(new Error('unused'));

function source(calls: Partial<AgentApiCalls>): AgentApiSource {
  return new AgentApiSource({ listTunnels: unused, ping: unused, traceroute: unused, compareRibFib: unused, ...calls });
}

describe('AgentApiSource', () => {
  it('maps tunnels: latency only for an up tunnel that has one, the handshake as a time', async () => {
    const tunnels = await source({
      listTunnels: async () => ({
        node: 'a',
        tunnels: [
          { peer: 'b', state: 'up', bfd: 'Up', lastHandshakeUnix: 1_700_000_000, rxBytes: 1, txBytes: 2, hasLatency: true, latencyMs: 0.8, loss: 0.25, probes: 4 },
          { peer: 'c', state: 'down', bfd: 'Down', lastHandshakeUnix: 0, rxBytes: 0, txBytes: 0, hasLatency: true, latencyMs: 9, loss: 1, probes: 12 },
        ],
      }),
    }).tunnels();
    expect(tunnels).toEqual([
      { peer: 'b', state: 'up', latencyMs: 0.8, loss: 0.25, lastHandshake: '2023-11-14T22:13:20.000Z' },
      { peer: 'c', state: 'down', loss: 1 },
    ]);
  });

  it('a target the node refuses is a RefusedError, full probe slots a BusyError; other failures pass as they are', async () => {
    const failing = (code: status) => source({ ping: () => Promise.reject(new ApiError(code, `code ${code}`)) });
    await expect(failing(status.INVALID_ARGUMENT).probe({ kind: 'ping', plane: 'production', target: '10.0.0.1' })).rejects.toBeInstanceOf(RefusedError);
    await expect(failing(status.RESOURCE_EXHAUSTED).probe({ kind: 'ping', plane: 'production', target: '10.0.0.1' })).rejects.toBeInstanceOf(BusyError);
    await expect(failing(status.UNAVAILABLE).probe({ kind: 'ping', plane: 'production', target: '10.0.0.1' })).rejects.toBeInstanceOf(ApiError);
  });

  it('keeps the full difference counts of a comparison whose lists were cut', async () => {
    const cmp = await source({
      compareRibFib: async () => ({
        plane: 'production', table: 64, checkedAt: '2026-01-01T00:00:00.000Z', ribRoutes: 900, kernelRoutes: 100, agreed: 100,
        missingInKernelCount: 800, extraInKernelCount: 0, nextHopMismatchCount: 0,
        missingInKernel: [{ prefix: '10.1.0.0/24', ribNextHop: '10.64.0.2', kernelNextHop: '' }], extraInKernel: [], nextHopMismatch: [],
      }),
    }).ribVsFib('production');
    expect(cmp.missingFromFib).toEqual([{ prefix: '10.1.0.0/24', ribNextHop: '10.64.0.2' }]);
    expect(cmp.counts).toEqual({ missingFromFib: 800, extraInFib: 0, nextHopMismatch: 0 });
    expect(cmp.fibRoutes).toBe(100);
  });
});
