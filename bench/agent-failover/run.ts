import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMeshLab, cli, numberLabHost, type MeshLab } from '../../node/demo/mesh-lab.js';
import { spawnInNetns, type NetnsChild } from '../../node/test-support/netns-process.js';
import { run } from '../../node/system/run.js';
import type { Garage } from '../../node/test-support/topology.js';
import { emitFigures } from '../figures.js';

/**
 * Traffic failover with the whole agent: three garages joined with
 * `garagenet join`, sequence-numbered UDP every 1 ms from lab host 0 to lab
 * host 1; the line between garages 0 and 1 is cut (drop rule in the internet
 * namespace) and later restored. The largest arrival gap is the time traffic
 * was lost: BFD (150 ms x 4) takes the direct sessions down and BGP moves
 * the routes through garage 2; on restore the direct path returns.
 *
 *   node dist/bench/agent-failover/run.js [--cuts 3]   (root; `npm run build` first)
 */

const cuts = Number(process.argv[process.argv.indexOf('--cuts') + 1] || 3);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** ANCHORS.md, BIRD 2 + BGP + BFD on three garages: a cut costs 253 ms at BFD 100 ms x 3 (the closest timers it gives); a restore ~4 ms. */
const ANCHOR_CUT_MS = 253;
const ANCHOR_RESTORE_MS = 4;

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function joinAll(lab: MeshLab): Promise<{ v4: string }[]> {
  const labs: { v4: string }[] = [];
  for (const garage of lab.topology.garages) {
    const result = await cli(garage.netns, ['join', await lab.invite(), '--state-dir', lab.stateDir(garage), '--lan', 'lan']);
    if (result.code !== 0) throw new Error(result.stderr);
    const id = JSON.parse(readFileSync(join(lab.stateDir(garage), 'node.json'), 'utf8')) as { allocations: { id: string; prefix: string }[] };
    const prefix = (what: string): string => id.allocations.find((a) => a.id.endsWith(what))!.prefix;
    labs.push(await numberLabHost(garage, { v4: prefix('garage-v4'), v6: prefix('garage-v6') }));
  }
  return labs;
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

async function gap(receiver: NetnsChild): Promise<number> {
  const mark = receiver.lines.length;
  receiver.send('report');
  const report = await receiver.waitFor((l) => l.event === 'report' && receiver.lines.indexOf(l) >= mark, 5000);
  receiver.send('reset');
  return report.maxGapMs as number;
}

const lab = await buildMeshLab({ garages: 3 });
try {
  const labs = await joinAll(lab);
  await settle(lab);
  const [a, b] = lab.topology.garages as [Garage, Garage, Garage];
  const probe = 'node/test-support/udp-probe-main.ts';
  const receiver = await spawnInNetns(b.lab!.netns, probe, { args: ['40001', labs[0]!.v4, '40000', '1000', '1'], tempPrefix: lab.topology.id });
  const sender = await spawnInNetns(a.lab!.netns, probe, { args: ['40000', labs[1]!.v4, '40001', '1', '1000000'], tempPrefix: lab.topology.id });
  await receiver.waitFor((l) => l.event === 'ready', 10_000);
  await sender.waitFor((l) => l.event === 'ready', 10_000);
  sender.send('start');
  const rule = (verb: 'add' | 'delete'): Promise<string> =>
    verb === 'add'
      ? run('nft', ['-f', '-'], {
        netns: lab.topology.internet,
        input: `table inet gn_pair {\n chain forward {\n type filter hook forward priority -20; policy accept;\n ip saddr ${a.publicAddress} ip daddr ${b.publicAddress} drop\n ip saddr ${b.publicAddress} ip daddr ${a.publicAddress} drop\n }\n}\n`,
      })
      : run('nft', ['delete', 'table', 'inet', 'gn_pair'], { netns: lab.topology.internet });
  const rows: string[] = [];
  const cutGaps: number[] = [];
  const restoreGaps: number[] = [];
  for (let i = 0; i < cuts; i++) {
    await sleep(1000);
    await gap(receiver);
    await rule('add');
    await sleep(4000);
    const cutGap = await gap(receiver);
    await rule('delete');
    await settle(lab);
    await sleep(1000);
    const restoreGap = await gap(receiver);
    cutGaps.push(cutGap);
    restoreGaps.push(restoreGap);
    rows.push(`cut ${i + 1}: traffic lost ${cutGap.toFixed(0)} ms when the line was cut, ${restoreGap.toFixed(0)} ms when it came back`);
  }
  sender.send('stop');
  await sender.stop();
  await receiver.stop();
  process.stdout.write(`agent failover, 3 garages, UDP every 1 ms lab0 -> lab1, BFD 150 ms x 4\n${rows.join('\n')}\n`);
  emitFigures('agent-failover', [
    { figure: `agent: traffic lost when the line is cut, BFD 150 ms x 4, median of ${cuts}`, unit: 'ms', ours: median(cutGaps), peer: 'BIRD 2+BGP+BFD 100 ms x 3 (ANCHORS.md, not this run; other timers)', peerValue: ANCHOR_CUT_MS, better: 'lower' },
    { figure: `agent: traffic lost when the line comes back, median of ${cuts}`, unit: 'ms', ours: median(restoreGaps), peer: 'BIRD 2+BGP+BFD (ANCHORS.md, not this run)', peerValue: ANCHOR_RESTORE_MS, better: 'lower' },
  ]);
} finally {
  await lab.teardown();
}
