import { describe, expect, it } from 'vitest';
import { formatAddress } from '../../common/prefix.js';
import type { Node } from '../../registry/model.js';
import { interfaceName, planSessions, planTunnel, PORT_SPREAD, tunnelPort, type SelfAddresses } from './peer-plan.js';

const self: SelfAddresses = {
  name: 'a', asn: 4200000001, slot: 1, interfaceTag: 'ab12', basePort: 51820,
  productionLoopbackV4: '10.64.0.1', productionLoopbackV6: 'fd64::1', experimentalLoopbackV4: '10.96.0.1', experimentalLoopbackV6: 'fd96::1',
};

function peer(extra: Partial<Node> = {}): Node {
  return {
    name: 'b', organization: 'o', publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=', previousPublicKey: '', endpoints: ['198.18.2.2:40000'],
    asn: 4200000002, productionLoopbackV4: '10.64.0.2', productionLoopbackV6: 'fd64::2', experimentalLoopbackV4: '10.96.0.2',
    experimentalLoopbackV6: 'fd96::2', slot: 12_345, joinedAt: '', updatedAt: '', ...extra,
  };
}

describe('planTunnel', () => {
  it('names the interface by our tag and the peer slot, within 15 characters even for the largest slot', () => {
    expect(planTunnel(self, peer()).interfaceName).toBe(`gnab12${(12_345).toString(36)}`);
    expect(interfaceName('ffffff', 2 ** 20).length).toBeLessThanOrEqual(15);
  });

  it('listens on a port derived from the peer slot and dials the peer on the port derived from ours', () => {
    const plan = planTunnel(self, peer());
    expect(plan.listenPort).toBe(51820 + 1 + (12_345 % PORT_SPREAD));
    expect(plan.endpoint).toBe(`198.18.2.2:${tunnelPort(40000, 1)}`);
    expect(planTunnel(self, peer({ endpoints: ['[2001:db8::2]:40000'] })).endpoint).toBe(`[2001:db8::2]:${40000 + 2}`);
  });

  it('has no endpoint for a peer behind NAT (it dials us) and routes each plane\'s loopbacks to the tunnel', () => {
    const plan = planTunnel(self, peer({ endpoints: [] }));
    expect(plan.endpoint).toBeUndefined();
    expect(plan.hostRoutes).toEqual([
      { plane: 'production', prefix: '10.64.0.2/32', source: '10.64.0.1' },
      { plane: 'production', prefix: 'fd64::2/128', source: 'fd64::1' },
      { plane: 'experimental', prefix: '10.96.0.2/32', source: '10.96.0.1' },
      { plane: 'experimental', prefix: 'fd96::2/128', source: 'fd96::1' },
    ]);
  });
});

describe('planSessions', () => {
  it('one session per plane, loopback to loopback, each in its own plane', () => {
    const sessions = planSessions(self, peer());
    expect(sessions.map((s) => [s.config.name, s.config.plane, formatAddress(s.config.address), formatAddress(s.config.localAddress!), s.localAddressIpv6])).toEqual([
      ['b.production', 'production', '10.64.0.2', '10.64.0.1', 'fd64::1'],
      ['b.experimental', 'experimental', '10.96.0.2', '10.96.0.1', 'fd96::1'],
    ]);
    expect(sessions.every((s) => s.config.asn === 4200000002)).toBe(true);
  });
});
