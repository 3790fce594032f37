/**
 * Failover benchmark: how fast a cut line is noticed, and how fast traffic
 * resumes when it is restored, over real wireguard-go tunnels.
 *
 *   node dist/bench/failover/run.js [--cuts N] [--no-bird] [--no-routed]     (as root, after npm run build)
 *
 * Two garages, several tunnels between them over the same line (one per
 * detector, so the detectors run side by side and see the very same cut):
 * garagenet's BFD at 50 ms x 3 and 100 ms x 3, and BIRD 2's BFD at the same
 * timers as the reference. A probe flow (sequence-numbered UDP every 1 ms)
 * runs over the first tunnel; its largest arrival gap brackets the cut: the
 * last probe before the gap is the moment the line died, the first after
 * is the moment traffic flowed again (ANCHORS.md: "Measuring failover").
 *
 * Reported per detector: cut -> both ends Down (detection), restore -> both
 * ends Up. Reported for traffic: restore -> first probe through.
 *
 * Then traffic failover (routed.ts): a triangle of garages where BFD Down
 * removes the direct route and traffic takes the path through the third
 * garage; the probes' largest gap is the failover time. Today the reaction
 * is a kernel route change made by the BFD helper; when the route daemon
 * exists, BFD Down tears down the BGP sessions instead and only that
 * reaction changes (the triangle, the cut and the probes stay).
 */
import { spawnInNetns, type NetnsChild } from '../../node/test-support/netns-process.js';
import { buildTopology, type Topology } from '../../node/test-support/topology.js';
import { connectGarages, type Tunnel } from '../../node/test-support/tunnels.js';
import { birdBfd, garagenetBfd, type Detector } from './detectors.js';
import { measureRoutedFailover } from './routed.js';
import { emitFigures, type Figure } from '../figures.js';
import { median } from '../stats.js';

interface CutResult {
  detectionMs: Map<string, number>;
  reupMs: Map<string, number>;
  trafficResumeMs: number;
  gapMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nowMs = (): number => performance.timeOrigin + performance.now();

function fmt(ms: number): string {
  return ms.toFixed(1).padStart(7);
}

async function probeReport(probe: NetnsChild): Promise<Record<string, unknown>> {
  const before = probe.lines.length;
  probe.send('report');
  return probe.waitFor((l) => l.event === 'report' && probe.lines.indexOf(l) >= before, 5_000);
}

async function measureCut(topology: Topology, detectors: Detector[], probe: NetnsChild): Promise<CutResult> {
  for (const d of detectors) await d.waitUp(20_000);
  await sleep(500);
  probe.send('reset');
  await sleep(300);
  const downMarks = await Promise.all(detectors.map((d) => d.mark()));
  await topology.cutLine(1);
  const downs = await Promise.all(detectors.map((d, i) => d.downAt(downMarks[i], 10_000)));
  await sleep(300);
  const upMarks = await Promise.all(detectors.map((d) => d.mark()));
  const restoredAt = nowMs();
  await topology.restoreLine(1);
  const ups = await Promise.all(detectors.map((d, i) => d.upAt(upMarks[i], 20_000)));
  await sleep(200);
  const report = await probeReport(probe);
  const cutAt = report.gapStartMs as number;
  return {
    detectionMs: new Map(detectors.map((d, i) => [d.name, downs[i]! - cutAt])),
    reupMs: new Map(detectors.map((d, i) => [d.name, ups[i]! - restoredAt])),
    trafficResumeMs: (report.gapEndMs as number) - restoredAt,
    gapMs: report.maxGapMs as number,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const cutsIndex = argv.indexOf('--cuts');
  const cuts = cutsIndex >= 0 ? Number(argv[cutsIndex + 1]) : 5;
  if (!Number.isInteger(cuts) || cuts < 1 || cuts > 50) throw new Error('--cuts must be 1..50');
  const withBird = !argv.includes('--no-bird');
  const routed = !argv.includes('--no-routed');

  const figures: Figure[] = [];
  const topology = await buildTopology({ prefix: 'gnbf', garages: 2 });
  const tunnels: Tunnel[] = [];
  const detectors: Detector[] = [];
  let probes: NetnsChild[] = [];
  const stopAll = async (): Promise<void> => {
    for (const p of probes) await p.stop();
    for (const d of detectors) await d.stop();
    for (const t of tunnels) await t.close();
    await topology.teardown();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const [g0, g1] = topology.garages as [Topology['garages'][0] & object, Topology['garages'][0] & object];
    const ours = [50, 100];
    const reference = withBird ? [50, 100] : [];
    for (const txMs of ours) {
      const tunnel = await connectGarages(topology, g0, g1, { instance: tunnels.length });
      tunnels.push(tunnel);
      detectors.push(await garagenetBfd(tunnel, { txMs, multiplier: 3, tempPrefix: topology.id }));
    }
    const birdSessions: Array<{ tunnel: Tunnel; txMs: number }> = [];
    for (const txMs of reference) {
      const tunnel = await connectGarages(topology, g0, g1, { instance: tunnels.length });
      tunnels.push(tunnel);
      birdSessions.push({ tunnel, txMs });
    }
    detectors.push(...(await birdBfd(birdSessions, { multiplier: 3, tempPrefix: topology.id })));
    const first = tunnels[0]!;
    probes = [
      await spawnInNetns(g0.netns, 'node/test-support/udp-probe-main.ts', { args: ['7000', first.b.address, '7001', '1', '1000000'], tempPrefix: topology.id }),
      await spawnInNetns(g1.netns, 'node/test-support/udp-probe-main.ts', { args: ['7001', first.a.address, '7000', '1', String(cuts * 15_000)], tempPrefix: topology.id }),
    ];
    for (const p of probes) await p.waitFor((l) => l.event === 'ready', 10_000);
    probes[1]!.send('start');
    const negotiated = new Map<string, number>();
    for (const d of detectors) negotiated.set(d.name, (await d.waitUp(20_000)).detectionMs);

    const results: CutResult[] = [];
    for (let i = 0; i < cuts; i++) {
      process.stderr.write(`cut ${i + 1}/${cuts}...\n`);
      results.push(await measureCut(topology, detectors, probes[0]!));
    }

    const rows = detectors.map((d) => {
      const detection = results.map((r) => r.detectionMs.get(d.name)!);
      const reup = results.map((r) => r.reupMs.get(d.name)!);
      return { name: d.name, negotiated: negotiated.get(d.name)!, detection, reup };
    });
    const out: string[] = [];
    out.push(`failover bench: ${cuts} cuts, wireguard-go tunnels, probe every 1 ms; times in ms (min / median / max)`);
    out.push('');
    out.push(`${'detector'.padEnd(28)} ${'detect time'.padStart(11)}   ${'cut -> both ends Down'.padEnd(25)}   restore -> both ends Up`);
    for (const r of rows) {
      out.push(
        `${r.name.padEnd(28)} ${fmt(r.negotiated).padStart(11)}   ${fmt(Math.min(...r.detection))} ${fmt(median(r.detection))} ${fmt(Math.max(...r.detection))}   ` +
          `${fmt(Math.min(...r.reup))} ${fmt(median(r.reup))} ${fmt(Math.max(...r.reup))}`,
      );
    }
    const resume = results.map((r) => r.trafficResumeMs);
    const gaps = results.map((r) => r.gapMs);
    out.push('');
    out.push(`traffic: restore -> first probe through ${fmt(Math.min(...resume))} ${fmt(median(resume))} ${fmt(Math.max(...resume))}`);
    out.push(`traffic: largest gap (no backup path yet: the whole cut) ${fmt(median(gaps))} median`);
    out.push('');
    out.push('ratios (median cut -> Down):');
    for (const tx of [50, 100]) {
      const ours = rows.find((r) => r.name === `garagenet BFD ${tx} ms x 3`);
      const bird = rows.find((r) => r.name === `BIRD 2 BFD ${tx} ms x 3`);
      if (ours && bird) out.push(`  ${tx} ms x 3: garagenet / BIRD = ${(median(ours.detection) / median(bird.detection)).toFixed(2)}`);
      if (ours) {
        figures.push({ figure: `BFD ${tx} ms x 3: cut -> both ends Down, median of ${cuts}`, unit: 'ms', ours: median(ours.detection), peer: bird ? bird.name : 'BIRD 2 BFD (not run: --no-bird)', peerValue: bird ? median(bird.detection) : null, better: 'lower' });
      }
      // ANCHORS.md: BIRD 2 + BFD full failover (cut -> traffic on the backup path) 137 ms at 50 x 3, 253 ms at 100 x 3.
      const anchor = tx === 50 ? 137 : 253;
      if (ours) out.push(`  ${tx} ms x 3: garagenet detection / ANCHORS full failover with BIRD (${anchor} ms) = ${(median(ours.detection) / anchor).toFixed(2)}`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await stopAll();
  }
  if (routed) {
    const results = await measureRoutedFailover({ cuts, timers: [50, 100] });
    process.stdout.write(`\n${formatRouted(results).join('\n')}\n`);
    for (const r of results) {
      figures.push({ figure: `traffic failover, BFD ${r.txMs} ms x 3, median of ${cuts}`, unit: 'ms', ours: median(r.failoverMs), peer: 'BIRD 2+BGP+BFD (ANCHORS.md, not this run)', peerValue: ANCHOR_FAILOVER_MS[r.txMs] ?? null, better: 'lower' });
    }
  }
  emitFigures('failover', figures);
}

/** ANCHORS.md: BIRD 2 + BFD, cut -> traffic on the backup path, median; 137 ms at 50 ms x 3, 253 ms at 100 ms x 3. */
const ANCHOR_FAILOVER_MS: Record<number, number> = { 50: 137, 100: 253 };

function formatRouted(results: Awaited<ReturnType<typeof measureRoutedFailover>>): string[] {
  const out = ['traffic failover (triangle of garages; BFD Down removes the direct route; probes both ways every 1 ms):', ''];
  out.push(`${'BFD timers'.padEnd(16)} ${'cut -> traffic on the other path'.padEnd(33)} ${'restore -> back, largest gap'.padEnd(30)} vs ANCHORS (BIRD+BGP+BFD)`);
  for (const r of results) {
    const anchor = ANCHOR_FAILOVER_MS[r.txMs];
    const ratio = anchor === undefined ? '' : `${(median(r.failoverMs) / anchor).toFixed(2)} (${anchor} ms)`;
    out.push(
      `${`${r.txMs} ms x 3`.padEnd(16)} ${`${fmt(Math.min(...r.failoverMs))} ${fmt(median(r.failoverMs))} ${fmt(Math.max(...r.failoverMs))}`.padEnd(33)} ` +
        `${`${fmt(Math.min(...r.switchBackMs))} ${fmt(median(r.switchBackMs))} ${fmt(Math.max(...r.switchBackMs))}`.padEnd(30)} ${ratio}`,
    );
  }
  return out;
}

main().catch((err: Error) => {
  process.stderr.write(`failover bench: ${err.message}\n`);
  process.exit(1);
});
