import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../system/run.js';
import { buildTopology, type Garage, type Topology } from '../test-support/topology.js';
import { generateKeyFile } from '../wireguard/keys.js';
import { findWireguardGo, socketPath } from '../wireguard/userspace.js';
import { setInterfaceKey } from '../wireguard/wg.js';
import { readStateFile, writeStateFile } from '../state/state-file.js';
import { tunnelsFile } from '../state/layout.js';
import { deleteTunnelInterface } from '../wireguard/tunnel-interface.js';
import { reconcileTunnels } from './apply.js';
import { keepPresentTunnels } from './present.js';
import type { TunnelSpec } from './plan.js';

interface Node {
  garage: Garage;
  keyFile: string;
  publicKey: string;
  current: TunnelSpec[];
}

async function ping(netns: string, address: string, tries = 5): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    try {
      await run('ping', ['-c', '1', '-W', '1', address], { netns });
      return true;
    } catch {
      // the first packet waits for the handshake
    }
  }
  return false;
}

async function ifindex(netns: string, name: string): Promise<number> {
  return (JSON.parse(await run('ip', ['-j', 'link', 'show', name], { netns })) as Array<{ ifindex: number }>)[0]!.ifindex;
}

describe('tunnel reconciliation between three garages', () => {
  let topology: Topology;
  let nodes: Node[];
  /** The port a node listens on for `peer` (plus 100 once moved). */
  const port = (peer: Node, moved = false): number => 51000 + peer.garage.index + (moved ? 100 : 0);
  const address = (n: Node, peer: Node): string => {
    const [lo, hi] = [n.garage.index, peer.garage.index].sort();
    return `10.255.${lo! * 16 + hi!}.${n.garage.index < peer.garage.index ? 0 : 1}`;
  };
  const spec = (n: Node, peer: Node, overrides: { movedPort?: boolean; peerMoved?: boolean } = {}): TunnelSpec => ({
    peer: `garage-${peer.garage.index}`,
    interfaceName: topology.interfaceName(`-${n.garage.index}${peer.garage.index}`),
    listenPort: port(peer, overrides.movedPort),
    peerPublicKey: peer.publicKey,
    endpoint: `${peer.garage.publicAddress}:${port(n, overrides.peerMoved)}`,
    keepalive: 0,
    addresses: [`${address(n, peer)}/31`],
  });

  beforeAll(async () => {
    topology = await buildTopology({ garages: 3 });
    const keys = await mkdtemp(join(tmpdir(), `${topology.id}-keys-`));
    nodes = [];
    for (const garage of topology.garages) {
      const keyFile = join(keys, `${garage.index}.key`);
      nodes.push({ garage, keyFile, ...(await generateKeyFile(keyFile)), current: [] });
    }
  });

  afterAll(async () => {
    await topology?.teardown();
  });

  async function reconcile(n: Node, desired: TunnelSpec[]): Promise<Awaited<ReturnType<typeof reconcileTunnels>>> {
    const result = await reconcileTunnels(n.current, desired, { netns: n.garage.netns, privateKeyFile: n.keyFile });
    n.current = result.current;
    return result;
  }

  it('builds one tunnel per peer from nothing', async () => {
    const [n0, n1, n2] = nodes as [Node, Node, Node];
    expect((await reconcile(n0, [spec(n0, n1), spec(n0, n2)])).applied.map((c) => c.kind)).toEqual(['create', 'create']);
    await reconcile(n1, [spec(n1, n0)]);
    await reconcile(n2, [spec(n2, n0)]);
    expect(await ping(n0.garage.netns, address(n1, n0))).toBe(true);
    expect(await ping(n0.garage.netns, address(n2, n0))).toBe(true);
  });

  it('follows a peer that moved its port and one that rotated its key, touching nothing else', async () => {
    const [n0, n1, n2] = nodes as [Node, Node, Node];
    const untouched = spec(n0, n2).interfaceName;
    const indexBefore = await ifindex(n0.garage.netns, untouched);
    const pidBefore = (await findWireguardGo((name) => name === untouched))[0]?.pid;

    expect((await reconcile(n1, [spec(n1, n0, { movedPort: true })])).applied.map((c) => c.kind)).toEqual(['recreate']);
    expect((await reconcile(n0, [spec(n0, n1, { peerMoved: true }), spec(n0, n2)])).applied.map((c) => c.kind)).toEqual(['update-peer']);
    expect(await ping(n0.garage.netns, address(n1, n0))).toBe(true);

    const rotated = await generateKeyFile(`${n1.keyFile}.new`);
    await setInterfaceKey({ interfaceName: spec(n1, n0).interfaceName, netns: n1.garage.netns }, { privateKeyFile: `${n1.keyFile}.new` });
    n1.publicKey = rotated.publicKey;
    expect((await reconcile(n0, [spec(n0, n1, { peerMoved: true }), spec(n0, n2)])).applied.map((c) => c.kind)).toEqual(['replace-key']);
    expect(await ping(n0.garage.netns, address(n1, n0))).toBe(true);

    expect(await ifindex(n0.garage.netns, untouched)).toBe(indexBefore);
    expect((await findWireguardGo((name) => name === untouched))[0]?.pid).toBe(pidBefore);
    expect(await ping(n0.garage.netns, address(n2, n0))).toBe(true);
  });

  it('reports a bad peer without stopping the others', async () => {
    const [n0, n1, n2] = nodes as [Node, Node, Node];
    const bad = { ...spec(n0, n2), peerPublicKey: 'not-a-key' };
    const result = await reconcile(n0, [spec(n0, n1, { peerMoved: true }), bad]);
    expect(result.errors).toEqual([{ peer: 'garage-2', change: 'replace-key', message: expect.stringMatching(/not a WireGuard public key/) }]);
    // The failed peer keeps its previous, working tunnel.
    expect(result.current.find((s) => s.peer === 'garage-2')?.peerPublicKey).toBe(n2.publicKey);
    expect(await ping(n0.garage.netns, address(n2, n0))).toBe(true);
  });

  it('restarts from the saved tunnel list: live tunnels are left alone, a lost one is made anew', async () => {
    const [n0, n1, n2] = nodes as [Node, Node, Node];
    const stateDir = await mkdtemp(join(tmpdir(), `${topology.id}-state-`));
    const desired = [spec(n0, n1, { peerMoved: true }), spec(n0, n2)];
    await writeStateFile(stateDir, tunnelsFile, n0.current);
    // "Restart": the agent forgets everything but the state directory.
    const saved = (await readStateFile(stateDir, tunnelsFile))!;
    expect(saved).toEqual(n0.current);
    const live = await keepPresentTunnels(saved, { netns: n0.garage.netns });
    expect(live.map((s) => s.peer).sort()).toEqual(['garage-1', 'garage-2']);
    expect((await reconcileTunnels(live, desired, { netns: n0.garage.netns, privateKeyFile: n0.keyFile })).applied).toEqual([]);

    // A tunnel lost while the agent was away (its wireguard-go killed) is recreated; the other is not touched.
    const lost = spec(n0, n2).interfaceName;
    const keptIndex = await ifindex(n0.garage.netns, spec(n0, n1).interfaceName);
    await deleteTunnelInterface({ name: lost, netns: n0.garage.netns });
    const survivors = await keepPresentTunnels(saved, { netns: n0.garage.netns });
    expect(survivors.map((s) => s.peer)).toEqual(['garage-1']);
    const result = await reconcileTunnels(survivors, desired, { netns: n0.garage.netns, privateKeyFile: n0.keyFile });
    expect(result.applied.map((c) => `${c.kind} ${c.spec.peer}`)).toEqual(['create garage-2']);
    n0.current = result.current;
    expect(await ping(n0.garage.netns, address(n2, n0))).toBe(true);
    expect(await ifindex(n0.garage.netns, spec(n0, n1).interfaceName)).toBe(keptIndex);
  });

  it('removes the tunnel of a peer that left: interface, wireguard-go process and socket', async () => {
    const [n0, n1, n2] = nodes as [Node, Node, Node];
    const gone = spec(n0, n2).interfaceName;
    const result = await reconcile(n0, [spec(n0, n1, { peerMoved: true })]);
    expect(result.applied.map((c) => c.kind)).toEqual(['delete']);
    expect(result.current.map((s) => s.peer)).toEqual(['garage-1']);
    await expect(run('ip', ['link', 'show', gone], { netns: n0.garage.netns })).rejects.toThrow(/does not exist/);
    expect(await findWireguardGo((name) => name === gone)).toEqual([]);
    expect(existsSync(socketPath(gone))).toBe(false);
    expect(await ping(n0.garage.netns, address(n1, n0))).toBe(true);
    await reconcile(n2, []);
  });
});
