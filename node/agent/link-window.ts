/**
 * The last probes to each peer's loopback: latency is the median of the
 * answered ones, loss the share unanswered. A peer's window opens at its
 * first answer: probes sent while its tunnel was still being built are not
 * loss. Pure bookkeeping; link-prober.ts sends the probes.
 */

const WINDOW_PROBES = 12;

export interface LinkQuality {
  /** Median round trip of the answered probes; absent when none was answered. */
  readonly latencyMs?: number;
  readonly loss: number;
  readonly probes: number;
}

export class LinkWindow {
  private readonly results = new Map<string, Array<number | null>>();

  constructor(private readonly size: number = WINDOW_PROBES) {}

  /** `rttMs` null: the probe went unanswered. */
  record(peer: string, rttMs: number | null): void {
    const list = this.results.get(peer);
    if (list === undefined && rttMs === null) return;
    if (list === undefined) {
      this.results.set(peer, [rttMs]);
      return;
    }
    list.push(rttMs);
    if (list.length > this.size) list.shift();
  }

  /** Peers that left are forgotten. */
  keepOnly(peers: ReadonlySet<string>): void {
    for (const peer of this.results.keys()) if (!peers.has(peer)) this.results.delete(peer);
  }

  quality(peer: string): LinkQuality {
    const list = this.results.get(peer) ?? [];
    const answered = list.filter((r): r is number => r !== null).sort((a, b) => a - b);
    const loss = list.length === 0 ? 0 : (list.length - answered.length) / list.length;
    if (answered.length === 0) return { loss, probes: list.length };
    const mid = answered.length >> 1;
    const median = answered.length % 2 === 1 ? answered[mid]! : (answered[mid - 1]! + answered[mid]!) / 2;
    return { latencyMs: Math.round(median * 1000) / 1000, loss, probes: list.length };
  }
}

export type TunnelState = 'up' | 'connecting' | 'down';

/** A WireGuard handshake is redone every 2 minutes while traffic flows; older than 3 means the tunnel is quiet. */
const RECENT_HANDSHAKE_SECONDS = 180;

/** Up is BFD's word (it runs across the tunnel); a recent handshake without BFD up is a tunnel still coming up. */
export function tunnelState(bfd: string, handshakeAgeSeconds: number | null): TunnelState {
  if (bfd === 'Up') return 'up';
  if (handshakeAgeSeconds !== null && handshakeAgeSeconds <= RECENT_HANDSHAKE_SECONDS) return 'connecting';
  return 'down';
}
