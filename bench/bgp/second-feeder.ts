import { pathToFileURL } from 'node:url';
import { cacheTableStream, FEEDER, receiversByKey, startFeeder, waitForFullTable } from './ingest.js';
import { formatFigures, parseBenchArguments, type Figure } from './report.js';
import { median } from '../stats.js';
import { DeadlineError, processStats, RECEIVERS, waitForCount, waitForQuiet, withReceiver, type FeederPeer, type Receiver, type RunningReceiver } from './receivers.js';
import { FULL_TABLE, SECOND_PATH_SHARES } from './table.js';

/**
 * A second full table, as every multi-homed network gets one: once the
 * receiver holds the 1,000,000-prefix table from a first eBGP feeder (and is
 * idle), a second feeder of another AS sends the same prefixes over other
 * paths (bench/bgp/table.ts `secondPaths`), so that the decision process
 * compares two paths on every prefix and the second wins some. Reports per
 * receiver the seconds from the second session's Established until it holds
 * both paths of every prefix (garagenet: of every prefix it did not refuse as
 * a bogon), its CPU seconds over that, the same until it is idle again (the
 * changed best routes sent on to the feeders, to within 50 ms), and peak
 * RSS, with ratios against BIRD and GoBGP. Each phase is bounded by the
 * receiver's deadline; one that did not finish is reported as a lower bound.
 * Needs root.
 * Usage: node dist/bench/bgp/second-feeder.js [--runs N] [--no-gobgp] [bird|gobgp|garagenet ...]
 */

const SECOND_FEEDER: FeederPeer = { address: '10.201.0.3', asn: 65002 };
const PREFIXES = FULL_TABLE.prefixes;
/** How long a receiver may stay busy after a table before it is measured regardless. */
const QUIET_DEADLINE_MS = 60_000;

export interface SecondFeederMeasurement {
  /** What did not finish by the receiver's deadline, if anything: its figures are lower bounds (or none). */
  readonly timedOut: 'first table' | 'second table' | null;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly idleSeconds: number;
  readonly idleCpuSeconds: number;
  readonly peakRssMiB: number;
  readonly feederSendSeconds: number;
}

function notFinished(what: 'first table' | 'second table', running: RunningReceiver, partial: { seconds: number; cpuSeconds: number }): SecondFeederMeasurement {
  return { timedOut: what, ...partial, idleSeconds: Number.NaN, idleCpuSeconds: Number.NaN, peakRssMiB: processStats(running.process.pid!).peakRssMiB, feederSendSeconds: Number.NaN };
}

async function measure(receiver: Receiver): Promise<SecondFeederMeasurement> {
  return withReceiver(receiver, [FEEDER, SECOND_FEEDER], async ({ link, running, children }) => {
    const pid = running.process.pid!;
    // Both stay up through both tables and the waits for quiet.
    const staySeconds = 2 * receiver.timeoutSeconds + (2 * QUIET_DEADLINE_MS) / 1000 + 10;
    const first = startFeeder(link.feederNs, { peer: FEEDER, staySeconds });
    children.push(first.process);
    try {
      await waitForFullTable(receiver, running, first);
    } catch (error) {
      if (!(error instanceof DeadlineError)) throw error;
      process.stderr.write(`second feeder: ${error.message}\n`);
      return notFinished('first table', running, { seconds: Number.NaN, cpuSeconds: Number.NaN });
    }
    const quiet = async (after: string): Promise<number> => {
      const { quiet: idle, idleAt } = await waitForQuiet(pid, { deadline: Date.now() + QUIET_DEADLINE_MS });
      if (!idle) process.stderr.write(`second feeder: ${receiver.name} still busy ${QUIET_DEADLINE_MS / 1000} s after ${after}; measuring regardless\n`);
      return idleAt;
    };
    await quiet('the first table');
    const before = processStats(pid);

    const second = startFeeder(link.feederNs, { peer: SECOND_FEEDER, staySeconds, paths: 'second' });
    children.push(second.process);
    let held: number;
    try {
      held = await waitForCount(
        { name: receiver.name, pollMs: receiver.pollMs, running },
        (count) => count.paths + count.rejected >= 2 * PREFIXES,
        { deadline: Date.now() + receiver.timeoutSeconds * 1000, what: `two paths for each of ${PREFIXES} prefixes`, alive: [first.process, second.process] },
      );
    } catch (error) {
      if (!(error instanceof DeadlineError) || second.established === 0) throw error;
      process.stderr.write(`second feeder: ${error.message}\n`);
      return notFinished('second table', running, { seconds: (Date.now() - second.established) / 1000, cpuSeconds: processStats(pid).cpuSeconds - before.cpuSeconds });
    }
    if (second.established === 0) throw new Error('the second feeder never reported Established');
    const atHeld = processStats(pid);
    const idle = await quiet('the second table');
    const after = processStats(pid);
    return {
      timedOut: null,
      seconds: (held - second.established) / 1000,
      cpuSeconds: atHeld.cpuSeconds - before.cpuSeconds,
      idleSeconds: (Math.max(held, idle) - second.established) / 1000,
      idleCpuSeconds: after.cpuSeconds - before.cpuSeconds,
      peakRssMiB: after.peakRssMiB,
      feederSendSeconds: second.sendSeconds,
    };
  });
}

/** Every receiver `runs` times; medians per receiver as figures for the report. */
export async function secondFeederFigures(receivers: readonly Receiver[], runs: number): Promise<Figure[]> {
  if (process.getuid?.() !== 0) throw new Error('needs root for network namespaces (run it with sudo)');
  // Make sure both cached streams exist before anything is timed (the first is ingest's).
  cacheTableStream(FEEDER);
  cacheTableStream(SECOND_FEEDER, 'second');
  const values = {
    seconds: new Map<string, number>(), cpu: new Map<string, number>(), idle: new Map<string, number>(), idleCpu: new Map<string, number>(),
    rss: new Map<string, number>(), send: new Map<string, number>(),
  };
  const bounded = new Set<string>();
  for (const receiver of receivers) {
    const runsOf: SecondFeederMeasurement[] = [];
    for (let r = 0; r < runs; r++) {
      process.stderr.write(`second feeder: ${receiver.name} run ${r + 1}/${runs}\n`);
      const m = await measure(receiver);
      process.stderr.write(
        m.timedOut === null
          ? `second feeder: ${receiver.name} both paths after ${m.seconds.toFixed(2)} s, ${m.cpuSeconds.toFixed(2)} cpu s; idle after ${m.idleSeconds.toFixed(2)} s, ${m.idleCpuSeconds.toFixed(2)} cpu s; ${m.peakRssMiB.toFixed(0)} MiB\n`
          : `second feeder: ${receiver.name} did not finish the ${m.timedOut} within ${receiver.timeoutSeconds} s\n`,
      );
      runsOf.push(m);
    }
    // A run that did not finish makes the receiver's figures lower bounds.
    if (runsOf.some((m) => m.timedOut !== null)) bounded.add(receiver.name);
    const put = (into: Map<string, number>, of: (m: SecondFeederMeasurement) => number): void => void into.set(receiver.name, median(runsOf.map(of)));
    put(values.seconds, (m) => m.seconds);
    put(values.cpu, (m) => m.cpuSeconds);
    put(values.idle, (m) => m.idleSeconds);
    put(values.idleCpu, (m) => m.idleCpuSeconds);
    put(values.rss, (m) => m.peakRssMiB);
    values.send.set(`feeder 2 -> ${receiver.name}`, median(runsOf.map((m) => m.feederSendSeconds)));
  }
  return [
    { figure: 'second table 1M: feeder 2 Established to both paths held', unit: 's', values: values.seconds, atLeast: bounded },
    { figure: 'second table 1M: receiver CPU to both paths held', unit: 's', values: values.cpu, atLeast: bounded },
    { figure: 'second table 1M: until idle (sent on to both feeders, +-0.05 s)', unit: 's', values: values.idle, atLeast: bounded },
    { figure: 'second table 1M: receiver CPU until idle', unit: 's', values: values.idleCpu, atLeast: bounded },
    { figure: 'second table 1M: peak RSS (VmHWM)', unit: 'MiB', values: values.rss, atLeast: bounded },
    { figure: 'second table 1M: feeder 2 send time', unit: 's', values: values.send, compare: false },
  ];
}

/** What the second table is, for the report's heading. */
export const SECOND_TABLE_DESCRIPTION =
  `second full table: ${PREFIXES.toLocaleString('en-US')} prefixes from a second eBGP feeder once the first's are held `
  + `(${SECOND_PATH_SHARES.shorter * 100}% of sets a hop shorter, ${SECOND_PATH_SHARES.longer * 100}% a hop longer, `
  + `${SECOND_PATH_SHARES.origin * 100}% another origin, the rest as long)`;

async function main(): Promise<void> {
  const args = parseBenchArguments(process.argv.slice(2), RECEIVERS.map((r) => r.key));
  const figures = await secondFeederFigures(receiversByKey(args.receivers), args.runs);
  process.stdout.write(`${SECOND_TABLE_DESCRIPTION}; receiver pinned to one core, no FIB; median of ${args.runs}\n`);
  process.stdout.write(formatFigures(figures));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`second feeder: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
