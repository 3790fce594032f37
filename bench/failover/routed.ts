/**
 * Traffic failover: cut -> traffic flowing again on another path.
 *
 * Three garages in a triangle of wireguard-go tunnels; garage 0 and 1 each
 * have a loopback, reachable over the direct tunnel (metric 10) or through
 * garage 2 (metric 20). BFD runs on the direct tunnel; on Down each end
 * removes its direct route, so the kernel falls back to the path through
 * garage 2 — the reaction the agent will get from BGP (sessions over the
 * dead tunnel torn down, routes withdrawn). The route daemon replaces that
 * reaction later; the triangle, the cut and the probes stay.
 *
 * The cut drops only what garages 0 and 1 send each other in the internet
 * namespace (both still reach garage 2). Probes every 1 ms flow both ways
 * between the loopbacks; the largest arrival gap is the failover time.
 */
import { run } from '../../node/system/run.js';
import { startBfdPeer, type BfdPeerProcess } from '../../node/test-support/bfd-peer.js';
import { spawnInNetns, type NetnsChild } from '../../node/test-support/netns-process.js';
import { buildTopology, type Garage } from '../../node/test-support/topology.js';
import { connectGarages, type Tunnel } from '../../node/test-support/tunnels.js';

export interface RoutedFailoverResult {
  txMs: number;
  /** Largest probe gap per cut, the worse of the two directions. */
  failoverMs: number[];
  /** Largest probe gap while traffic moves back to the direct path after the restore. */
  switchBackMs: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const loopback = (g: Garage): string => `10.254.0.${g.index}`;

async function routes(g: Garage, entries: Array<{ to: Garage; dev: string; metric: number }>): Promise<void> {
  for (const e of entries) await run('ip', ['route', 'replace', `${loopback(e.to)}/32`, 'dev', e.dev, 'metric', String(e.metric)], { netns: g.netns });
}

async function worstGap(probes: NetnsChild[]): Promise<number> {
  let worst = 0;
  for (const probe of probes) {
    const before = probe.lines.length;
    probe.send('report');
    const r = await probe.waitFor((l) => l.event === 'report' && probe.lines.indexOf(l) >= before, 5_000);
    worst = Math.max(worst, r.maxGapMs as number);
  }
  return worst;
}

export async function measureRoutedFailover(options: { cuts: number; timers: number[] }): Promise<RoutedFailoverResult[]> {
  const topology = await buildTopology({ prefix: 'gnbr', garages: 3 });
  const tunnels: Tunnel[] = [];
  let probes: NetnsChild[] = [];
  let bfd: BfdPeerProcess[] = [];
  try {
    const [g0, g1, g2] = topology.garages as [Garage, Garage, Garage];
    const t01 = await connectGarages(topology, g0, g1);
    const t02 = await connectGarages(topology, g0, g2);
    const t12 = await connectGarages(topology, g1, g2);
    tunnels.push(t01, t02, t12);
    for (const g of [g0, g1, g2]) await run('ip', ['address', 'add', `${loopback(g)}/32`, 'dev', 'lo'], { netns: g.netns });
    await routes(g0, [{ to: g1, dev: t01.a.interface.name, metric: 10 }, { to: g1, dev: t02.a.interface.name, metric: 20 }]);
    await routes(g1, [{ to: g0, dev: t01.b.interface.name, metric: 10 }, { to: g0, dev: t12.a.interface.name, metric: 20 }]);
    await routes(g2, [{ to: g0, dev: t02.b.interface.name, metric: 10 }, { to: g1, dev: t12.b.interface.name, metric: 10 }]);
    probes = [
      await spawnInNetns(g0.netns, 'node/test-support/udp-probe-main.ts', { args: ['7000', loopback(g1), '7000', '1', '1000000'], tempPrefix: topology.id }),
      await spawnInNetns(g1.netns, 'node/test-support/udp-probe-main.ts', { args: ['7000', loopback(g0), '7000', '1', '1000000'], tempPrefix: topology.id }),
    ];
    for (const p of probes) await p.waitFor((l) => l.event === 'ready', 10_000);

    const results: RoutedFailoverResult[] = [];
    for (const txMs of options.timers) {
      bfd = [
        await startBfdPeer(g0.netns, {
          local: t01.a.address,
          peer: t01.b.address,
          txMs,
          multiplier: 3,
          tempPrefix: topology.id,
          route: { prefix: `${loopback(g1)}/32`, dev: t01.a.interface.name, metric: 10 },
        }),
        await startBfdPeer(g1.netns, {
          local: t01.b.address,
          peer: t01.a.address,
          txMs,
          multiplier: 3,
          tempPrefix: topology.id,
          route: { prefix: `${loopback(g0)}/32`, dev: t01.b.interface.name, metric: 10 },
        }),
      ];
      const result: RoutedFailoverResult = { txMs, failoverMs: [], switchBackMs: [] };
      for (const p of probes) p.send('start');
      for (let i = 0; i < options.cuts; i++) {
        process.stderr.write(`routed failover ${txMs} ms x 3: cut ${i + 1}/${options.cuts}...\n`);
        for (const end of bfd) await end.waitSettled(20_000);
        await sleep(500);
        for (const p of probes) p.send('reset');
        await sleep(300);
        let marks = bfd.map((end) => end.child.lines.length);
        await topology.cutPath(0, 1);
        await Promise.all(bfd.map((end, k) => end.child.waitFor((l) => l.event === 'route' && l.action === 'del' && end.child.lines.indexOf(l) >= marks[k]!, 10_000)));
        await sleep(500);
        result.failoverMs.push(await worstGap(probes));
        for (const p of probes) p.send('reset');
        await sleep(100);
        marks = bfd.map((end) => end.child.lines.length);
        await topology.restorePath(0, 1);
        await Promise.all(bfd.map((end, k) => end.child.waitFor((l) => l.event === 'route' && l.action === 'replace' && end.child.lines.indexOf(l) >= marks[k]!, 20_000)));
        await sleep(500);
        result.switchBackMs.push(await worstGap(probes));
      }
      for (const p of probes) p.send('stop');
      for (const end of bfd) await end.stop();
      bfd = [];
      results.push(result);
    }
    return results;
  } finally {
    for (const end of bfd) await end.stop();
    for (const p of probes) await p.stop();
    for (const t of tunnels) await t.close();
    await topology.teardown();
  }
}
