import type { NetnsChild } from './netns-process.js';
import { spawnInNetns } from './netns-process.js';

type Line = Record<string, unknown>;

/** A BFD session run by bfd-peer-main inside a namespace, as tests and benchmarks drive it. */
export interface BfdPeerProcess {
  child: NetnsChild;
  /** Asks for status until the session is Up on the fast timers; returns the last status of the peer. */
  waitSettled(timeoutMs: number): Promise<Line>;
  /** The first state change to `to` that arrived after `sinceIndex` (an index into child.lines). */
  waitState(to: string, sinceIndex: number, timeoutMs: number): Promise<Line>;
  stop(): Promise<void>;
}

export async function startBfdPeer(
  netns: string,
  options: {
    local: string;
    peer: string;
    txMs: number;
    multiplier: number;
    tempPrefix: string;
    /** Remove this route on Down and restore it on Up (what the agent will have BGP do). */
    route?: { prefix: string; dev: string; metric: number };
  },
): Promise<BfdPeerProcess> {
  const child = await spawnInNetns(netns, 'node/test-support/bfd-peer-main.ts', {
    args: [
      options.local,
      options.peer,
      String(options.txMs),
      String(options.txMs),
      String(options.multiplier),
      ...(options.route === undefined ? [] : [options.route.prefix, options.route.dev, String(options.route.metric)]),
    ],
    tempPrefix: options.tempPrefix,
  });
  await child.waitFor((l) => l.event === 'ready', 15_000);
  return {
    child,
    async waitSettled(timeoutMs: number): Promise<Line> {
      const deadline = Date.now() + timeoutMs;
      let peer: Line = {};
      while (Date.now() < deadline) {
        const before = child.lines.length;
        child.send('status');
        const status = await child.waitFor((l) => l.event === 'status' && child.lines.indexOf(l) >= before, 5_000);
        peer = (status.peers as Line[])[0] ?? {};
        const settled =
          peer.state === 'Up' &&
          peer.transmitIntervalUs === options.txMs * 1000 &&
          peer.detectionTimeUs === options.multiplier * options.txMs * 1000;
        if (settled) return peer;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`BFD ${options.local} -> ${options.peer} did not settle Up within ${timeoutMs} ms: ${JSON.stringify(peer)}`);
    },
    waitState(to: string, sinceIndex: number, timeoutMs: number): Promise<Line> {
      return child.waitFor((l) => l.event === 'state' && l.to === to && child.lines.indexOf(l) >= sinceIndex, timeoutMs);
    },
    stop: () => child.stop(),
  };
}
