import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../system/run.js';
import { findWireguardGo, startWireguardGo, WIREGUARD_SOCKET_DIR } from '../wireguard/userspace.js';
import { buildTopology, cleanupByPrefix, namespacesWithPrefix, type Topology } from './topology.js';

async function reaches(netns: string, address: string): Promise<boolean> {
  try {
    await run('ping', ['-c', '1', '-W', '1', address], { netns });
    return true;
  } catch {
    return false;
  }
}

describe('namespace topology', () => {
  let topology: Topology;

  beforeAll(async () => {
    topology = await buildTopology({ garages: 3, natted: [2], labs: true });
  });

  afterAll(async () => {
    await topology?.teardown();
  });

  it('names everything with its id and keeps interface names within 15 characters', async () => {
    const names = await namespacesWithPrefix(topology.id);
    expect(names.sort()).toEqual(
      [`${topology.id}-inet`, ...[0, 1, 2].flatMap((i) => [`${topology.id}-g${i}`, `${topology.id}-lab${i}`]), `${topology.id}-nat2`].sort(),
    );
    expect(topology.interfaceName('-01').length).toBeLessThanOrEqual(15);
    expect(() => topology.interfaceName('-this-is-too-long')).toThrow(/longer than 15/);
  });

  it('routes between garages over their lines, and lab hosts reach their garage over IPv4 and IPv6', async () => {
    const [g0, g1] = topology.garages;
    expect(await reaches(g0!.netns, g1!.lineAddress)).toBe(true);
    for (const garage of topology.garages) {
      expect(await reaches(garage.lab!.netns, garage.lan.gateway)).toBe(true);
      expect(await reaches(garage.lab!.netns, garage.lan.gateway6)).toBe(true);
    }
    // Lab LANs are not routed by the internet: only the mesh will carry them.
    expect(await reaches(g0!.lab!.netns, g1!.lab!.address)).toBe(false);
  });

  it('puts the NATed garage behind a masquerading NAT: it reaches out, nobody reaches in', async () => {
    const [g0, , natted] = topology.garages;
    expect(natted!.natted).toBe(true);
    expect(natted!.lineAddress).not.toBe(natted!.publicAddress);
    expect(await reaches(natted!.netns, g0!.lineAddress)).toBe(true);
    expect(await reaches(g0!.netns, natted!.lineAddress)).toBe(false);
    const conntrack = await run('conntrack', ['-L', '-p', 'icmp'], { netns: natted!.natNetns! }).catch((err: Error) => err.message);
    expect(conntrack).toContain(`src=${natted!.lineAddress}`);
  });

  it('cuts a line with a drop rule in the internet namespace and restores it', async () => {
    const [g0, g1] = topology.garages;
    await topology.cutLine(1);
    expect(await reaches(g0!.netns, g1!.lineAddress)).toBe(false);
    await topology.restoreLine(1);
    expect(await reaches(g0!.netns, g1!.lineAddress)).toBe(true);
  });

  it('cuts only the path between two garages, which still reach a third', async () => {
    const [g0, g1, g2] = topology.garages;
    await topology.cutPath(0, 1);
    expect(await reaches(g0!.netns, g1!.lineAddress)).toBe(false);
    expect(await reaches(g1!.netns, g0!.lineAddress)).toBe(false);
    expect(await reaches(g0!.netns, g2!.publicAddress)).toBe(true);
    expect(await reaches(g1!.netns, g2!.publicAddress)).toBe(true);
    await topology.restorePath(0, 1);
    expect(await reaches(g0!.netns, g1!.lineAddress)).toBe(true);
  });

  it('cleans up the leftovers of a crashed run by prefix: namespaces, wireguard-go processes and sockets', async () => {
    const crashed = await buildTopology({ prefix: 'gnc', garages: 1 });
    const name = crashed.interfaceName('-x');
    await startWireguardGo(name, { netns: crashed.garages[0]!.netns });
    expect(await findWireguardGo((n) => n === name)).toHaveLength(1);
    // The "crashed" run never calls its teardown: a later run cleans by its prefix.
    await cleanupByPrefix(crashed.id);
    expect(await namespacesWithPrefix(crashed.id)).toEqual([]);
    expect(await findWireguardGo((n) => n === name)).toEqual([]);
    expect((await readdir(WIREGUARD_SOCKET_DIR)).filter((s) => s.startsWith(crashed.id))).toEqual([]);
  });
});
