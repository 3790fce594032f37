import type { Lease } from 'etcd3';
import type { Presence } from './model.js';
import type { Store } from './store.js';

/**
 * Liveness through etcd leases: a node's presence key is bound to a lease
 * that the node keeps alive through KeepAlive calls; when the node stops
 * calling, etcd drops the key and every watcher sees the node go offline.
 * A refresh touches only the lease, so a healthy node causes no watch traffic.
 */
export class PresenceKeeper {
  private readonly leases = new Map<string, { lease: Lease; presence: Presence }>();

  constructor(private readonly store: Store, private readonly defaultTtl = 15) {}

  async keepAlive(node: string, ttlSeconds: number): Promise<Presence> {
    const ttl = ttlSeconds || this.defaultTtl;
    const held = this.leases.get(node);
    if (held && held.presence.ttlSeconds === ttl) {
      try {
        const res = await held.lease.keepaliveOnce();
        if (Number(res.TTL) > 0) return held.presence;
      } catch {
        // Expired or etcd was away: grant a fresh lease below.
      }
    }
    this.forget(node);
    const current = await this.store.get<Presence>(this.store.keys.presence(node));
    const presence: Presence = { node, onlineSince: current?.value.onlineSince ?? new Date().toISOString(), ttlSeconds: ttl };
    const lease = this.store.etcd.lease(ttl, { autoKeepAlive: false });
    lease.on('lost', () => this.leases.get(node)?.lease === lease && this.leases.delete(node));
    try {
      await lease.put(this.store.keys.presence(node)).value(JSON.stringify(presence)).exec();
    } catch (err) {
      lease.release();
      throw err;
    }
    this.leases.set(node, { lease, presence });
    return presence;
  }

  /** Drops this process's lease for a node (after Leave), without touching etcd. */
  forget(node: string): void {
    const held = this.leases.get(node);
    if (!held) return;
    this.leases.delete(node);
    held.lease.release();
  }

  close(): void {
    for (const node of [...this.leases.keys()]) this.forget(node);
  }
}
