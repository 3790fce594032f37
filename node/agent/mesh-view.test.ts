import { describe, expect, it } from 'vitest';
import type { Authorization, Node, WatchResponse } from '../../registry/model.js';
import { applyWatch, diffPeers } from './mesh-view.js';
import type { MeshCache } from '../state/layout.js';

const KEY_A = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const KEY_B = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';

function node(name: string, slot: number, extra: Partial<Node> = {}): Node {
  return {
    name, organization: 'o', publicKey: KEY_A, previousPublicKey: '', endpoints: [`198.18.${slot}.2:51820`], asn: 4200000000 + slot,
    productionLoopbackV4: `10.64.0.${slot}`, productionLoopbackV6: `fd64::${slot}`, experimentalLoopbackV4: `10.96.0.${slot}`,
    experimentalLoopbackV6: `fd96::${slot}`, slot, joinedAt: '', updatedAt: '', ...extra,
  };
}

function auth(id: string, prefix: string): Authorization {
  return { id, prefix, maxLength: 24, originAsn: 4200000001, plane: 'production', holder: 'a', createdAt: '' };
}

const empty: MeshCache = { revision: 0, peers: [], authorizations: [] };

describe('applyWatch', () => {
  it('takes a snapshot as the whole mesh, leaving this node out of its peers', () => {
    const snapshot: WatchResponse = {
      revision: 7, snapshot: true,
      changes: [
        { kind: 'node', id: 'self', deleted: false, node: node('self', 1) },
        { kind: 'node', id: 'b', deleted: false, node: node('b', 2) },
        { kind: 'authorization', id: 'x', deleted: false, authorization: auth('x', '10.64.1.0/24') },
      ],
    };
    const out = applyWatch(empty, snapshot, 'self');
    expect(out.cache.revision).toBe(7);
    expect(out.cache.peers.map((p) => p.name)).toEqual(['b']);
    expect(out.deltas).toEqual([{ kind: 'added', peer: node('b', 2) }]);
    expect(out.authorizationsChanged).toBe(true);
    expect(out.removedSelf).toBe(false);
  });

  it('a snapshot after an outage yields only what changed meanwhile', () => {
    const cache: MeshCache = { revision: 5, peers: [node('b', 2), node('c', 3), node('d', 4)], authorizations: [auth('x', '10.64.1.0/24')] };
    const snapshot: WatchResponse = {
      revision: 9, snapshot: true,
      changes: [
        { kind: 'node', id: 'b', deleted: false, node: node('b', 2) },
        { kind: 'node', id: 'c', deleted: false, node: node('c', 3, { endpoints: ['198.18.9.2:51820'] }) },
        { kind: 'node', id: 'e', deleted: false, node: node('e', 5) },
        { kind: 'authorization', id: 'x', deleted: false, authorization: auth('x', '10.64.1.0/24') },
      ],
    };
    const out = applyWatch(cache, snapshot, 'self');
    expect(out.deltas.map((d) => `${d.kind} ${d.peer.name}`)).toEqual(['changed c', 'added e', 'removed d']);
    expect(out.authorizationsChanged).toBe(false);
  });

  it('applies single changes as deltas: a key rotation, a leave, our own removal', () => {
    const cache: MeshCache = { revision: 5, peers: [node('b', 2), node('c', 3)], authorizations: [] };
    const out = applyWatch(cache, {
      revision: 6, snapshot: false,
      changes: [
        { kind: 'node', id: 'b', deleted: false, node: node('b', 2, { publicKey: KEY_B, previousPublicKey: KEY_A }) },
        { kind: 'node', id: 'c', deleted: true },
        { kind: 'node', id: 'self', deleted: true },
      ],
    }, 'self');
    expect(out.deltas).toEqual([
      { kind: 'changed', peer: node('b', 2, { publicKey: KEY_B, previousPublicKey: KEY_A }), previous: node('b', 2), endpoint: false, key: true },
      { kind: 'removed', peer: node('c', 3) },
    ]);
    expect(out.removedSelf).toBe(true);
    expect(out.cache.peers.map((p) => p.name)).toEqual(['b']);
  });
});

describe('diffPeers', () => {
  it('says nothing about peers whose tunnel-relevant fields did not change', () => {
    expect(diffPeers([node('b', 2)], [node('b', 2, { updatedAt: 'later' })])).toEqual([]);
  });
});
