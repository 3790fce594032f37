import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../system/run.js';
import type { Garage } from '../test-support/topology.js';
import { buildMeshLab, cli, joinLabGarage, ROOT, type MeshLab } from '../demo/mesh-lab.js';
import { eventually } from '../../common/test-support/eventually.js';

/**
 * A garage whose line is renumbered (its ISP hands it a new address) reports
 * its new endpoint to the registry by itself; the other garages retarget
 * their tunnel to it from the watch stream, in place, and no other tunnel is
 * touched.
 */

const pings = (netns: string, address: string): Promise<boolean> =>
  run('ping', ['-n', '-c', '1', '-W', '1', address], { netns }).then(() => true, () => false);

interface Joined {
  garage: Garage;
  name: string;
  loopback: string;
}

/** Interface name to ifindex for the node's tunnels: a recreated tunnel gets a new index. */
async function tunnelIndexes(netns: string): Promise<Record<string, number>> {
  const links = JSON.parse(await run('ip', ['-j', 'link', 'show'], { netns })) as { ifname: string; ifindex: number }[];
  return Object.fromEntries(links.filter((l) => l.ifname.startsWith('gn')).map((l) => [l.ifname, l.ifindex]));
}

async function tunnelTo(lab: MeshLab, from: Garage, peer: string): Promise<string> {
  const result = await cli(from.netns, ['status', '--json', '--state-dir', lab.stateDir(from)]);
  if (result.code !== 0) throw new Error(`status: ${result.stderr}`);
  const status = JSON.parse(result.stdout) as { peers: { name: string; interface: string }[] };
  return status.peers.find((p) => p.name === peer)!.interface;
}

/** What `wg show` has as the peer's endpoint on a tunnel (address:port). */
async function wgEndpoint(netns: string, tunnel: string): Promise<string> {
  return (await run('wg', ['show', tunnel, 'endpoints'], { netns })).trim().split('\t')[1] ?? '';
}

describe('a garage whose line is renumbered', () => {
  let lab: MeshLab;
  const joined: Joined[] = [];

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'node', 'cli', 'main.js'))) throw new Error('build first: npm run build');
    lab = await buildMeshLab({ prefix: 'gnep', garages: 3, meshName: 'ep' });
    for (const garage of lab.topology.garages) {
      const { identity } = await joinLabGarage(lab, garage);
      joined.push({ garage, name: identity.node.name, loopback: identity.node.productionLoopbackV4 });
    }
  });

  afterAll(async () => {
    await lab?.teardown();
  });

  it('reports its new endpoint; the others retarget their tunnel to it in place and traffic flows again', async () => {
    const [a, b, x] = [joined[0]!, joined[1]!, joined[2]!];
    for (const [from, to] of [[a, x], [b, x], [a, b]] as const) {
      expect(await eventually(() => pings(from.garage.netns, to.loopback), 15_000), `${from.name} -> ${to.name}`).toBe(true);
    }
    // Each peer dials x on a port of its own (derived from its slot); only the address may change.
    const portTowardsX = new Map<Joined, string>();
    for (const peer of [a, b]) portTowardsX.set(peer, /:\d+$/.exec(await wgEndpoint(peer.garage.netns, await tunnelTo(lab, peer.garage, x.name)))![0]);
    const indexesBefore = { a: await tunnelIndexes(a.garage.netns), b: await tunnelIndexes(b.garage.netns) };
    const abTunnel = await tunnelTo(lab, a.garage, b.name);
    const abEndpoint = await wgEndpoint(a.garage.netns, abTunnel);

    // The ISP moves garage x to another subnet: both ends of its line are renumbered.
    const k = x.garage.index;
    const [oldNet, newNet] = [`198.18.${k}`, `198.18.${100 + k}`];
    expect(x.garage.lineAddress).toBe(`${oldNet}.2`);
    const renumbered = Date.now();
    await run('ip', ['address', 'add', `${newNet}.1/24`, 'dev', `line${k}`], { netns: lab.topology.internet });
    await run('ip', ['address', 'del', `${oldNet}.1/24`, 'dev', `line${k}`], { netns: lab.topology.internet });
    await run('ip', ['address', 'add', `${newNet}.2/24`, 'dev', 'line'], { netns: x.garage.netns });
    await run('ip', ['address', 'del', `${oldNet}.2/24`, 'dev', 'line'], { netns: x.garage.netns });
    await run('ip', ['route', 'replace', 'default', 'via', `${newNet}.1`], { netns: x.garage.netns });

    const registered = async (): Promise<string[]> => {
      const nodes = JSON.parse(await lab.admin(['nodes', '--json'])) as { node: { name: string; endpoints: string[] } }[];
      return nodes.find((n) => n.node.name === x.name)!.node.endpoints;
    };
    expect(await eventually(async () => (await registered()).some((e) => e.startsWith(`${newNet}.2:`)), 20_000)).toBe(true);
    const reportedMs = Date.now() - renumbered;
    expect(await registered()).toEqual([expect.stringMatching(new RegExp(`^${newNet.replaceAll('.', '\\.')}\\.2:\\d+$`))]);

    expect(await eventually(async () => (await pings(a.garage.netns, x.loopback)) && (await pings(b.garage.netns, x.loopback)), 20_000)).toBe(true);
    const flowingMs = Date.now() - renumbered;
    expect(await pings(x.garage.netns, a.loopback)).toBe(true);
    // The peers dial the new address on the same port: the registry's change reached their tunnels.
    for (const peer of [a, b]) {
      const tunnel = await tunnelTo(lab, peer.garage, x.name);
      expect(await eventually(async () => (await wgEndpoint(peer.garage.netns, tunnel)) === `${newNet}.2${portTowardsX.get(peer)!}`, 10_000), peer.name).toBe(true);
    }
    // No tunnel was recreated, and the tunnel between the other two kept its endpoint.
    expect(await tunnelIndexes(a.garage.netns)).toEqual(indexesBefore.a);
    expect(await tunnelIndexes(b.garage.netns)).toEqual(indexesBefore.b);
    expect(await wgEndpoint(a.garage.netns, abTunnel)).toBe(abEndpoint);
    expect(await pings(a.garage.netns, b.loopback)).toBe(true);
    console.log(`renumbered line: registry updated after ${reportedMs} ms, traffic flowing after ${flowingMs} ms`);
  });
});
