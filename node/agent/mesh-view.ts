import type { Authorization, Node, WatchResponse } from '../../registry/model.js';
import type { MeshCache } from '../state/layout.js';

/**
 * The mesh as this node sees it, kept from the registry's watch stream, and
 * the per-peer deltas that the tunnels and sessions act on. Pure: a
 * snapshot and a single change go through the same diff, so a reconnect
 * after an outage touches only the peers that really changed.
 */

export type PeerDelta =
  | { kind: 'added'; peer: Node }
  | { kind: 'removed'; peer: Node }
  | { kind: 'changed'; peer: Node; previous: Node; endpoint: boolean; key: boolean };

export interface WatchOutcome {
  cache: MeshCache;
  deltas: PeerDelta[];
  authorizationsChanged: boolean;
  /** Our own record was deleted (an administrator removed the node). */
  removedSelf: boolean;
}

export function applyWatch(cache: MeshCache, response: WatchResponse, self: string): WatchOutcome {
  const peers = new Map(response.snapshot ? [] : cache.peers.map((p) => [p.name, p]));
  const authorizations = new Map(response.snapshot ? [] : cache.authorizations.map((a) => [a.id, a]));
  let removedSelf = false;
  for (const change of response.changes) {
    if (change.kind === 'node') {
      if (change.id === self) {
        if (change.deleted) removedSelf = true;
        continue;
      }
      if (change.deleted) peers.delete(change.id);
      else if (change.node) peers.set(change.id, change.node);
    } else if (change.kind === 'authorization') {
      if (change.deleted) authorizations.delete(change.id);
      else if (change.authorization) authorizations.set(change.id, change.authorization);
    }
  }
  const next: MeshCache = {
    revision: response.revision,
    peers: [...peers.values()].sort((a, b) => a.name.localeCompare(b.name)),
    authorizations: [...authorizations.values()].sort((a, b) => a.id.localeCompare(b.id)),
  };
  return {
    cache: next,
    deltas: diffPeers(cache.peers, next.peers),
    authorizationsChanged: !sameAuthorizations(cache.authorizations, next.authorizations),
    removedSelf,
  };
}

/** What changed between two peer lists, peer by peer. */
export function diffPeers(before: readonly Node[], after: readonly Node[]): PeerDelta[] {
  const old = new Map(before.map((p) => [p.name, p]));
  const deltas: PeerDelta[] = [];
  for (const peer of after) {
    const previous = old.get(peer.name);
    old.delete(peer.name);
    if (!previous) {
      deltas.push({ kind: 'added', peer });
      continue;
    }
    const endpoint = previous.endpoints.join(',') !== peer.endpoints.join(',');
    const key = previous.publicKey !== peer.publicKey;
    if (endpoint || key) deltas.push({ kind: 'changed', peer, previous, endpoint, key });
  }
  for (const peer of old.values()) deltas.push({ kind: 'removed', peer });
  return deltas;
}

function sameAuthorizations(a: readonly Authorization[], b: readonly Authorization[]): boolean {
  if (a.length !== b.length) return false;
  const key = (x: Authorization): string => `${x.id} ${x.prefix} ${x.maxLength} ${x.originAsn} ${x.plane}`;
  const left = new Set(a.map(key));
  return b.every((x) => left.has(key(x)));
}
