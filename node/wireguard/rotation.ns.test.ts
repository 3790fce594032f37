import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnInNetns, type NetnsChild } from '../test-support/netns-process.js';
import { buildTopology, type Topology } from '../test-support/topology.js';
import { connectGarages, type Tunnel } from '../test-support/tunnels.js';
import { generateKeyFile } from './keys.js';
import { run } from '../system/run.js';
import { peerKeySwap, replacePeerKey, setInterfaceKey, showDump } from './wg.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
type Line = Record<string, unknown>;
const PROBE_INTERVAL_MS = 4;

describe('WireGuard key rotation, make-before-break', () => {
  let topology: Topology;
  let tunnel: Tunnel;
  let probes: NetnsChild[] = [];

  beforeAll(async () => {
    topology = await buildTopology({ garages: 2 });
    tunnel = await connectGarages(topology, topology.garages[0]!, topology.garages[1]!);
    // Lossless only if the peer swaps the key before the rotating node's staging queue (128 packets) overflows
    // (see replacePeerKey): at 4 ms per probe that is half a second, room for a loaded machine to run `wg set`.
    // bench/key-rotation measures the same at 1 ms, where the window is about 128 ms.
    const args = (other: Tunnel['a']): string[] => ['7000', other.address, '7000', String(PROBE_INTERVAL_MS), '4000'];
    probes = [
      await spawnInNetns(tunnel.a.garage.netns, 'node/test-support/udp-probe-main.ts', { args: args(tunnel.b), tempPrefix: topology.id }),
      await spawnInNetns(tunnel.b.garage.netns, 'node/test-support/udp-probe-main.ts', { args: args(tunnel.a), tempPrefix: topology.id }),
    ];
    for (const probe of probes) await probe.waitFor((l) => l.event === 'ready', 10_000);
  });

  afterAll(async () => {
    for (const probe of probes) await probe.stop();
    await tunnel?.close();
    await topology?.teardown();
  });

  it(`rotates the key of one side while ${PROBE_INTERVAL_MS} ms probes flow both ways, losing none`, async () => {
    const rotating = { interfaceName: tunnel.a.interface.name, netns: tunnel.a.garage.netns };
    const peer = { interfaceName: tunnel.b.interface.name, netns: tunnel.b.garage.netns };
    for (const probe of probes) probe.send('start');
    await sleep(500);
    const newKeyFile = join(dirname(tunnel.a.privateKeyFile), 'rotated.key');
    const { publicKey } = await generateKeyFile(newKeyFile);
    // The order that loses nothing: the rotating node first, the peer right after (see replacePeerKey).
    await setInterfaceKey(rotating, { privateKeyFile: newKeyFile });
    await replacePeerKey(peer, {
      oldPublicKey: tunnel.a.publicKey,
      peer: { publicKey, endpoint: `${tunnel.a.garage.publicAddress}:${tunnel.a.listenPort}`, allowedIps: ['0.0.0.0/0', '::/0'] },
    });
    await sleep(1_000);
    const reports: Line[] = [];
    for (const probe of probes) {
      probe.send('stop');
      const sent = await probe.waitFor((l) => l.event === 'sent', 5_000);
      expect(sent.count as number).toBeGreaterThan(1_000 / PROBE_INTERVAL_MS);
    }
    await sleep(200);
    for (const probe of probes) {
      probe.send('report');
      reports.push(await probe.waitFor((l) => l.event === 'report', 5_000));
    }
    const sentCounts = probes.map((p) => p.lines.find((l) => l.event === 'sent')!.count as number);
    // Each side received every probe the other side sent, from the first, with no gap.
    const outcome = (r: Line): Line => ({ received: r.received, lost: r.lost, firstSeq: r.firstSeq });
    expect(reports.map(outcome)).toEqual([
      { received: sentCounts[1], lost: 0, firstSeq: 0 },
      { received: sentCounts[0], lost: 0, firstSeq: 0 },
    ]);
    // And the tunnel now runs on the new key: the peer knows only the new one, with a fresh handshake.
    const dump = await showDump(peer);
    expect(dump.peers.map((p) => p.publicKey)).toEqual([publicKey]);
    expect(dump.peers[0]?.latestHandshake).not.toBeNull();
    expect((await showDump(rotating)).interface.publicKey).toBe(publicKey);
  });

  it('lets the rotating node speak first at any point of the swap: its packet gets through after each command', async () => {
    // A quiet node starts its handshake with its first packet, whenever that comes; the peer must route that
    // packet at every step. Its own tunnel, so that no probe has spoken since the key changed.
    const quiet = await connectGarages(topology, topology.garages[0]!, topology.garages[1]!, { instance: 1 });
    try {
      const rotating = { interfaceName: quiet.a.interface.name, netns: quiet.a.garage.netns };
      const peer = { interfaceName: quiet.b.interface.name, netns: quiet.b.garage.netns };
      // One echo: a dropped one stays lost however long ping waits, so the wait only covers a handshake on a loaded machine.
      const ping = (): Promise<string> =>
        run('ping', ['-c', '1', '-W', '3', quiet.b.address], { netns: rotating.netns }).then(
          () => 'through',
          () => 'lost',
        );
      expect(await ping()).toBe('through');
      const newKeyFile = join(dirname(quiet.a.privateKeyFile), 'rotated-quiet.key');
      const { publicKey } = await generateKeyFile(newKeyFile);
      await setInterfaceKey(rotating, { privateKeyFile: newKeyFile });
      const commands = peerKeySwap(peer.interfaceName, {
        oldPublicKey: quiet.a.publicKey,
        peer: { publicKey, endpoint: `${quiet.a.garage.publicAddress}:${quiet.a.listenPort}`, allowedIps: ['0.0.0.0/0', '::/0'] },
      });
      const outcomes: string[] = [];
      for (const args of commands) {
        await run('wg', args, { netns: peer.netns });
        outcomes.push(await ping());
      }
      expect(outcomes).toEqual(commands.map(() => 'through'));
    } finally {
      await quiet.close();
    }
  });
});
