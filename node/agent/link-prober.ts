import { probeLatency } from './probe.js';
import { LinkWindow, type LinkQuality } from './link-window.js';

/**
 * One echo to every peer's production loopback every few seconds, through
 * its tunnel, so that ListTunnels answers latency and loss from a window
 * instead of probing on every call. At most `concurrency` echoes at a time.
 */

const PROBE_INTERVAL_MS = 5000;

export interface ProbedPeer {
  readonly name: string;
  readonly loopback: string;
}

export class LinkProber {
  private readonly window = new LinkWindow();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly source: string,
    private readonly peers: () => readonly ProbedPeer[],
    private readonly options: { intervalMs?: number; concurrency?: number } = {},
  ) {}

  start(): void {
    const tick = (): void => {
      if (this.closed) return;
      this.round = this.probeAll().finally(() => {
        if (!this.closed) this.timer = setTimeout(tick, this.options.intervalMs ?? PROBE_INTERVAL_MS);
      });
    };
    tick();
  }

  quality(peer: string): LinkQuality {
    return this.window.quality(peer);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.round;
  }

  private async probeAll(): Promise<void> {
    const peers = [...this.peers()];
    this.window.keepOnly(new Set(peers.map((p) => p.name)));
    const concurrency = this.options.concurrency ?? 4;
    for (let i = 0; i < peers.length && !this.closed; i += concurrency) {
      await Promise.all(peers.slice(i, i + concurrency).map(async (peer) => {
        this.window.record(peer.name, await probeLatency(this.source, peer.loopback));
      }));
    }
  }
}
