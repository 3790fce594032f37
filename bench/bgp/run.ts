import { churnFigures } from './churn.js';
import { ingestFigures, receiversByKey } from './ingest.js';
import { emitFigures } from '../figures.js';
import { formatFigures, parseBenchArguments, type Figure } from './report.js';
import { RECEIVERS } from './receivers.js';
import { SECOND_TABLE_DESCRIPTION, secondFeederFigures } from './second-feeder.js';

/**
 * The whole BGP benchmark in one run: the full-table ingest over one session
 * (with the feeder alone into a sink), the 10-peer churn and a second full
 * table from a second feeder, for BIRD 2,
 * GoBGP 3 (skip it with --no-gobgp: it takes minutes here) and garagenet's
 * daemon, printed as one table of figure, peer, value and ratios. Needs root.
 * Usage: node dist/bench/bgp/run.js [--runs N] [--no-gobgp] [bird|gobgp|garagenet ...]
 */

async function main(): Promise<void> {
  const args = parseBenchArguments(process.argv.slice(2), RECEIVERS.map((r) => r.key));
  const receivers = receiversByKey(args.receivers);
  const figures = [
    ...(await ingestFigures(receivers, args.runs)),
    ...(await churnFigures(receivers, args.runs)),
    ...(await secondFeederFigures(receivers, args.runs)),
  ];
  process.stdout.write(`BGP benchmark: 1,000,000-prefix table; ingest over one eBGP session, churn over ten (10% withdrawn, then re-announced);\n`);
  process.stdout.write(`${SECOND_TABLE_DESCRIPTION};\n`);
  process.stdout.write(`receivers in their own namespace pinned to one core, feeders on the other; no FIB; median of ${args.runs} run(s)\n`);
  process.stdout.write(formatFigures(figures));
  emitFigures('bgp', figures.flatMap(againstPeers));
}

/** One combined-table row per peer for `bench/run.ts`: garagenet's value beside BIRD's and GoBGP's. */
function againstPeers(figure: Figure): Parameters<typeof emitFigures>[1] {
  if (figure.compare === false) return [];
  const ours = figure.values.get('garagenet') ?? null;
  return ['BIRD 2', 'GoBGP 3']
    .filter((peer) => figure.values.has(peer) && !figure.atLeast?.has(peer))
    .map((peer) => ({ figure: figure.figure, unit: figure.unit, ours, peer, peerValue: figure.values.get(peer)!, better: 'lower' as const }));
}

main().catch((error: unknown) => {
  process.stderr.write(`bgp bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
