import { describe, expect, it } from 'vitest';
import type { MeshSnapshot, NodeSnapshot } from '../sources/cache.js';
import type { BgpSession, MeshNode, RegistryView, TunnelStatus } from '../sources/types.js';
import { meshLinks } from './mesh-links.js';

function node(name: string, asn: number): MeshNode {
  return {
    name, organization: 'org', asn, wireguardPublicKey: 'k', loopbacks: { production: '10.0.0.1', experimental: '10.1.0.1' },
    endpoints: [], endpointPublic: false, online: true,
  };
}

function session(neighborAsn: number, state: BgpSession['state'], plane: BgpSession['plane'] = 'production'): BgpSession {
  return { plane, neighbor: `AS${neighborAsn}`, neighborAddress: '10.0.0.9', neighborAsn, state, prefixesReceived: 0, prefixesAccepted: 0, prefixesAdvertised: 0 };
}

function tunnel(peer: string, state: TunnelStatus['state'], latencyMs?: number, loss = 0): TunnelStatus {
  return { peer, state, loss, ...(latencyMs === undefined ? {} : { latencyMs }) };
}

function snapshot(nodes: MeshNode[], reports: Record<string, NodeSnapshot>): MeshSnapshot {
  const registry: RegistryView = { meshName: 'm', generatedAt: '', pools: [], organizations: [], nodes, allocations: [], authorizations: [], experiments: [] };
  return { registry, registryUpdatedAt: 0, nodes: new Map(Object.entries(reports)) };
}

const A = node('a', 65001);
const B = node('b', 65002);
const C = node('c', 65003);

describe('meshLinks', () => {
  it('merges both ends\' tunnel reports: the worse state and loss, the mean latency', () => {
    const links = meshLinks(snapshot([A, B], {
      a: { tunnels: [tunnel('b', 'up', 10, 0.02)] },
      b: { tunnels: [tunnel('a', 'up', 20)] },
    }));
    expect(links).toEqual([{ a: 'a', b: 'b', state: 'up', knownFrom: 'tunnels', loss: 0.02, latencyMs: 15, reportedBy: ['a', 'b'] }]);
    const down = meshLinks(snapshot([A, B], { a: { tunnels: [tunnel('b', 'up', 10)] }, b: { tunnels: [tunnel('a', 'down')] } }));
    expect(down).toEqual([{ a: 'a', b: 'b', state: 'down', knownFrom: 'tunnels', loss: 0, reportedBy: ['a', 'b'] }]);
  });

  it('draws a pair no agent reports on from its BGP sessions, with no latency or loss', () => {
    const links = meshLinks(snapshot([A, B, C], {
      a: { sessions: [session(65002, 'established'), session(65003, 'active'), session(65003, 'connect', 'experimental')] },
      b: { sessions: [session(65001, 'established')] },
      c: { sessions: [session(65001, 'idle')] },
    }));
    expect(links).toEqual([
      { a: 'a', b: 'b', state: 'up', knownFrom: 'sessions', reportedBy: ['a', 'b'] },
      { a: 'a', b: 'c', state: 'down', knownFrom: 'sessions', reportedBy: ['a', 'c'] },
    ]);
  });

  it('prefers tunnel reports over sessions, and skips sessions to routers that are no single garage', () => {
    const shared = node('d', 65001);
    const links = meshLinks(snapshot([A, B, C, shared], {
      b: { tunnels: [tunnel('c', 'connecting')], sessions: [session(65003, 'established'), session(65001, 'established'), session(4_200_000_999, 'established')] },
    }));
    expect(links).toEqual([{ a: 'b', b: 'c', state: 'connecting', knownFrom: 'tunnels', loss: 0, reportedBy: ['b'] }]);
  });
});
