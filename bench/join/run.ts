import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMeshLab, cli } from '../../node/demo/mesh-lab.js';
import { run } from '../../node/system/run.js';
import { emitFigures } from '../figures.js';

/**
 * From `garagenet join <string>` to the first ping answered by another
 * garage's loopback (target: under 5 s on a small mesh). Garage 0 joins
 * first; then each other garage's join is timed while a pinger inside its
 * namespace tries the first garage's loopback every 50 ms (each try waits up to 0.2 s for its answer).
 *
 *   node dist/bench/join/run.js [--garages 3]   (root; `npm run build` first)
 */

const garageCount = Number(process.argv[process.argv.indexOf('--garages') + 1] || 3);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function firstReply(netns: string, address: string, started: number, deadline: number): Promise<number | null> {
  while (Date.now() < deadline) {
    const ok = await run('ping', ['-n', '-c', '1', '-W', '0.2', address], { netns }).then(() => true, () => false);
    if (ok) return Date.now() - started;
    await sleep(50);
  }
  return null;
}

const lab = await buildMeshLab({ garages: garageCount, natted: [] });
try {
  const [first, ...rest] = lab.topology.garages;
  const joined = await cli(first!.netns, ['join', await lab.invite(), '--state-dir', lab.stateDir(first!)]);
  if (joined.code !== 0) throw new Error(joined.stderr);
  const target = (JSON.parse(readFileSync(join(lab.stateDir(first!), 'node.json'), 'utf8')) as { node: { productionLoopbackV4: string } }).node.productionLoopbackV4;
  const rows: string[] = [];
  const pings: (number | null)[] = [];
  for (const garage of rest) {
    const joinString = await lab.invite();
    const started = Date.now();
    const [result, ping] = await Promise.all([
      cli(garage.netns, ['join', joinString, '--state-dir', lab.stateDir(garage)]),
      firstReply(garage.netns, target, started, started + 30_000),
    ]);
    if (result.code !== 0) throw new Error(result.stderr);
    pings.push(ping);
    rows.push(`${garage.netns.padEnd(16)} join command ${(result.ms / 1000).toFixed(2)} s   first ping of ${target} ${ping === null ? 'none in 30 s' : `${(ping / 1000).toFixed(2)} s`}`);
  }
  process.stdout.write(`join to first ping, ${garageCount} garages (wireguard-go, managed registry in the internet namespace)\n${rows.join('\n')}\n`);
  // The slowest join: a join with no ping in 30 s counts as missing (null), not as a figure.
  const slowest = pings.includes(null) || pings.length === 0 ? null : Math.max(...(pings as number[])) / 1000;
  emitFigures('join', [{ figure: `join to first ping, slowest of ${pings.length} joins, ${garageCount} garages`, unit: 's', ours: slowest, peer: 'target: under 5 s (not a measured tool)', peerValue: 5, better: 'lower' }]);
} finally {
  await lab.teardown();
}
