import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAddress } from '../../common/prefix.js';
import { formatFigures, parseBenchArguments, type Figure } from './report.js';
import { median } from '../stats.js';
import { FEEDER_CORE, RECEIVER_CORE, track, makeLink, processStats, RECEIVER_ADDRESS, RECEIVER_AS, RECEIVERS, sleep, stopProcess, waitForCount, withReceiver, type FeederPeer, type Receiver, type RunningReceiver } from './receivers.js';
import { FULL_TABLE, loadTableStream, type TablePaths } from './table.js';

/**
 * Full-table ingest: the same 1,000,000-prefix table from one feeder to each receiver
 * in turn, the receiver in its own network namespace pinned to one core, the feeder
 * in another on the other core. Reports seconds from Established until the receiver
 * holds every route (garagenet: every route it did not refuse as a bogon), its CPU
 * seconds and peak RSS (VmHWM), with ratios against BIRD and GoBGP, and the
 * feeder's own send time. Needs root.
 * Usage: node dist/bench/bgp/ingest.js [--runs N] [--no-gobgp] [bird|gobgp|garagenet ...]
 */

/** The one feeder of the ingest; the first of two in bench/bgp/second-feeder.ts. */
export const FEEDER: FeederPeer = { address: '10.201.0.1', asn: 65000 };
const ROUTES = FULL_TABLE.prefixes;

export interface IngestMeasurement {
  readonly receiver: string;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
  readonly feederSendSeconds: number;
  readonly rejected: number;
}

export interface FeederProcess {
  readonly process: ChildProcess;
  /** When the session came up (ms since the epoch), 0 until then. */
  readonly established: number;
  /** Seconds the feeder took to hand the whole table to its socket; NaN until it did. */
  readonly sendSeconds: number;
}

/**
 * A feeder (bench/bgp/feeder.ts) as `peer` in its namespace on its own core,
 * sending the table's `paths` (the first unless told), staying up `staySeconds`.
 */
export function startFeeder(ns: string, options: { peer: FeederPeer; staySeconds: number; paths?: TablePaths }): FeederProcess {
  const { peer, staySeconds, paths = 'first' } = options;
  const feederScript = fileURLToPath(new URL('./feeder.js', import.meta.url));
  const child = track(spawn(
    'ip',
    ['netns', 'exec', ns, 'taskset', '-c', FEEDER_CORE, process.execPath, feederScript, RECEIVER_ADDRESS, '179', String(peer.asn), String(RECEIVER_AS), peer.address, String(staySeconds), paths],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  ));
  const state = { process: child, established: 0, sendSeconds: Number.NaN };
  child.stdout!.on('data', (data: Buffer) => {
    for (const line of data.toString().split('\n').filter(Boolean)) {
      const event = JSON.parse(line) as { event: string; at?: number; sendSeconds?: number };
      if (event.event === 'established') state.established = event.at!;
      if (event.event === 'sent') state.sendSeconds = event.sendSeconds!;
    }
  });
  return state;
}

/**
 * The feeder alone: the same link and cores, but the receiver is bench/bgp/sink.ts,
 * which only counts octets until End-of-RIB. Shows that the feeder outruns every receiver.
 */
async function measureFeederAlone(): Promise<{ sendSeconds: number; sinkSeconds: number }> {
  const link = await makeLink(randomBytes(2).toString('hex'), [FEEDER.address]);
  const sinkScript = fileURLToPath(new URL('./sink.js', import.meta.url));
  const sink = track(spawn('ip', ['netns', 'exec', link.receiverNs, 'taskset', '-c', RECEIVER_CORE, process.execPath, sinkScript, '179', String(RECEIVER_AS), RECEIVER_ADDRESS], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const children: ChildProcess[] = [sink];
  try {
    let output = '';
    sink.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the sink did not start listening in 10 s')), 10_000);
      sink.stderr!.on('data', (d: Buffer) => (d.toString().includes('listening') ? (clearTimeout(timer), resolve()) : undefined));
      sink.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the sink exited with ${code} before listening`))));
    });
    const feeder = startFeeder(link.feederNs, { peer: FEEDER, staySeconds: 30 });
    children.push(feeder.process);
    const deadline = Date.now() + 30_000;
    while (!output.includes('\n') || Number.isNaN(feeder.sendSeconds)) {
      if (Date.now() > deadline) throw new Error('the feeder did not get the table into the sink in 30 s');
      await sleep(20);
    }
    return { sendSeconds: feeder.sendSeconds, sinkSeconds: (JSON.parse(output) as { receiveSeconds: number }).receiveSeconds };
  } finally {
    for (const child of children.reverse()) await stopProcess(child);
    await link.remove();
  }
}

async function measure(receiver: Receiver): Promise<IngestMeasurement> {
  return withReceiver(receiver, [FEEDER], async ({ link, running, children }) => {
    const feeder = startFeeder(link.feederNs, { peer: FEEDER, staySeconds: receiver.timeoutSeconds + 5 });
    children.push(feeder.process);
    const { at: doneAt, rejected } = await waitForFullTable(receiver, running, feeder);
    return { receiver: receiver.name, seconds: (doneAt - feeder.established) / 1000, ...processStats(running.process.pid!), feederSendSeconds: feeder.sendSeconds, rejected };
  });
}

/**
 * Waits until the receiver holds every route of the table the feeder sends
 * (garagenet: every one it did not refuse as a bogon), within its deadline.
 * Returns when (ms since the epoch) and how many it refused.
 */
export async function waitForFullTable(receiver: Receiver, running: RunningReceiver, feeder: FeederProcess): Promise<{ at: number; rejected: number }> {
  let rejected = 0;
  const at = await waitForCount(
    { name: receiver.name, pollMs: receiver.pollMs, running },
    (count) => {
      rejected = count.rejected;
      return count.routes + count.rejected >= ROUTES;
    },
    { deadline: Date.now() + receiver.timeoutSeconds * 1000, what: `${ROUTES} routes`, alive: [feeder.process] },
  );
  if (feeder.established === 0) throw new Error('the feeder never reported Established');
  return { at, rejected };
}

/**
 * Makes sure the stream `peer`'s feeder will send exists (bench/.data),
 * so that generating it is not timed: the feeder reads the same file.
 */
export function cacheTableStream(peer: FeederPeer, paths: TablePaths = 'first'): void {
  loadTableStream(FULL_TABLE, { localAs: peer.asn, nextHop: Number(parseAddress(peer.address).value) }, { paths });
}

/** Every receiver `runs` times; medians per receiver as figures for the report. */
export async function ingestFigures(receivers: readonly Receiver[], runs: number): Promise<Figure[]> {
  if (process.getuid?.() !== 0) throw new Error('needs root for network namespaces (run it with sudo)');
  cacheTableStream(FEEDER);
  const seconds = new Map<string, number>();
  const cpu = new Map<string, number>();
  const rss = new Map<string, number>();
  const send = new Map<string, number>();
  const alone = await measureFeederAlone();
  process.stderr.write(`ingest: feeder alone ${alone.sendSeconds.toFixed(3)} s to send, sink had it all after ${alone.sinkSeconds.toFixed(3)} s\n`);
  send.set('feeder -> sink (alone)', alone.sendSeconds);
  send.set('sink: all received', alone.sinkSeconds);
  for (const receiver of receivers) {
    const runsOf: IngestMeasurement[] = [];
    for (let r = 0; r < runs; r++) {
      process.stderr.write(`ingest: ${receiver.name} run ${r + 1}/${runs}\n`);
      const m = await measure(receiver);
      process.stderr.write(`ingest: ${receiver.name} ${m.seconds.toFixed(2)} s, ${m.cpuSeconds.toFixed(2)} cpu s, ${m.peakRssMiB.toFixed(0)} MiB${m.rejected > 0 ? `, ${m.rejected} bogons refused` : ''}\n`);
      runsOf.push(m);
    }
    seconds.set(receiver.name, median(runsOf.map((m) => m.seconds)));
    cpu.set(receiver.name, median(runsOf.map((m) => m.cpuSeconds)));
    rss.set(receiver.name, median(runsOf.map((m) => m.peakRssMiB)));
    send.set(`feeder -> ${receiver.name}`, median(runsOf.map((m) => m.feederSendSeconds)));
  }
  return [
    { figure: 'ingest 1M: Established to full Loc-RIB', unit: 's', values: seconds },
    { figure: 'ingest 1M: receiver CPU', unit: 's', values: cpu },
    { figure: 'ingest 1M: peak RSS (VmHWM)', unit: 'MiB', values: rss },
    { figure: 'ingest 1M: feeder send time (to a sink alone; to each receiver)', unit: 's', values: send, compare: false },
  ];
}

export function receiversByKey(keys: readonly string[]): Receiver[] {
  return keys.map((key) => RECEIVERS.find((r) => r.key === key)!);
}

async function main(): Promise<void> {
  const args = parseBenchArguments(process.argv.slice(2), RECEIVERS.map((r) => r.key));
  const figures = await ingestFigures(receiversByKey(args.receivers), args.runs);
  process.stdout.write(`full-table ingest: ${ROUTES.toLocaleString('en-US')} prefixes, one eBGP session, receiver pinned to one core, no FIB; median of ${args.runs}\n`);
  process.stdout.write(formatFigures(figures));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`ingest: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
