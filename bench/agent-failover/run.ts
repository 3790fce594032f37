import { spawn, type ChildProcess } from 'node:child_process';
import { buildMeshLab, cli, joinLabGarage, type LabMember, type MeshLab } from '../../node/demo/mesh-lab.js';
import { spawnInNetns, type NetnsChild } from '../../node/test-support/netns-process.js';
import { run } from '../../node/system/run.js';
import type { Garage } from '../../node/test-support/topology.js';
import { emitFigures } from '../figures.js';
import { median } from '../stats.js';

/**
 * Traffic failover with the whole agent: three garages joined with
 * `garagenet join`, sequence-numbered UDP every 1 ms from lab host 0 to lab
 * host 1; the line between garages 0 and 1 is cut (drop rule in the internet
 * namespace) and later restored. The largest arrival gap is the time traffic
 * was lost: BFD (150 ms x 4) takes the direct sessions down and BGP moves
 * the routes through garage 2; on restore the direct path returns. A second
 * flow, garage 0 to garage 1's own loopback, runs side by side: traffic to
 * a peer's loopback must fail over like traffic to its LAN.
 *
 *   node dist/bench/agent-failover/run.js [--cuts 3] [--trace]   (root; `npm run build` first)
 *
 * --trace prints the kernel route changes (`ip -ts monitor route` in garages
 * 0 and 1) from each cut or restore to the end of its gap, to see what
 * traffic waited for.
 */

const cuts = Number(process.argv[process.argv.indexOf('--cuts') + 1] || 3);
const trace = process.argv.includes('--trace');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** ANCHORS.md, BIRD 2 + BGP + BFD on three garages: a cut costs 253 ms at BFD 100 ms x 3 (the closest timers it gives); a restore ~4 ms. */
const ANCHOR_CUT_MS = 253;
const ANCHOR_RESTORE_MS = 4;

async function joinAll(lab: MeshLab): Promise<LabMember[]> {
  const members: LabMember[] = [];
  for (const garage of lab.topology.garages) members.push(await joinLabGarage(lab, garage));
  return members;
}

async function allEstablished(lab: MeshLab, garage: Garage): Promise<boolean> {
  const result = await cli(garage.netns, ['status', '--json', '--state-dir', lab.stateDir(garage)]);
  const status = JSON.parse(result.stdout) as { peers: { bfd: string; bgp: { production: string } }[] };
  return status.peers.length === 2 && status.peers.every((p) => p.bfd === 'Up' && p.bgp.production === 'Established');
}

async function settle(lab: MeshLab): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const ready = await Promise.all(lab.topology.garages.map((g) => allEstablished(lab, g)));
    if (ready.every(Boolean)) return;
    await sleep(500);
  }
  throw new Error('the mesh did not settle in 30 s');
}

interface Gap {
  ms: number;
  startMs: number;
  endMs: number;
}

async function gap(receiver: NetnsChild): Promise<Gap> {
  const mark = receiver.lines.length;
  receiver.send('report');
  const report = await receiver.waitFor((l) => l.event === 'report' && receiver.lines.indexOf(l) >= mark, 5000);
  receiver.send('reset');
  // A flow that never came back has no arrival to end its gap: the gap runs from its last arrival to now.
  const tail = (report.atMs as number) - (report.lastArrivalMs as number);
  if (tail > (report.maxGapMs as number)) return { ms: tail, startMs: report.lastArrivalMs as number, endMs: report.atMs as number };
  return { ms: report.maxGapMs as number, startMs: report.gapStartMs as number, endMs: report.gapEndMs as number };
}

/** `ip -ts monitor route` in a namespace: each line with its time in ms. */
function monitorRoutes(netns: string): { events: { atMs: number; line: string }[]; child: ChildProcess } {
  const child = spawn('ip', ['netns', 'exec', netns, 'ip', '-ts', 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const events: { atMs: number; line: string }[] = [];
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const m = /^\[(\S+)\](.*)$/.exec(line);
      if (m) events.push({ atMs: Date.parse(`${m[1]}Z`), line: m[2]!.trim() });
    }
  });
  return { events, child };
}

/** The gap and what the monitors saw from `fromMs` (the cut or the restore) to just after the gap, in ms after `fromMs`. */
function around(name: string, g: Gap, fromMs: number, monitors: Map<string, { events: { atMs: number; line: string }[] }>): string {
  const at = (ms: number): string => `${(ms - fromMs).toFixed(0).padStart(6)} ms`;
  const out = [`  ${name}: gap ${g.ms.toFixed(0)} ms, from ${at(g.startMs)} to ${at(g.endMs)}`];
  const events = [...monitors].flatMap(([where, m]) => m.events.filter((e) => e.atMs > fromMs - 50 && e.atMs < g.endMs + 300).map((e) => ({ ...e, where })));
  for (const e of events.sort((x, y) => x.atMs - y.atMs)) out.push(`    ${at(e.atMs)}  ${e.where.padEnd(4)} ${e.line}`);
  return out.join('\n');
}

const lab = await buildMeshLab({ garages: 3 });
try {
  const [ma, mb] = (await joinAll(lab)) as [LabMember, LabMember, LabMember];
  await settle(lab);
  const [a, b] = [ma.garage, mb.garage];
  const loopbackOf = (m: LabMember): string => m.identity.node.productionLoopbackV4;
  const probe = 'node/test-support/udp-probe-main.ts';
  const receiver = await spawnInNetns(b.lab!.netns, probe, { args: ['40001', ma.labHost.v4, '40000', '1000', '1'], tempPrefix: lab.topology.id });
  const sender = await spawnInNetns(a.lab!.netns, probe, { args: ['40000', mb.labHost.v4, '40001', '1', '1000000'], tempPrefix: lab.topology.id });
  const loopReceiver = await spawnInNetns(b.netns, probe, { args: ['40003', loopbackOf(ma), '40002', '1000', '1'], tempPrefix: lab.topology.id });
  const loopSender = await spawnInNetns(a.netns, probe, { args: ['40002', loopbackOf(mb), '40003', '1', '1000000'], tempPrefix: lab.topology.id });
  for (const p of [receiver, sender, loopReceiver, loopSender]) await p.waitFor((l) => l.event === 'ready', 10_000);
  sender.send('start');
  loopSender.send('start');
  const monitors = new Map(trace ? [['g0', monitorRoutes(a.netns)], ['g1', monitorRoutes(b.netns)]] : []);
  const rule = (verb: 'add' | 'delete'): Promise<string> =>
    verb === 'add'
      ? run('nft', ['-f', '-'], {
        netns: lab.topology.internet,
        input: `table inet gn_pair {\n chain forward {\n type filter hook forward priority -20; policy accept;\n ip saddr ${a.publicAddress} ip daddr ${b.publicAddress} drop\n ip saddr ${b.publicAddress} ip daddr ${a.publicAddress} drop\n }\n}\n`,
      })
      : run('nft', ['delete', 'table', 'inet', 'gn_pair'], { netns: lab.topology.internet });
  const rows: string[] = [];
  // The noise floor of this machine, without any change: quiet, then while `garagenet status` is polled
  // (what settle() does; it spawns a Node.js process per garage every 500 ms on the shared cores).
  await gap(receiver);
  await sleep(4000);
  const quiet = await gap(receiver);
  const pollUntil = Date.now() + 4000;
  while (Date.now() < pollUntil) await Promise.all(lab.topology.garages.map((g) => allEstablished(lab, g)));
  const polled = await gap(receiver);
  rows.push(`no change: largest gap ${quiet.ms.toFixed(0)} ms over 4 s quiet, ${polled.ms.toFixed(0)} ms over 4 s of \`garagenet status\` polling`);
  const cutGaps: number[] = [];
  const restoreGaps: number[] = [];
  const loopCutGaps: number[] = [];
  const loopRestoreGaps: number[] = [];
  for (let i = 0; i < cuts; i++) {
    await sleep(1000);
    await gap(receiver);
    await gap(loopReceiver);
    const cutAt = Date.now();
    await rule('add');
    await sleep(4000);
    const cutGap = await gap(receiver);
    const loopCutGap = await gap(loopReceiver);
    const restoredAt = Date.now();
    await rule('delete');
    // Nothing else runs in the window: BFD and BGP bring the direct path back well within it.
    await sleep(4000);
    const restoreGap = await gap(receiver);
    const loopRestoreGap = await gap(loopReceiver);
    await settle(lab);
    cutGaps.push(cutGap.ms);
    restoreGaps.push(restoreGap.ms);
    loopCutGaps.push(loopCutGap.ms);
    loopRestoreGaps.push(loopRestoreGap.ms);
    rows.push(`cut ${i + 1}: lab -> lab lost ${cutGap.ms.toFixed(0)} ms when the line was cut, ${restoreGap.ms.toFixed(0)} ms when it came back; ` +
      `garage -> peer loopback ${loopCutGap.ms.toFixed(0)} ms and ${loopRestoreGap.ms.toFixed(0)} ms`);
    if (trace) {
      rows.push(around('cut, lab -> lab', cutGap, cutAt, monitors), around('restore, lab -> lab', restoreGap, restoredAt, monitors));
      rows.push(`  loopback: cut gap ${loopCutGap.ms.toFixed(0)} ms from ${(loopCutGap.startMs - cutAt).toFixed(0)} ms; restore gap ${loopRestoreGap.ms.toFixed(0)} ms from ${(loopRestoreGap.startMs - restoredAt).toFixed(0)} ms`);
    }
  }
  for (const m of monitors.values()) m.child.kill();
  for (const s of [sender, loopSender]) s.send('stop');
  for (const p of [sender, receiver, loopSender, loopReceiver]) await p.stop();
  process.stdout.write(`agent failover, 3 garages, UDP every 1 ms lab0 -> lab1 and garage0 -> garage1's loopback, BFD 150 ms x 4\n${rows.join('\n')}\n`);
  emitFigures('agent-failover', [
    // The noise floor of the figures below, measured here; nothing to compare it with.
    { figure: 'largest arrival gap with nothing changing, 4 s (noise floor)', unit: 'ms', ours: quiet.ms, peer: '-', peerValue: null, better: 'lower' },
    { figure: 'the same while `garagenet status` is polled in every garage (noise floor)', unit: 'ms', ours: polled.ms, peer: '-', peerValue: null, better: 'lower' },
    { figure: `agent: traffic lost when the line is cut, BFD 150 ms x 4, median of ${cuts}`, unit: 'ms', ours: median(cutGaps), peer: 'BIRD 2+BGP+BFD 100 ms x 3 (ANCHORS.md, not this run; other timers)', peerValue: ANCHOR_CUT_MS, better: 'lower' },
    { figure: `agent: traffic lost when the line comes back, median of ${cuts}`, unit: 'ms', ours: median(restoreGaps), peer: 'BIRD 2+BGP+BFD (ANCHORS.md, not this run)', peerValue: ANCHOR_RESTORE_MS, better: 'lower' },
    { figure: `agent: traffic to the peer's loopback lost when the line is cut, median of ${cuts}`, unit: 'ms', ours: median(loopCutGaps), peer: 'BIRD 2+BGP+BFD 100 ms x 3 (ANCHORS.md, not this run; other timers)', peerValue: ANCHOR_CUT_MS, better: 'lower' },
    { figure: `agent: traffic to the peer's loopback lost when the line comes back, median of ${cuts}`, unit: 'ms', ours: median(loopRestoreGaps), peer: 'BIRD 2+BGP+BFD (ANCHORS.md, not this run)', peerValue: ANCHOR_RESTORE_MS, better: 'lower' },
  ]);
} finally {
  await lab.teardown();
}
