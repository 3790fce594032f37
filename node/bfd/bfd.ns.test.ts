import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBfdPeer, type BfdPeerProcess } from '../test-support/bfd-peer.js';
import { buildTopology, type Topology } from '../test-support/topology.js';
import { connectGarages, type Tunnel } from '../test-support/tunnels.js';

const TX_MS = 50;
const MULTIPLIER = 3;

describe('BFD over a wireguard-go tunnel between two garages', () => {
  let topology: Topology;
  let tunnel: Tunnel;
  let ends: BfdPeerProcess[] = [];

  beforeAll(async () => {
    topology = await buildTopology({ garages: 2 });
    tunnel = await connectGarages(topology, topology.garages[0]!, topology.garages[1]!);
    for (const [self, other] of [[tunnel.a, tunnel.b], [tunnel.b, tunnel.a]] as const) {
      ends.push(await startBfdPeer(self.garage.netns, { local: self.address, peer: other.address, txMs: TX_MS, multiplier: MULTIPLIER, tempPrefix: topology.id }));
    }
  });

  afterAll(async () => {
    for (const end of ends) await end.stop();
    await tunnel?.close();
    await topology?.teardown();
  });

  it('comes Up on both ends and settles on the negotiated fast timers', async () => {
    for (const end of ends) {
      const up = await end.waitState('Up', 0, 15_000);
      expect(up.from === 'Down' || up.from === 'Init').toBe(true);
      const peer = await end.waitSettled(15_000);
      expect(peer.state).toBe('Up');
      expect(peer.transmitIntervalUs).toBe(TX_MS * 1000);
      // Detection time = remote multiplier × max(local required rx, remote desired tx).
      expect(peer.detectionTimeUs).toBe(MULTIPLIER * Math.max(TX_MS, TX_MS) * 1000);
    }
  });

  it('goes Down with "detection time expired" on both ends when the line is cut, then Up again when restored', async () => {
    const marks = ends.map((end) => end.child.lines.length);
    await topology.cutLine(1);
    const downs = await Promise.all(ends.map((end, i) => end.waitState('Down', marks[i]!, 10_000)));
    for (const down of downs) {
      expect(down.from).toBe('Up');
      expect(down.diagnostic).toBe('ControlDetectionTimeExpired');
      // The bound the agent relies on: well under a second, from the negotiated parameters.
      expect(down.detectionTimeUs).toBe(MULTIPLIER * TX_MS * 1000);
      expect(down.detectionTimeUs as number).toBeLessThan(1_000_000);
    }
    const restoreMarks = ends.map((end) => end.child.lines.length);
    await topology.restoreLine(1);
    for (const [i, end] of ends.entries()) await end.waitState('Up', restoreMarks[i]!, 15_000);
    expect((await ends[0]!.waitSettled(15_000)).state).toBe('Up');
  });
});
