import type { Logger } from '../../common/log.js';
import { BfdState } from '../bfd/codec.js';
import { BfdEndpoint, type BfdPeerStatus } from '../bfd/transport.js';
import type { BfdTimers } from '../bfd/session.js';

/**
 * BFD on every tunnel, between production loopbacks (the host route sends it
 * through that tunnel only). When a session that was Up goes Down, the
 * tunnel's BGP sessions are torn down at once, so traffic moves to another
 * path in well under a second instead of waiting for the hold timer.
 */

/** 150 ms x 4: detection in 600 ms, with room for a busy shared machine. */
export const BFD_TIMERS: BfdTimers = { desiredMinTxUs: 150_000, requiredMinRxUs: 150_000, detectMultiplier: 4 };

export class TunnelHealth {
  private readonly endpoint = new BfdEndpoint();
  /** BFD peer address -> peer name. */
  private readonly peers = new Map<string, string>();

  constructor(private readonly localAddress: string, onDown: (peer: string) => void, onUp: (peer: string) => void, log: Logger) {
    this.endpoint.on('state', (event) => {
      const peer = this.peers.get(event.peer);
      if (peer === undefined) return;
      if (event.from === BfdState.Up && event.to !== BfdState.Up) {
        log.warn({ peer, detectionTimeUs: event.detectionTimeUs }, 'tunnel failed: taking its BGP sessions down');
        onDown(peer);
      } else if (event.to === BfdState.Up) {
        onUp(peer);
      }
    });
  }

  /** Starts BFD with the peer unless it runs already. */
  async add(peer: string, address: string): Promise<void> {
    if (this.peers.has(address)) return;
    this.peers.set(address, peer);
    await this.endpoint.addPeer(address, { localAddress: this.localAddress, timers: BFD_TIMERS });
  }

  async remove(address: string): Promise<void> {
    this.peers.delete(address);
    await this.endpoint.removePeer(address);
  }

  /** BFD status by peer name. */
  status(): Map<string, BfdPeerStatus> {
    const byName = new Map<string, BfdPeerStatus>();
    for (const s of this.endpoint.status()) {
      const name = this.peers.get(s.peer);
      if (name !== undefined) byName.set(name, s);
    }
    return byName;
  }

  /** What node/metrics reads at scrape time. */
  metricsView(): { sessions: Array<BfdPeerStatus & { tunnelPeer: string }>; droppedPackets: number } {
    const sessions = this.endpoint.status().flatMap((s) => {
      const tunnelPeer = this.peers.get(s.peer);
      return tunnelPeer === undefined ? [] : [{ ...s, tunnelPeer }];
    });
    return { sessions, droppedPackets: this.endpoint.dropped };
  }

  async close(): Promise<void> {
    await this.endpoint.close();
  }
}
