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

  it('runs over the IPv6 addresses of the tunnel too', async () => {
    const v6: BfdPeerProcess[] = [];
    try {
      for (const [self, other] of [[tunnel.a, tunnel.b], [tunnel.b, tunnel.a]] as const) {
        // The peer written the long way (fd99:0:1:0::2): sessions must still match the kernel's short form.
        const peer = other.address6.replace('::', ':0::');
        v6.push(await startBfdPeer(self.garage.netns, { local: self.address6, peer, txMs: TX_MS, multiplier: MULTIPLIER, tempPrefix: topology.id }));
      }
      for (const end of v6) {
        const peer = await end.waitSettled(15_000);
        expect(peer.state).toBe('Up');
        expect(peer.detectionTimeUs).toBe(MULTIPLIER * TX_MS * 1000);
      }
      expect((v6[0]!.child.lines.find((l) => l.event === 'state' && l.to === 'Up') as Record<string, unknown>).peer).toBe(tunnel.b.address6);
    } finally {
      for (const end of v6) await end.stop();
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
    for (const end of ends) expect((await end.waitSettled(15_000)).state).toBe('Up');
    // It comes back without a flap (the slow one-second rate below Up hands over to 50 ms at once) and stays Up.
    await new Promise((resolve) => setTimeout(resolve, 10 * MULTIPLIER * TX_MS));
    for (const [i, end] of ends.entries()) {
      const changes = end.child.lines.slice(restoreMarks[i]).filter((l) => l.event === 'state');
      expect(changes.map((l) => l.to)).not.toContain('Down');
      expect(changes.at(-1)?.to).toBe('Up');
    }
  });
});
