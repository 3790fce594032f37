import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnInNetns, type NetnsChild } from '../test-support/netns-process.js';
import { buildTopology, type Topology } from '../test-support/topology.js';
import { connectGarages, type Tunnel } from '../test-support/tunnels.js';
import { generateKeyFile } from './keys.js';
import { replacePeerKey, setInterfaceKey, showDump } from './wg.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
type Line = Record<string, unknown>;

describe('WireGuard key rotation, make-before-break', () => {
  let topology: Topology;
  let tunnel: Tunnel;
  let probes: NetnsChild[] = [];

  beforeAll(async () => {
    topology = await buildTopology({ garages: 2 });
    tunnel = await connectGarages(topology, topology.garages[0]!, topology.garages[1]!);
    const args = (other: Tunnel['a']): string[] => ['7000', other.address, '7000', '1', '4000'];
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

  it('rotates the key of one side while 1 ms probes flow both ways, losing none', async () => {
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
      expect(sent.count as number).toBeGreaterThan(500);
    }
    await sleep(200);
    for (const probe of probes) {
      probe.send('report');
      reports.push(await probe.waitFor((l) => l.event === 'report', 5_000));
    }
    const sentCounts = probes.map((p) => p.lines.find((l) => l.event === 'sent')!.count as number);
    // Each side received every probe the other side sent, in order.
    expect(reports[0]!.received).toBe(sentCounts[1]);
    expect(reports[1]!.received).toBe(sentCounts[0]);
    for (const report of reports) {
      expect(report.lost).toBe(0);
      expect(report.firstSeq).toBe(0);
    }
    // And the tunnel now runs on the new key: the peer knows only the new one, with a fresh handshake.
    const dump = await showDump(peer);
    expect(dump.peers.map((p) => p.publicKey)).toEqual([publicKey]);
    expect(dump.peers[0]?.latestHandshake).not.toBeNull();
    expect((await showDump(rotating)).interface.publicKey).toBe(publicKey);
  });
});
