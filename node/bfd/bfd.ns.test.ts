import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnInNetns, type NetnsChild } from '../test-support/netns-process.js';
import { buildTopology, type Topology } from '../test-support/topology.js';
import { connectGarages, type Tunnel } from '../test-support/tunnels.js';

const TX_MS = 50;
const MULTIPLIER = 3;

type Line = Record<string, unknown>;
const isState = (to: string) => (line: Line): boolean => line.event === 'state' && line.to === to;

/** Asks for status until the Poll Sequences have settled on the fast timers (or gives up after `tries`). */
async function settledStatus(child: NetnsChild, tries = 20): Promise<Line> {
  let last: Line = {};
  for (let i = 0; i < tries; i++) {
    const before = child.lines.length;
    child.send('status');
    last = await child.waitFor((l) => l.event === 'status' && child.lines.indexOf(l) >= before, 5_000);
    const peer = (last.peers as Line[])[0];
    if (peer?.state === 'Up' && peer.transmitIntervalUs === TX_MS * 1000 && peer.detectionTimeUs === MULTIPLIER * TX_MS * 1000) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

describe('BFD over a wireguard-go tunnel between two garages', () => {
  let topology: Topology;
  let tunnel: Tunnel;
  let a: NetnsChild;
  let b: NetnsChild;

  beforeAll(async () => {
    topology = await buildTopology({ garages: 2 });
    tunnel = await connectGarages(topology, topology.garages[0]!, topology.garages[1]!);
    const args = (self: Tunnel['a'], other: Tunnel['a']): string[] => [self.address, other.address, String(TX_MS), String(TX_MS), String(MULTIPLIER)];
    a = await spawnInNetns(tunnel.a.garage.netns, 'node/test-support/bfd-peer-main.ts', { args: args(tunnel.a, tunnel.b), tempPrefix: topology.id });
    b = await spawnInNetns(tunnel.b.garage.netns, 'node/test-support/bfd-peer-main.ts', { args: args(tunnel.b, tunnel.a), tempPrefix: topology.id });
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await tunnel?.close();
    await topology?.teardown();
  });

  it('comes Up on both ends and settles on the negotiated fast timers', async () => {
    await a.waitFor(isState('Up'), 15_000);
    await b.waitFor(isState('Up'), 15_000);
    for (const child of [a, b]) {
      const peer = ((await settledStatus(child)).peers as Line[])[0]!;
      expect(peer.state).toBe('Up');
      expect(peer.transmitIntervalUs).toBe(TX_MS * 1000);
      // Detection time = remote multiplier × max(local required rx, remote desired tx).
      expect(peer.detectionTimeUs).toBe(MULTIPLIER * Math.max(TX_MS, TX_MS) * 1000);
    }
  });

  it('goes Down with "detection time expired" on both ends when the line is cut, then Up again when restored', async () => {
    const downsBefore = [a, b].map((c) => c.lines.filter(isState('Down')).length);
    await topology.cutLine(1);
    const downs = await Promise.all(
      [a, b].map((child, i) => child.waitFor((l) => isState('Down')(l) && child.lines.filter(isState('Down')).indexOf(l) >= downsBefore[i]!, 10_000)),
    );
    for (const down of downs) {
      expect(down.from).toBe('Up');
      expect(down.diagnostic).toBe('ControlDetectionTimeExpired');
      // The bound the agent relies on: well under a second, from the negotiated parameters.
      expect(down.detectionTimeUs).toBe(MULTIPLIER * TX_MS * 1000);
      expect(down.detectionTimeUs as number).toBeLessThan(1_000_000);
    }
    const upsBefore = [a, b].map((c) => c.lines.filter(isState('Up')).length);
    await topology.restoreLine(1);
    for (const [i, child] of [a, b].entries()) {
      await child.waitFor((l) => isState('Up')(l) && child.lines.filter(isState('Up')).indexOf(l) >= upsBefore[i]!, 15_000);
    }
    const status = ((await settledStatus(a)).peers as Line[])[0]!;
    expect(status.state).toBe('Up');
  });
});
