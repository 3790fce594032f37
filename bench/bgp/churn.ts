import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeChurnStreams, type ChurnPeer, type ChurnStreams } from './churn-streams.js';
import { receiversByKey } from './ingest.js';
import { formatFigures, parseBenchArguments, type Figure } from './report.js';
import { median } from '../stats.js';
import { DeadlineError, FEEDER_CORE, track, processStats, RECEIVER_ADDRESS, RECEIVER_AS, RECEIVERS, sleep, waitForCount, waitForQuiet, withReceiver, type Receiver } from './receivers.js';
import { FULL_TABLE, generateTable } from './table.js';

/**
 * 10-peer churn: ten feeders (one process, own core) each announce their share
 * of the full table to the receiver (own namespace, pinned to the other core);
 * once it holds everything, every feeder withdraws a tenth of its prefixes at
 * the same moment, and once the receiver has dropped them all, announces them
 * again. Each step starts once the receiver is idle (done sending what it learned
 * on to the other feeders). Reports per receiver the time to load from ten peers, to converge on
 * the withdrawal and on the re-announcement (from the first octet sent until
 * the route count is right), how long until it is idle again after each (it
 * has sent the change on to the other nine; to within 50 ms),
 * its CPU seconds for the churn up to that idle point, and peak RSS.
 * Needs root. Usage: node dist/bench/bgp/churn.js [--runs N] [--no-gobgp] [bird|gobgp|garagenet ...]
 */

/** How long a receiver may go on exporting after it holds every route before the churn starts regardless. */
const QUIET_DEADLINE_MS = 120_000;
const PEERS: readonly ChurnPeer[] = Array.from({ length: 10 }, (_, k) => ({ address: `10.201.0.${11 + k}`, asn: 65010 + k }));

export interface ChurnMeasurement {
  readonly loadSeconds: number;
  /** The receiver did not hold the whole table by its deadline: loadSeconds is a lower bound, the churn was not run. */
  readonly loadTimedOut: boolean;
  readonly withdrawSeconds: number;
  readonly announceSeconds: number;
  /** From the start of the step until the receiver was idle again: its export to the other feeders included. */
  readonly withdrawIdleSeconds: number;
  readonly announceIdleSeconds: number;
  readonly churnCpuSeconds: number;
  readonly peakRssMiB: number;
  /** Seconds the ten feeders took to hand their shares to their sockets (the slowest of them). */
  readonly feederSendSeconds: number;
}

interface ChurnFeeder {
  readonly process: ChildProcess;
  /** Resolves with the event's fields when the feeder prints it. */
  next(event: string, timeoutMs: number): Promise<Record<string, number>>;
  command(line: 'withdraw' | 'announce'): void;
}

function startChurnFeeder(ns: string, dir: string): ChurnFeeder {
  const script = fileURLToPath(new URL('./churn-feeder.js', import.meta.url));
  const child = track(spawn(
    'ip',
    ['netns', 'exec', ns, 'taskset', '-c', FEEDER_CORE, process.execPath, script, dir, RECEIVER_ADDRESS, String(RECEIVER_AS), ...PEERS.map((p) => `${p.address}:${p.asn}`)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  ));
  const events = new Map<string, Record<string, number>>();
  let buffered = '';
  child.stdout!.on('data', (data: Buffer) => {
    buffered += data.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      const { event, ...fields } = JSON.parse(line) as { event: string } & Record<string, number>;
      events.set(event, fields);
    }
  });
  return {
    process: child,
    async next(event, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!events.has(event)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the churn feeder exited (${child.exitCode ?? child.signalCode}) before "${event}"`);
        if (Date.now() > deadline) throw new Error(`the churn feeder did not report "${event}" in ${timeoutMs / 1000} s`);
        await sleep(10);
      }
      return events.get(event)!;
    },
    command(line) {
      child.stdin!.write(`${line}\n`);
    },
  };
}

async function measure(receiver: Receiver, streamsDir: string, streams: ChurnStreams): Promise<ChurnMeasurement> {
  return withReceiver(receiver, PEERS, async ({ link, running, children }) => {
    const feeder = startChurnFeeder(link.feederNs, streamsDir);
    children.push(feeder.process);
    const phase = async (what: string, done: (routes: number) => boolean): Promise<number> =>
      waitForCount({ name: receiver.name, pollMs: receiver.pollMs, running }, (c) => done(c.routes), {
        deadline: Date.now() + receiver.timeoutSeconds * 1000, what, alive: [feeder.process],
      });

    const { at: established } = await feeder.next('established', 30_000);
    let loaded: number;
    try {
      loaded = await phase(`${streams.routes} routes from ${PEERS.length} peers`, (routes) => routes >= streams.routes);
    } catch (error) {
      if (!(error instanceof DeadlineError)) throw error;
      process.stderr.write(`churn: ${error.message}\n`);
      const stats = processStats(running.process.pid!);
      return {
        loadSeconds: (Date.now() - established!) / 1000, loadTimedOut: true, withdrawSeconds: Number.NaN, announceSeconds: Number.NaN,
        withdrawIdleSeconds: Number.NaN, announceIdleSeconds: Number.NaN, churnCpuSeconds: Number.NaN, peakRssMiB: stats.peakRssMiB, feederSendSeconds: Number.NaN,
      };
    }
    /** Waits until the receiver is idle; returns when its work ended (ms since the epoch, to within 50 ms). */
    const quiet = async (after: string): Promise<number> => {
      const { quiet: idle, idleAt } = await waitForQuiet(running.process.pid!, { deadline: Date.now() + QUIET_DEADLINE_MS });
      if (!idle) process.stderr.write(`churn: ${receiver.name} still busy ${QUIET_DEADLINE_MS / 1000} s after ${after}; timing the churn anyway\n`);
      return idleAt;
    };
    const { sendSeconds: feederSendSeconds } = await feeder.next('loaded', 30_000);
    await quiet('the load');
    const before = processStats(running.process.pid!);

    feeder.command('withdraw');
    const { at: withdrawStart } = await feeder.next('withdraw-start', 10_000);
    const withdrawn = await phase(`${streams.routes - streams.churned} routes after the withdrawal`, (routes) => routes <= streams.routes - streams.churned);

    const withdrawIdle = await quiet('the withdrawal');
    feeder.command('announce');
    const { at: announceStart } = await feeder.next('announce-start', 10_000);
    const announced = await phase(`${streams.routes} routes after the re-announcement`, (routes) => routes >= streams.routes);
    const announceIdle = await quiet('the re-announcement');
    const after = processStats(running.process.pid!);
    return {
      loadSeconds: (loaded - established!) / 1000,
      loadTimedOut: false,
      withdrawSeconds: (withdrawn - withdrawStart!) / 1000,
      announceSeconds: (announced - announceStart!) / 1000,
      withdrawIdleSeconds: Math.max(withdrawn, withdrawIdle) / 1000 - withdrawStart! / 1000,
      announceIdleSeconds: Math.max(announced, announceIdle) / 1000 - announceStart! / 1000,
      churnCpuSeconds: after.cpuSeconds - before.cpuSeconds,
      peakRssMiB: after.peakRssMiB,
      feederSendSeconds: feederSendSeconds!,
    };
  });
}

export async function churnFigures(receivers: readonly Receiver[], runs: number): Promise<Figure[]> {
  if (process.getuid?.() !== 0) throw new Error('needs root for network namespaces (run it with sudo)');
  const streamsDir = mkdtempSync(join(tmpdir(), 'gn-churn-streams-'));
  try {
    process.stderr.write(`churn: splitting the table among ${PEERS.length} feeders\n`);
    const streams = writeChurnStreams(generateTable(FULL_TABLE), PEERS, streamsDir);
    const timedOut = new Set<string>();
    const figures = {
      load: new Map<string, number>(), withdraw: new Map<string, number>(), announce: new Map<string, number>(),
      withdrawIdle: new Map<string, number>(), announceIdle: new Map<string, number>(), cpu: new Map<string, number>(), rss: new Map<string, number>(), send: new Map<string, number>(),
    };
    for (const receiver of receivers) {
      const runsOf: ChurnMeasurement[] = [];
      for (let r = 0; r < runs; r++) {
        process.stderr.write(`churn: ${receiver.name} run ${r + 1}/${runs}\n`);
        const m = await measure(receiver, streamsDir, streams);
        process.stderr.write(
          `churn: ${receiver.name} load ${m.loadSeconds.toFixed(2)} s, withdraw ${m.withdrawSeconds.toFixed(2)} s (idle after ${m.withdrawIdleSeconds.toFixed(2)} s), `
          + `re-announce ${m.announceSeconds.toFixed(2)} s (idle after ${m.announceIdleSeconds.toFixed(2)} s), ${m.churnCpuSeconds.toFixed(2)} cpu s, ${m.peakRssMiB.toFixed(0)} MiB\n`,
        );
        runsOf.push(m);
      }
      if (runsOf.some((m) => m.loadTimedOut)) timedOut.add(receiver.name);
      figures.load.set(receiver.name, median(runsOf.map((m) => m.loadSeconds)));
      figures.withdraw.set(receiver.name, median(runsOf.map((m) => m.withdrawSeconds)));
      figures.announce.set(receiver.name, median(runsOf.map((m) => m.announceSeconds)));
      figures.withdrawIdle.set(receiver.name, median(runsOf.map((m) => m.withdrawIdleSeconds)));
      figures.announceIdle.set(receiver.name, median(runsOf.map((m) => m.announceIdleSeconds)));
      figures.cpu.set(receiver.name, median(runsOf.map((m) => m.churnCpuSeconds)));
      figures.rss.set(receiver.name, median(runsOf.map((m) => m.peakRssMiB)));
      figures.send.set(`feeders -> ${receiver.name}`, median(runsOf.map((m) => m.feederSendSeconds)));
    }
    const share = `${(streams.churned / 1000).toFixed(0)}k of ${(streams.routes / 1000).toFixed(0)}k`;
    return [
      { figure: `churn, ${PEERS.length} peers: load full table`, unit: 's', values: figures.load, atLeast: timedOut },
      { figure: `churn: converge on withdrawal of ${share}`, unit: 's', values: figures.withdraw },
      { figure: `churn: converge on re-announcement of ${share}`, unit: 's', values: figures.announce },
      { figure: `churn: withdrawal until idle (sent on to 9 peers, +-0.05 s)`, unit: 's', values: figures.withdrawIdle },
      { figure: `churn: re-announcement until idle (sent on to 9 peers, +-0.05 s)`, unit: 's', values: figures.announceIdle },
      { figure: 'churn: receiver CPU for withdraw + re-announce, until idle', unit: 's', values: figures.cpu },
      { figure: `churn, ${PEERS.length} peers: peak RSS (VmHWM)`, unit: 'MiB', values: figures.rss, atLeast: timedOut },
      { figure: `churn, ${PEERS.length} peers: feeders' send time of the load`, unit: 's', values: figures.send, compare: false },
    ];
  } finally {
    rmSync(streamsDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = parseBenchArguments(process.argv.slice(2), RECEIVERS.map((r) => r.key));
  const figures = await churnFigures(receiversByKey(args.receivers), args.runs);
  process.stdout.write(`${PEERS.length}-peer churn: full table split among ${PEERS.length} eBGP feeders, then 10% withdrawn and re-announced; receiver pinned to one core, no FIB; median of ${args.runs}\n`);
  process.stdout.write(formatFigures(figures));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`churn: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
