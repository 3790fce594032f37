import { describe, expect, it } from 'vitest';
import { planTunnelChanges, type TunnelSpec } from './plan.js';

const KEY1 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const KEY2 = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';

function spec(peer: string, n: number, extra: Partial<TunnelSpec> = {}): TunnelSpec {
  return {
    peer,
    interfaceName: `gn-${peer}`,
    listenPort: 51820 + n,
    peerPublicKey: KEY1,
    endpoint: `198.18.${n}.2:51820`,
    keepalive: 0,
    addresses: [`10.255.${n}.0/31`],
    ...extra,
  };
}

describe('planTunnelChanges', () => {
  const a = spec('a', 1);
  const b = spec('b', 2);
  const c = spec('c', 3);

  it('changes nothing when the tunnels already match', () => {
    expect(planTunnelChanges([a, b], [b, a])).toEqual([]);
  });

  it('creates a joining peer and deletes a leaving one, leaving the others alone', () => {
    expect(planTunnelChanges([a, b], [a, c])).toEqual([
      { kind: 'delete', spec: b },
      { kind: 'create', spec: c },
    ]);
  });

  it('updates the peer in place when only its endpoint or keepalive moved', () => {
    const moved = { ...b, endpoint: '198.18.9.2:40000' };
    const natted = { ...a, endpoint: null, keepalive: 25 };
    expect(planTunnelChanges([a, b], [natted, moved])).toEqual([
      { kind: 'update-peer', from: a, spec: natted },
      { kind: 'update-peer', from: b, spec: moved },
    ]);
  });

  it('swaps the key of a peer that rotated it, even if its endpoint moved too', () => {
    const rotated = { ...a, peerPublicKey: KEY2, endpoint: '198.18.7.2:1' };
    expect(planTunnelChanges([a], [rotated])).toEqual([{ kind: 'replace-key', from: a, spec: rotated }]);
  });

  it('recreates the interface when its name, port or addresses change', () => {
    for (const changed of [{ ...a, interfaceName: 'gn-a2' }, { ...a, listenPort: 1 }, { ...a, addresses: ['10.9.9.0/31'] }]) {
      expect(planTunnelChanges([a], [changed])).toEqual([{ kind: 'recreate', from: a, spec: changed }]);
    }
  });

  it('refuses a desired list that uses a peer, interface or port twice', () => {
    expect(() => planTunnelChanges([], [a, { ...a, interfaceName: 'x', listenPort: 9 }])).toThrow(/peer a twice/);
    expect(() => planTunnelChanges([], [a, { ...b, interfaceName: a.interfaceName }])).toThrow(/interfaceName gn-a twice/);
    expect(() => planTunnelChanges([], [a, { ...b, listenPort: a.listenPort }])).toThrow(/listenPort 51821 twice/);
  });
});
