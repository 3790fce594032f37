import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../system/run.js';
import { buildTopology, namespacesWithPrefix, type Topology } from '../test-support/topology.js';
import { connectGarages, type Tunnel } from '../test-support/tunnels.js';
import { socketPath } from './userspace.js';
import { showDump } from './wg.js';

async function ping(netns: string, address: string): Promise<boolean> {
  try {
    await run('ping', ['-c', '1', '-W', '2', address], { netns });
    return true;
  } catch {
    return false;
  }
}

/** Pings until one answers or `tries` run out: the first packet of a tunnel waits for the handshake. */
async function pingUntil(netns: string, address: string, tries = 5): Promise<boolean> {
  for (let i = 0; i < tries; i++) if (await ping(netns, address)) return true;
  return false;
}

describe('WireGuard tunnels between garage namespaces (wireguard-go)', () => {
  let topology: Topology;
  let direct: Tunnel;
  let natted: Tunnel;

  beforeAll(async () => {
    topology = await buildTopology({ garages: 3, natted: [2] });
    const [g0, g1, g2] = topology.garages as [NonNullable<Topology['garages'][0]>, NonNullable<Topology['garages'][0]>, NonNullable<Topology['garages'][0]>];
    direct = await connectGarages(topology, g0, g1);
    natted = await connectGarages(topology, g0, g2, { keepalive: 1 });
  });

  afterAll(async () => {
    const id = topology?.id;
    await direct?.close();
    await natted?.close();
    await topology?.teardown();
    if (id !== undefined) expect(await namespacesWithPrefix(id)).toEqual([]);
  });

  it('creates wireguard-go interfaces (the kernel here has no WireGuard) with 0600 private keys', async () => {
    expect(direct.a.interface.implementation).toBe('wireguard-go');
    expect((await stat(socketPath(direct.a.interface.name))).isSocket()).toBe(true);
    expect((await stat(direct.a.privateKeyFile)).mode & 0o777).toBe(0o600);
  });

  it('completes a handshake and pings through the tunnel over IPv4 and IPv6', async () => {
    const { a, b } = direct;
    expect(await pingUntil(a.garage.netns, b.address)).toBe(true);
    expect(await pingUntil(a.garage.netns, b.address6)).toBe(true);
    const dump = await showDump({ interfaceName: a.interface.name, netns: a.garage.netns });
    expect(dump.interface.publicKey).toBe(a.publicKey);
    expect(dump.interface.listenPort).toBe(a.listenPort);
    const peer = dump.peers[0];
    expect(peer?.publicKey).toBe(b.publicKey);
    expect(peer?.endpoint).toBe(`${b.garage.publicAddress}:${b.listenPort}`);
    expect(peer?.latestHandshake).not.toBeNull();
    expect(peer?.rxBytes).toBeGreaterThan(0);
    expect(peer?.txBytes).toBeGreaterThan(0);
  });

  it('reaches a garage behind NAT: it dials out with keepalives and the other side learns its NATed endpoint', async () => {
    const { a: open, b: behindNat } = natted;
    // The NATed side's keepalive opens the mapping; the open side has no endpoint until then.
    expect(await pingUntil(behindNat.garage.netns, open.address)).toBe(true);
    expect(await pingUntil(open.garage.netns, behindNat.address)).toBe(true);
    expect(await pingUntil(open.garage.netns, behindNat.address6)).toBe(true);
    const seen = (await showDump({ interfaceName: open.interface.name, netns: open.garage.netns })).peers[0];
    // The endpoint is the NAT's public address, not the garage's private one.
    expect(seen?.endpoint?.startsWith(`${behindNat.garage.publicAddress}:`)).toBe(true);
    expect(behindNat.garage.lineAddress).not.toBe(behindNat.garage.publicAddress);
    const own = (await showDump({ interfaceName: behindNat.interface.name, netns: behindNat.garage.netns })).peers[0];
    expect(own?.persistentKeepalive).toBe(1);
  });

  it('cutting a line stops the tunnel and restoring it brings it back', async () => {
    const { a, b } = direct;
    await topology.cutLine(b.garage.index);
    expect(await ping(a.garage.netns, b.address)).toBe(false);
    await topology.restoreLine(b.garage.index);
    expect(await pingUntil(a.garage.netns, b.address)).toBe(true);
  });
});
