import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJoinString, encodeJoinString } from '../../registry/join-string.js';
import { run } from '../system/run.js';
import type { Garage } from '../test-support/topology.js';
import { httpGetInNetns } from '../test-support/netns-process.js';
import { buildMeshLab, cli, joinLabGarage, ROOT, type MeshLab } from '../demo/mesh-lab.js';
import { eventually } from '../../common/test-support/eventually.js';

/**
 * The whole node, end to end, as operators use it: four garages (the last one
 * behind NAT) join with `garagenet join <string>`, then lab hosts reach each
 * other across the mesh; a fifth joins later, while the registry was away.
 */

interface Joined {
  garage: Garage;
  name: string;
  loopback: string;
  lab: { v4: string; v6: string };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Pings until one answer comes back; bounded by `timeoutMs`. */
async function reaches(netns: string, address: string, timeoutMs = 15_000): Promise<boolean> {
  const answered = await eventually(() => run('ping', ['-n', '-c', '1', '-W', '1', address], { netns }).then(() => true, () => false), timeoutMs, { intervalMs: 100 });
  return answered === true;
}

/** The interface the node would send `address` out of (`ip route get`, nothing is sent). */
async function outInterface(netns: string, address: string): Promise<string> {
  const routes = JSON.parse(await run('ip', ['-j', 'route', 'get', address], { netns })) as { dev: string }[];
  return routes[0]!.dev;
}

/** The state directory's files but the agent's log, byte for byte: what a refused command must leave as it found. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name !== 'agent.log' && statSync(path).isFile()) files[name] = readFileSync(path).toString('base64');
  }
  return files;
}

/** Fills the file system under `dir` to the last block (a real full disk). */
async function fillDisk(dir: string): Promise<void> {
  await run('sh', ['-c', `head -c 64M /dev/zero > ${join(dir, 'filler')} 2>/dev/null; true`]);
  const free = Number((await run('df', ['--output=avail', '-B1', dir])).trim().split('\n')[1]);
  expect(free).toBe(0);
}

interface StatusJson {
  peers: { name: string; interface: string; bfd: string; bgp: Record<string, string>; handshakeAgeSeconds: number | null }[];
}

async function status(lab: MeshLab, garage: Garage): Promise<StatusJson> {
  const result = await cli(garage.netns, ['status', '--json', '--state-dir', lab.stateDir(garage)]);
  if (result.code !== 0) throw new Error(`status: ${result.stderr}`);
  return JSON.parse(result.stdout) as StatusJson;
}

async function joinGarage(lab: MeshLab, garage: Garage): Promise<Joined> {
  const { identity, joined, allocation, labHost } = await joinLabGarage(lab, garage);
  expect(joined.stderr.split('\n').filter((l) => l.startsWith('garagenet:'))).toEqual([]);
  expect(joined.stdout).toContain(`node ${identity.node.name} in mesh e2e`);
  expect(joined.stdout).toContain(allocation.v4);
  return { garage, name: identity.node.name, loopback: identity.node.productionLoopbackV4, lab: labHost };
}

describe('garagenet join, end to end', () => {
  let lab: MeshLab;
  const joined: Joined[] = [];

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'node', 'cli', 'main.js'))) throw new Error('build first: npm run build');
    lab = await buildMeshLab({ garages: 5, natted: [3] });
    // The late garage keeps its state on a small tmpfs of its own, so that the test can fill its disk.
    await run('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', `${lab.topology.id}-g4`, lab.stateDir(lab.topology.garages[4]!)]);
  });

  afterAll(async () => {
    if (!lab) return;
    const late = lab.stateDir(lab.topology.garages[4]!);
    // Down first, so its wireguard-go processes remove their sockets; then the tmpfs goes before the lab removes the directory.
    if (existsSync(join(late, 'node.json'))) await cli(lab.topology.garages[4]!.netns, ['down', '--state-dir', late]).catch(() => undefined);
    await run('umount', ['--lazy', late]).catch(() => undefined);
    await lab.teardown();
  });

  it('four garages, one behind NAT, each join with one command and reach each other\'s loopbacks', async () => {
    for (const garage of lab.topology.garages.slice(0, 4)) {
      joined.push(await joinGarage(lab, garage));
      for (const other of joined.slice(0, -1)) {
        expect(await reaches(garage.netns, other.loopback), `${garage.netns} -> ${other.name}`).toBe(true);
      }
    }
  });

  it('lab hosts reach each other across the mesh over IPv4 and IPv6, the NATed garage included', async () => {
    for (const from of joined) {
      for (const to of joined) {
        if (from === to) continue;
        expect(await reaches(from.garage.lab!.netns, to.lab.v4), `lab of ${from.name} -> ${to.lab.v4}`).toBe(true);
        expect(await reaches(from.garage.lab!.netns, to.lab.v6), `lab of ${from.name} -> ${to.lab.v6}`).toBe(true);
      }
    }
  });

  it('status shows every peer with its tunnel, BFD and BGP state per plane', async () => {
    const garage = joined[0]!.garage;
    const allUp = (s: StatusJson): boolean => s.peers.every((p) => p.bgp.production === 'Established' && p.bgp.experimental === 'Established');
    expect(await eventually(async () => allUp(await status(lab, garage)), 15_000)).toBe(true);
    const shown = await status(lab, garage);
    expect(shown.peers.map((p) => p.name).sort()).toEqual(joined.slice(1).map((j) => j.name).sort());
    for (const peer of shown.peers) {
      expect(peer.bgp).toEqual({ production: 'Established', experimental: 'Established' });
      expect(peer.bfd).toBe('Up');
      expect(peer.handshakeAgeSeconds).not.toBeNull();
    }
    const scrape = (port: number): Promise<string> => httpGetInNetns(garage.netns, `http://127.0.0.1:${port}/metrics`);
    expect(await scrape(9464)).toMatch(/^garagenet_tunnels 3$/m);
    // The agent's echo probes run every 5 s: each peer's latency and loss appear once one is answered.
    const probed = async (): Promise<boolean> => {
      const text = await scrape(9464);
      return shown.peers.every((p) => new RegExp(`^garagenet_tunnel_probe_latency_seconds\\{peer="${p.name}",interface="[^"]+"\\} 0\\.\\d+`, 'm').test(text)
        && new RegExp(`^garagenet_tunnel_probe_loss_ratio\\{peer="${p.name}",interface="[^"]+"\\} 0$`, 'm').test(text));
    };
    expect(await eventually(probed, 15_000)).toBe(true);
    expect(await scrape(9465)).toMatch(/^garagenet_bgp_routes\{plane="production",family="ipv4"\} [1-9]/m);
  });

  it('joining again changes nothing; a join string of another mesh is refused in one line', async () => {
    const garage = joined[0]!.garage;
    const dir = lab.stateDir(garage);
    const before = snapshot(dir);
    const again = await cli(garage.netns, ['join', await lab.invite(), '--state-dir', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already joined: node \S+ of mesh e2e; nothing changed/);
    expect(snapshot(dir)).toEqual(before);

    const ticket = decodeJoinString(await lab.invite());
    const refused = await cli(garage.netns, ['join', encodeJoinString({ ...ticket, registry: '198.18.255.9:7443' }), '--state-dir', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^garagenet: this node is already node \S+ of mesh e2e .* another mesh .*nothing changed \(run `garagenet leave` first/);
    expect(snapshot(dir)).toEqual(before);

    // The same registry address with another pin: not "another mesh", and not trusted either.
    const repinned = await cli(garage.netns, ['join', encodeJoinString({ ...ticket, pin: `sha256:${'A'.repeat(43)}` }), '--state-dir', dir]);
    expect(repinned.code).toBe(1);
    expect(repinned.stderr.trim().split('\n')).toHaveLength(1);
    expect(repinned.stderr).toMatch(/^garagenet: this node is already node \S+ of mesh e2e .*names that registry with another certificate pin .*nothing changed \(check the join string/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a wrong pin is refused before anything is sent or written', async () => {
    const garage = lab.topology.garages[4]!;
    const wrongPin = encodeJoinString({ ...decodeJoinString(await lab.invite()), pin: `sha256:${'A'.repeat(43)}` });
    const result = await cli(garage.netns, ['join', wrongPin, '--state-dir', lab.stateDir(garage)]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').filter((l) => l.startsWith('garagenet:'))).toHaveLength(1);
    expect(result.stderr).toMatch(/does not match the join string .* nothing was sent/);
    expect(snapshot(lab.stateDir(garage))).toEqual({});
  });

  it('a join on a full disk says "disk full" with the file, and leaves the directory as it was', async () => {
    const garage = lab.topology.garages[4]!;
    const dir = lab.stateDir(garage);
    await fillDisk(dir);
    try {
      const before = snapshot(dir);
      const full = await cli(garage.netns, ['join', await lab.invite(), '--state-dir', dir]);
      expect(full.code).toBe(1);
      expect(full.stderr.trim().split('\n').filter((l) => l.startsWith('garagenet:'))).toEqual([
        `garagenet: disk full: cannot write ${join(dir, 'wireguard.key')} (free some space on the file system that holds it; nothing was changed)`,
      ]);
      expect(snapshot(dir)).toEqual(before);
    } finally {
      await rm(join(dir, 'filler'));
    }
  });

  it('a missing `wg` or a broken state file is one line naming it and the fix; nothing changes', async () => {
    const garage = lab.topology.garages[4]!;
    // A PATH with every tool but wg.
    const tools = await mkdtemp(join(tmpdir(), `${lab.topology.id}-path-`));
    for (const tool of ['ip', 'nft', 'wireguard-go', 'ping']) {
      const found = (await run('sh', ['-c', `command -v ${tool}`])).trim();
      await symlink(found, join(tools, tool));
    }
    const noWg = await cli(garage.netns, ['join', await lab.invite(), '--state-dir', lab.stateDir(garage)], { env: { PATH: tools } });
    expect(noWg.code).toBe(1);
    expect(noWg.stderr.trim().split('\n')).toEqual(['garagenet: missing `wg` (wireguard-tools) (apt-get install -y wireguard-tools)']);
    expect(snapshot(lab.stateDir(garage))).toEqual({});
    await rm(tools, { recursive: true });

    const broken = await mkdtemp(join(tmpdir(), `${lab.topology.id}-broken-`));
    writeFileSync(join(broken, 'node.json'), '{"version": 1, "mesh": {');
    const up = await cli(garage.netns, ['up', '--state-dir', broken]);
    expect(up.code).toBe(1);
    expect(up.stderr.trim().split('\n')).toHaveLength(1);
    expect(up.stderr).toMatch(new RegExp(`^garagenet: ${join(broken, 'node.json')}: is not valid JSON .*\\(restore the file from a backup`));
    expect(readFileSync(join(broken, 'node.json'), 'utf8')).toBe('{"version": 1, "mesh": {');
    await rm(broken, { recursive: true });
  });

  it('with the registry down traffic keeps flowing, and a new garage joins once it is back', async () => {
    await lab.stopRegistry();
    await sleep(1000);
    expect(await reaches(joined[0]!.garage.lab!.netns, joined[1]!.lab.v4)).toBe(true);
    const shown = await cli(joined[0]!.garage.netns, ['status', '--state-dir', lab.stateDir(joined[0]!.garage)]);
    expect(shown.stdout).toMatch(/unreachable .*running on the last known mesh/);
    await lab.startRegistry();
    const late = await joinGarage(lab, lab.topology.garages[4]!);
    joined.push(late);
    for (const other of joined.slice(0, 4)) {
      expect(await reaches(other.garage.lab!.netns, late.lab.v4), `lab of ${other.name} -> ${late.name}`).toBe(true);
    }
  });

  it('cutting the line between two garages moves their traffic through a third, and back when restored', async () => {
    const [a, b] = [joined[0]!, joined[1]!];
    const direct = (await status(lab, a.garage)).peers.find((p) => p.name === b.name)!.interface;
    expect(await outInterface(a.garage.netns, b.lab.v4)).toBe(direct);
    expect(await outInterface(a.garage.netns, b.loopback)).toBe(direct);
    const [x, y] = [a.garage.publicAddress, b.garage.publicAddress];
    const cut = [
      'table inet gn_pair {',
      '  chain forward {',
      '    type filter hook forward priority -20; policy accept;',
      `    ip saddr ${x} ip daddr ${y} drop`,
      `    ip saddr ${y} ip daddr ${x} drop`,
      '  }',
      '}',
      '',
    ].join('\n');
    await run('nft', ['-f', '-'], { netns: lab.topology.internet, input: cut });
    try {
      expect(await eventually(async () => (await outInterface(a.garage.netns, b.lab.v4)) !== direct, 10_000)).toBe(true);
      expect(await reaches(a.garage.lab!.netns, b.lab.v4)).toBe(true);
      expect(await reaches(b.garage.lab!.netns, a.lab.v6)).toBe(true);
      // The peer's own loopback too (the garage's address for it, and what its lab host reaches), not only its LAN.
      expect(await outInterface(a.garage.netns, b.loopback)).not.toBe(direct);
      expect(await reaches(a.garage.netns, b.loopback, 5000)).toBe(true);
      expect(await reaches(a.garage.lab!.netns, b.loopback, 5000)).toBe(true);
      expect(await reaches(b.garage.netns, a.loopback, 5000)).toBe(true);
      // BFD and BGP stay on the cut tunnel (the session table), so they see it come back rather than come up through the third garage.
      const peerOfA = (await status(lab, a.garage)).peers.find((p) => p.name === b.name)!;
      expect(peerOfA.bfd).not.toBe('Up');
      expect(peerOfA.bgp.production).not.toBe('Established');
    } finally {
      await run('nft', ['delete', 'table', 'inet', 'gn_pair'], { netns: lab.topology.internet });
    }
    expect(await eventually(async () => (await outInterface(a.garage.netns, b.lab.v4)) === direct, 30_000)).toBe(true);
    expect(await reaches(a.garage.lab!.netns, b.lab.v4)).toBe(true);
    expect(await outInterface(a.garage.netns, b.loopback)).toBe(direct);
    expect(await reaches(a.garage.netns, b.loopback)).toBe(true);
  });

  it('a killed agent leaves traffic flowing, and `garagenet up` restores the node from its state directory', async () => {
    const [a, b] = [joined[0]!, joined[1]!];
    const pid = Number(readFileSync(join(lab.stateDir(b.garage), 'agent.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await sleep(2000); // past BFD detection: the peers must not tear down what graceful restart keeps
    expect(await reaches(a.garage.lab!.netns, b.lab.v4, 3000)).toBe(true);
    expect(await reaches(b.garage.lab!.netns, a.lab.v4, 3000)).toBe(true);
    const up = await cli(b.garage.netns, ['up', '--state-dir', lab.stateDir(b.garage)]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`node ${b.name} in mesh e2e`);
    expect(await eventually(async () => (await status(lab, b.garage)).peers.every((p) => p.bgp.production === 'Established'), 20_000)).toBe(true);
    expect((await status(lab, b.garage)).peers.map((p) => p.name).sort()).toEqual(joined.filter((j) => j !== b).map((j) => j.name).sort());
    expect(await reaches(b.garage.lab!.netns, a.lab.v6)).toBe(true);
  });

  it('rotate-key replaces the key and the peers follow; leave removes the node everywhere', async () => {
    const [a, c] = [joined[0]!, joined[2]!];
    const late = joined[4]!;
    const lateDir = lab.stateDir(late.garage);
    await fillDisk(lateDir);
    try {
      const before = snapshot(lateDir);
      const full = await cli(late.garage.netns, ['rotate-key', '--state-dir', lateDir]);
      expect(full.code).toBe(1);
      expect(full.stderr.trim().split('\n').filter((l) => l.startsWith('garagenet:'))).toEqual([
        `garagenet: the agent refused /rotate-key: disk full: cannot write ${join(lateDir, 'wireguard.next.key')} (free some space on the file system that holds it; nothing was changed)`,
      ]);
      expect(snapshot(lateDir)).toEqual(before);
    } finally {
      await rm(join(lateDir, 'filler'));
    }
    expect(await reaches(a.garage.lab!.netns, late.lab.v4)).toBe(true);

    const rotated = await cli(c.garage.netns, ['rotate-key', '--json', '--state-dir', lab.stateDir(c.garage)]);
    expect(rotated.code).toBe(0);
    const { publicKey } = JSON.parse(rotated.stdout) as { publicKey: string };
    const tunnel = (await status(lab, a.garage)).peers.find((p) => p.name === c.name)!.interface;
    expect(await eventually(async () => (await run('wg', ['show', tunnel, 'peers'])).trim() === publicKey, 10_000)).toBe(true);
    expect(await reaches(a.garage.lab!.netns, c.lab.v4)).toBe(true);

    const left = await cli(c.garage.netns, ['leave', '--state-dir', lab.stateDir(c.garage)]);
    expect(left.code).toBe(0);
    expect(left.stdout).toContain(`node ${c.name} left mesh e2e`);
    expect(existsSync(join(lab.stateDir(c.garage), 'node.json'))).toBe(false);
    const links = JSON.parse(await run('ip', ['-j', 'link', 'show'], { netns: c.garage.netns })) as { ifname: string }[];
    expect(links.filter((l) => l.ifname.startsWith('gn'))).toEqual([]);
    for (const other of joined.filter((j) => j !== c)) {
      expect(await eventually(async () => !(await status(lab, other.garage)).peers.some((p) => p.name === c.name), 10_000), other.name).toBe(true);
    }
    expect(await reaches(a.garage.lab!.netns, joined[1]!.lab.v4)).toBe(true);
  });

  it('down removes the node\'s tunnels, rules and loopbacks; up brings it back', async () => {
    const [a, b] = [joined[0]!, joined[1]!];
    const down = await cli(a.garage.netns, ['down', '--state-dir', lab.stateDir(a.garage)]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toBe(`node ${a.name} is down\n`);
    const links = JSON.parse(await run('ip', ['-j', 'link', 'show'], { netns: a.garage.netns })) as { ifname: string }[];
    expect(links.filter((l) => l.ifname.startsWith('gn'))).toEqual([]);
    expect(await run('ip', ['rule', 'show'], { netns: a.garage.netns })).not.toMatch(/lookup (63|64)\b/);
    expect(await run('ip', ['address', 'show', 'dev', 'lo'], { netns: a.garage.netns })).not.toContain(a.loopback);

    // A field broken by hand: one line naming the file, the field and the fix; nothing changes.
    const dir = lab.stateDir(a.garage);
    const good = readFileSync(join(dir, 'node.json'), 'utf8');
    writeFileSync(join(dir, 'node.json'), good.replace(/"basePort": \d+/, '"basePort": 70000'));
    const before = snapshot(dir);
    const refused = await cli(a.garage.netns, ['up', '--state-dir', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      `garagenet: ${join(dir, 'node.json')}: basePort: expected an integer in 1..65535 (restore the file from a backup, or run \`garagenet leave --local\` and join again with a new join string)`,
    ]);
    expect(snapshot(dir)).toEqual(before);
    expect(JSON.parse(await run('ip', ['-j', 'link', 'show'], { netns: a.garage.netns })).filter((l: { ifname: string }) => l.ifname.startsWith('gn'))).toEqual([]);
    writeFileSync(join(dir, 'node.json'), good);

    const up = await cli(a.garage.netns, ['up', '--state-dir', lab.stateDir(a.garage)]);
    expect(up.code, up.stderr).toBe(0);
    expect(await reaches(a.garage.lab!.netns, b.lab.v4)).toBe(true);
  });
});
