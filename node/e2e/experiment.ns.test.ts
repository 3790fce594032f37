import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPrefix, parsePrefix, prefixContains, subnet } from '../../common/prefix.js';
import { readCounters } from '../../native/isolation/nftables.js';
import { Rtnetlink } from '../../native/rtnetlink.js';
import { PLANE_TABLES } from '../agent/routing.js';
import { buildMeshLab, cli, REGISTRY_ADDRESS, ROOT, type MeshLab } from '../demo/mesh-lab.js';
import { attachmentRateLimit } from '../experiments/attachment-plan.js';
import { attachmentsPath } from '../experiments/attachment-store.js';
import { run } from '../system/run.js';
import { eventually } from '../../common/test-support/eventually.js';
import { httpGetInNetns } from '../test-support/netns-process.js';
import {
  attachBird, createExperiment, joinGarage, type BirdResearcher, type ExperimentRecord, type JoinedGarage,
} from './experiment-lab.js';

/**
 * Researchers' routers on a live mesh, end to end: three garages joined with
 * the real CLI; experiment A's BIRD 2 attached at garage 0 (test host behind
 * it), experiment B's at garage 1 (short-lived, for expiry). A behaves, then
 * misbehaves in every way the guard rails know, while production is watched,
 * and floods at four times its 2 Mbit/s rate; then it is stopped, C is
 * stopped while its agent is down, and B expires.
 */

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const REGISTRY_METRICS_PORT = 9470;

/**
 * UDP from SOURCE to DEST:PORT, TOTAL bytes of payload paced at RATE bytes/s,
 * 1300 bytes a datagram; bounded by a 15 s deadline.
 */
const FLOOD = `
import socket, sys, time
src, dst, port, total, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
payload = b"f" * 1300
sent, t0 = 0, time.monotonic()
while sent < total and time.monotonic() - t0 < 15:
    ahead = sent / rate - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
    try:
        s.sendto(payload, (dst, port))
        sent += len(payload)
    except OSError:
        time.sleep(0.001)
`;

interface RouteJson {
  prefix: string;
  paths: { peer: string; best: boolean; asPath: { type: string; asns: number[] }[] }[];
}

async function ribOf(g: JoinedGarage, plane: 'production' | 'experimental'): Promise<RouteJson[]> {
  const r = await cli(g.garage.netns, ['bgp', '--socket', `unix:${join(g.stateDir, 'routed.sock')}`, 'routes', '--plane', plane, '--json']);
  if (r.code !== 0) throw new Error(`bgp routes at ${g.name}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as RouteJson[];
}

/** Prefix -> best AS path, "-" for a local route. */
async function bestPaths(g: JoinedGarage, plane: 'production' | 'experimental'): Promise<Map<string, string>> {
  return new Map((await ribOf(g, plane)).map((r) => {
    const best = r.paths.find((p) => p.best) ?? r.paths[0]!;
    return [r.prefix, best.asPath.flatMap((s) => s.asns).join(' ') || '-'];
  }));
}

/** The kernel's routes of a plane's table, as the native plane dumps them. */
async function kernelRoutes(g: JoinedGarage, plane: 'production' | 'experimental'): Promise<string[]> {
  const rt = Rtnetlink.open({ netns: g.garage.netns });
  try {
    return (await rt.listRoutes(PLANE_TABLES[plane])).map((r) => `${r.prefix} ${r.device ?? ''} ${r.gateway ?? ''} ${r.protocol}`).sort();
  } finally {
    rt.close();
  }
}

/** A route (a dump line starting with its prefix) inside an experiment's space; the table's unreachable default is not. */
const inside = (space: string) => (line: string): boolean => prefixContains(parsePrefix(space), parsePrefix(line.split(' ')[0]!));

async function pings(netns: string, address: string, options: { from?: string; count?: number } = {}): Promise<boolean> {
  const from = options.from ? ['-I', options.from] : [];
  return run('ping', ['-n', '-c', String(options.count ?? 1), '-W', '1', ...from, address], { netns }).then(() => true, () => false);
}

/** ping's own report (its "From ... Unreachable" lines), whatever its exit code. */
function pingReport(netns: string, address: string): Promise<string> {
  return new Promise((resolve) => execFile('ip', ['netns', 'exec', netns, 'ping', '-n', '-c', '3', '-W', '1', address], (_err, stdout) => resolve(stdout)));
}

interface AuditJson { node: string; event: string; detail: string }

async function auditLog(lab: MeshLab, experiment: string): Promise<AuditJson[]> {
  return JSON.parse(await lab.admin(['experiment', 'log', experiment, '--json'])) as AuditJson[];
}

/** Every trace of an experiment's space at a node: RIB routes of either plane and kernel routes of either table. */
async function traces(g: JoinedGarage, space: string): Promise<string[]> {
  const found: string[] = [];
  for (const plane of ['production', 'experimental'] as const) {
    found.push(...[...(await bestPaths(g, plane)).keys()].filter(inside(space)).map((p) => `rib ${plane} ${p}`));
    found.push(...(await kernelRoutes(g, plane)).filter(inside(space)).map((r) => `kernel ${plane} ${r}`));
  }
  return found;
}

describe('researchers\' routers on the mesh, end to end', () => {
  let lab: MeshLab;
  const g: JoinedGarage[] = [];
  let a: ExperimentRecord;
  let b: ExperimentRecord;
  let ra: BirdResearcher;
  let rb: BirdResearcher;
  /** What researcher A announces when told to misbehave. */
  const bad: Record<string, string> = {};
  let flapPrefix = '';
  let production: { rib: Map<string, string>; kernel: string[] }[] = [];
  let ping: ChildProcess | undefined;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'node', 'cli', 'main.js'))) throw new Error('build first: npm run build');
    lab = await buildMeshLab({ garages: 3, prefix: 'gnx', registryMetricsPort: REGISTRY_METRICS_PORT });
    for (const garage of lab.topology.garages) g.push(await joinGarage(lab, garage));
    // B first: it is short-lived and expires at the end of the run.
    b = await createExperiment(lab, { name: 'exp-b', node: g[1]!.name, maxPrefixes: 10, maxUpdates: 600, duration: '100s' });
    a = await createExperiment(lab, { name: 'exp-a', node: g[0]!.name, maxPrefixes: 4, maxUpdates: 600, duration: '1d', maxMbits: 2 });
    const aSpace = parsePrefix(a.prefixes[0]!);
    Object.assign(bad, {
      production: `${g[1]!.productionLoopback}/32`,
      'more-specific': formatPrefix(subnet(parsePrefix(g[2]!.allocation), parsePrefix(g[2]!.allocation).length + 1, 0n)),
      'other experiment': b.prefixes[0]!,
    });
    flapPrefix = formatPrefix(subnet(aSpace, 28, 1n));
    rb = await attachBird(lab, { experiment: b, garage: g[1]!, suffix: 'xb' });
    ra = await attachBird(lab, {
      experiment: a, garage: g[0]!, suffix: 'xa',
      protocols: { bad: Object.values(bad), flap: [flapPrefix], many: [2n, 3n, 4n, 5n].map((i) => formatPrefix(subnet(aSpace, 28, i))) },
    });
  }, 150_000);

  afterAll(async () => {
    ping?.kill('SIGKILL');
    await lab?.teardown();
  });

  it('(a) the researcher\'s allocation reaches every node with the experiment\'s AS path, and hosts of other garages\' experimental plane reach its test host', async () => {
    const expected = (node: JoinedGarage, asn: number, host: JoinedGarage): string => (node === host ? String(asn) : `${host.asn} ${asn}`);
    for (const node of g) {
      const seen = await eventually(async () => {
        const paths = await bestPaths(node, 'experimental');
        const wanted = [[a.prefixes[0]!, expected(node, a.asn, g[0]!)], [ra.hostPrefix, expected(node, a.asn, g[0]!)], [b.prefixes[0]!, expected(node, b.asn, g[1]!)]];
        return wanted.every(([p, path]) => paths.get(p!) === path) && paths;
      }, 60_000);
      expect(seen && Object.fromEntries([...seen].filter(([p]) => [a.prefixes[0], ra.hostPrefix, b.prefixes[0]].includes(p))), node.name).toEqual({
        [a.prefixes[0]!]: expected(node, a.asn, g[0]!), [ra.hostPrefix]: expected(node, a.asn, g[0]!), [b.prefixes[0]!]: expected(node, b.asn, g[1]!),
      });
      // And in the kernel's experimental table, not in production's.
      expect((await kernelRoutes(node, 'experimental')).some((r) => r.startsWith(`${ra.hostPrefix} `)), node.name).toBe(true);
      expect((await kernelRoutes(node, 'production')).filter(inside(a.prefixes[0]!)), node.name).toEqual([]);
    }
    for (const from of [g[1]!, g[2]!]) {
      expect(await eventually(() => pings(from.garage.netns, ra.host, { from: from.experimentalLoopback }), 20_000), `${from.name} -> ${ra.host}`).toBe(true);
    }
    // The hosting node reads the experiment's audit log itself, and keeps the attachment in a 0600 file.
    const status = await cli(g[0]!.garage.netns, ['experiment', 'status', 'exp-a', '--json', '--state-dir', g[0]!.stateDir]);
    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as { session: string; audit: AuditJson[] | null; experiment: { maxMbits: number } };
    expect([s.session, s.experiment.maxMbits]).toEqual(['Established', 2]);
    expect(s.audit?.map((e) => e.event)).toEqual(expect.arrayContaining(['attached', 'import.accepted']));
    expect(statSync(attachmentsPath(g[0]!.stateDir)).mode & 0o777).toBe(0o600);
  });

  it('the attachment survives an agent restart (SIGUSR2, then `garagenet up`)', async () => {
    const pid = Number(readFileSync(join(g[0]!.stateDir, 'agent.pid'), 'utf8'));
    process.kill(pid, 'SIGUSR2');
    expect(await eventually(async () => !existsSync(join(g[0]!.stateDir, 'agent.pid')), 20_000)).toBe(true);
    const up = await cli(g[0]!.garage.netns, ['up', '--state-dir', g[0]!.stateDir], { timeoutMs: 60_000 });
    expect(up.code, up.stderr).toBe(0);
    const session = await eventually(async () => {
      const r = await cli(g[0]!.garage.netns, ['experiment', 'status', 'exp-a', '--json', '--state-dir', g[0]!.stateDir]);
      return r.code === 0 && (JSON.parse(r.stdout) as { session: string }).session === 'Established';
    }, 40_000);
    expect(session).toBe(true);
    expect(await eventually(() => pings(g[2]!.garage.netns, ra.host, { from: g[2]!.experimentalLoopback }), 20_000)).toBe(true);
  });

  it('(b) production prefixes, another garage\'s more-specific, another experiment\'s prefix, a flap and too many prefixes are refused, damped or cut, with the reason logged; production never moves', async () => {
    production = await Promise.all(g.map(async (n) => ({ rib: await bestPaths(n, 'production'), kernel: await kernelRoutes(n, 'production') })));
    // A continuous ping between two production lab hosts, through the garage that hosts the researcher.
    ping = spawn('ip', ['netns', 'exec', g[0]!.garage.lab!.netns, 'ping', '-n', '-i', '0.05', '-W', '1', g[2]!.labHost], { stdio: ['ignore', 'pipe', 'ignore'] });
    let pingOut = '';
    ping.stdout!.on('data', (d: Buffer) => (pingOut += d.toString()));
    await sleep(500);

    await ra.birdc(['enable', 'bad']);
    const refused = await eventually(async () => {
      const log = await auditLog(lab, 'exp-a');
      const hits = Object.values(bad).map((p) => log.find((e) => /^import\.rejected\./.test(e.event) && e.detail.startsWith(`${p}: `)));
      return hits.every(Boolean) && hits;
    }, 20_000);
    expect(refused?.map((e) => e!.event)).toEqual([
      // Production space is outside the experimental plane's pools; another experiment's space is not this AS's.
      'import.rejected.plane-pool', 'import.rejected.plane-pool', expect.stringMatching(/^import\.rejected\.(origin-validation|experiment-origin)$/),
    ]);
    expect(refused!.every((e) => e!.node === g[0]!.name)).toBe(true);

    for (let i = 0; i < 8; i++) {
      await ra.birdc(['enable', 'flap']);
      await sleep(150);
      await ra.birdc(['disable', 'flap']);
      await sleep(150);
    }
    await ra.birdc(['enable', 'flap']);
    const damped = await eventually(async () => (await auditLog(lab, 'exp-a')).find((e) => e.event === 'import.damped' && e.detail.startsWith(`${flapPrefix}: `)), 20_000);
    expect(damped?.detail).toMatch(/penalty|suppress/i);

    await ra.birdc(['enable', 'many']);
    const ceased = await eventually(async () => (await auditLog(lab, 'exp-a')).find((e) => e.event === 'session.ceased.max-prefix'), 20_000);
    expect(ceased?.detail).toMatch(/4/);
    await ra.birdc(['disable', 'many']);
    await ra.birdc(['disable', 'bad']);

    // Nothing refused got anywhere; the session comes back with the allocation.
    const back = await eventually(async () => (await bestPaths(g[2]!, 'experimental')).has(ra.hostPrefix), 40_000);
    expect(back).toBe(true);
    for (const node of g) {
      const rib = await bestPaths(node, 'experimental');
      expect([bad.production, bad['more-specific']].filter((p) => rib.has(p!)), node.name).toEqual([]);
    }
    const after = await Promise.all(g.map(async (n) => ({ rib: await bestPaths(n, 'production'), kernel: await kernelRoutes(n, 'production') })));
    expect(after).toEqual(production);

    ping.kill('SIGINT');
    await new Promise((resolve) => ping!.once('close', resolve));
    const summary = /(\d+) packets transmitted, (\d+) received/.exec(pingOut);
    expect(summary, pingOut.slice(-300)).not.toBeNull();
    const [sent, received] = [Number(summary![1]), Number(summary![2])];
    expect(sent).toBeGreaterThan(100);
    expect(received).toBe(sent);

    // Every entry went to the registry in batches (one call per experiment per second at most), none waits or was lost.
    const metrics = await httpGetInNetns(lab.topology.internet, `http://${REGISTRY_ADDRESS}:${REGISTRY_METRICS_PORT}/metrics`);
    const calls = (method: string): number => Number(new RegExp(`garagenet_registry_calls_total\\{method="${method}",code="OK"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect([calls('AppendAuditLog'), calls('AppendAuditLogBatch') > 0]).toEqual([0, true]);
    const drained = await eventually(async () => {
      const r = await cli(g[0]!.garage.netns, ['experiment', 'status', 'exp-a', '--json', '--state-dir', g[0]!.stateDir]);
      const s = JSON.parse(r.stdout) as { auditPending: number; auditDropped: number };
      return s.auditPending === 0 && s;
    }, 10_000);
    expect(drained && drained.auditDropped).toBe(0);
  }, 150_000);

  it('(c) spoofed and cross-plane traffic from the researcher\'s host is dropped, and counted', async () => {
    const target = g[1]!.experimentalLoopback;
    expect(await eventually(() => pings(ra.hostNetns, target), 15_000)).toBe(true);
    const before = await readCounters({ netns: g[0]!.garage.netns });
    // Spoofing: a source in experiment B's space, not A's.
    const spoof = formatPrefix(subnet(parsePrefix(b.prefixes[0]!), 32, 77n)).split('/')[0]!;
    await run('ip', ['address', 'add', `${spoof}/32`, 'dev', 'lo'], { netns: ra.hostNetns });
    expect(await pings(ra.hostNetns, target, { from: spoof, count: 3 })).toBe(false);
    // Cross-plane, out: a production lab host, from A's own space. The experimental table has no way
    // into production: the hosting node answers "unreachable", and the lab host never sees a packet.
    await run('nft', ['-f', '-'], { netns: g[2]!.garage.lab!.netns, input: `table inet probe {\n chain input {\n  type filter hook input priority 0; policy accept;\n  ip saddr ${ra.host} counter\n }\n}\n` });
    const out = await pingReport(ra.hostNetns, g[2]!.labHost);
    expect(out).toMatch(new RegExp(`From ${ra.plan.ourAddress.replaceAll('.', '\\.')} .*Unreachable`));
    expect(await run('nft', ['list', 'table', 'inet', 'probe'], { netns: g[2]!.garage.lab!.netns })).toMatch(/counter packets 0 bytes 0/);
    // Cross-plane, in: the production lab host toward the researcher's host is dropped at its own garage, and counted.
    const before2 = await readCounters({ netns: g[2]!.garage.netns });
    expect(await pings(g[2]!.garage.lab!.netns, ra.host, { count: 3 })).toBe(false);
    const after2 = await readCounters({ netns: g[2]!.garage.netns });
    expect(after2.cross_plane.packets - before2.cross_plane.packets).toBeGreaterThanOrEqual(3);
    const after = await readCounters({ netns: g[0]!.garage.netns });
    expect(after.spoofed.packets - before.spoofed.packets).toBeGreaterThanOrEqual(3);
    // The same host, with its own address, still reaches the experimental plane.
    expect(await pings(ra.hostNetns, target)).toBe(true);
  });

  it("(c) a flood from the researcher's host is cut to its own experiment's rate where it enters the mesh", async () => {
    const target = g[1]!;
    expect(a.maxMbits).toBe(2);
    // Only A's attachment is policed, at A's rate, and not what it sends to the node itself; the node's other interfaces are not.
    const ruleset = await run('nft', ['list', 'chain', 'inet', 'garagenet', 'prerouting'], { netns: g[0]!.garage.netns });
    expect(ruleset.split('\n').filter((l) => l.includes('limit rate')).map((l) => l.trim().split(' limit')[0])).toEqual([`iifname "${ra.plan.interface}" fib daddr type != local`]);
    // The receiving node counts what arrives of the flood, in IP bytes as the policer counts them.
    const port = 5999;
    await run('nft', ['-f', '-'], {
      netns: target.garage.netns,
      input: `table inet floodprobe {\n counter flood {}\n chain input {\n  type filter hook input priority 0; policy accept;\n  ip saddr ${ra.host} udp dport ${port} counter name flood\n }\n}\n`,
    });
    const limit = attachmentRateLimit(a.maxMbits);
    const total = 2_000_000;
    const before = await readCounters({ netns: g[0]!.garage.netns });
    const started = Date.now();
    // 2 MB at 4 times the experiment's rate (about 2 s), whatever this machine's speed.
    await run('python3', ['-c', FLOOD, ra.host, target.experimentalLoopback, String(port), String(total), String(limit.bytesPerSecond * 4)], { netns: ra.hostNetns, timeoutMs: 30_000 });
    await sleep(500);
    const listing = JSON.parse(await run('nft', ['-j', 'list', 'counter', 'inet', 'floodprobe', 'flood'], { netns: target.garage.netns })) as {
      nftables: { counter?: { packets: number; bytes: number } }[];
    };
    const delivered = listing.nftables.find((x) => x.counter)!.counter!;
    const elapsed = (Date.now() - started) / 1000;
    const after = await readCounters({ netns: g[0]!.garage.netns });
    expect(after.experimental_over_limit.packets - before.experimental_over_limit.packets).toBeGreaterThan(0);
    expect(delivered.packets).toBeGreaterThan(0);
    // The policer's guarantee on any machine: its bucket (one second of the rate plus the burst), then the rate, for as long as the flood can have lasted.
    expect(delivered.bytes).toBeLessThanOrEqual(limit.bytesPerSecond * (1 + elapsed) + limit.burstBytes);
  });

  it('(d) `experiment stop` removes every trace of the experiment from every node\'s RIB and kernel tables, and the registry marks it stopped', async () => {
    const stopped = await cli(g[0]!.garage.netns, ['experiment', 'stop', 'exp-a', '--state-dir', g[0]!.stateDir]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toBe('');
    for (const node of g) {
      const left = await eventually(async () => (await traces(node, a.prefixes[0]!)).length === 0 || undefined, 20_000);
      expect(left ? [] : await traces(node, a.prefixes[0]!), node.name).toEqual([]);
    }
    const links = JSON.parse(await run('ip', ['-j', 'link', 'show'], { netns: g[0]!.garage.netns })) as { ifname: string }[];
    expect(links.map((l) => l.ifname)).not.toContain(ra.plan.interface);
    expect(await run('nft', ['list', 'ruleset'], { netns: g[0]!.garage.netns })).not.toContain(ra.plan.interface);
    expect(JSON.parse(readFileSync(attachmentsPath(g[0]!.stateDir), 'utf8'))).toEqual({ attachments: [] });
    const experiments = JSON.parse(await lab.admin(['experiments', '--json'])) as { name: string; state: string }[];
    expect(experiments.find((e) => e.name === 'exp-a')?.state).toBe('stopped');
    expect((await auditLog(lab, 'exp-a')).filter((e) => e.node === g[0]!.name).map((e) => e.event)).toEqual(expect.arrayContaining(['session.removed', 'stopped']));
  });

  it('an attachment whose experiment was stopped while its agent was down is cleaned away by `up`', async () => {
    const host = g[2]!;
    const c = await createExperiment(lab, { name: 'exp-c', node: host.name, maxPrefixes: 10, maxUpdates: 600, duration: '1d' });
    const rc = await attachBird(lab, { experiment: c, garage: host, suffix: 'xc' });
    expect(await eventually(async () => (await bestPaths(g[0]!, 'experimental')).has(c.prefixes[0]!), 30_000)).toBe(true);
    process.kill(Number(readFileSync(join(host.stateDir, 'agent.pid'), 'utf8')), 'SIGUSR2');
    expect(await eventually(async () => !existsSync(join(host.stateDir, 'agent.pid')), 20_000)).toBe(true);
    await lab.admin(['experiment', 'stop', 'exp-c']);
    const up = await cli(host.garage.netns, ['up', '--state-dir', host.stateDir], { timeoutMs: 60_000 });
    expect(up.code, up.stderr).toBe(0);
    for (const node of g) {
      const gone = await eventually(async () => (await traces(node, c.prefixes[0]!)).length === 0 || undefined, 30_000);
      expect(gone ? [] : await traces(node, c.prefixes[0]!), node.name).toEqual([]);
    }
    const links = JSON.parse(await run('ip', ['-j', 'link', 'show'], { netns: host.garage.netns })) as { ifname: string }[];
    expect(links.map((l) => l.ifname)).not.toContain(rc.plan.interface);
    expect(JSON.parse(readFileSync(attachmentsPath(host.stateDir), 'utf8'))).toEqual({ attachments: [] });
  });

  it('(d) expiry does the same by itself', async () => {
    expect((await bestPaths(g[2]!, 'experimental')).has(b.prefixes[0]!)).toBe(true);
    const wait = Math.max(0, Date.parse(b.expiresAt) - Date.now()) + 40_000;
    for (const node of g) {
      const gone = await eventually(async () => (await traces(node, b.prefixes[0]!)).length === 0 || undefined, wait);
      expect(gone ? [] : await traces(node, b.prefixes[0]!), node.name).toEqual([]);
    }
    const links = JSON.parse(await run('ip', ['-j', 'link', 'show'], { netns: g[1]!.garage.netns })) as { ifname: string }[];
    expect(links.map((l) => l.ifname)).not.toContain(rb.plan.interface);
    const experiments = JSON.parse(await lab.admin(['experiments', '--json'])) as { name: string; state: string }[];
    expect(experiments.find((e) => e.name === 'exp-b')?.state).toBe('stopped');
  }, 150_000);
});
