import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatTable } from '../../common/cli.js';
import { FULL_TABLE, loadTableStream } from './table.js';
import { emitFigures, type Figure } from '../figures.js';

/**
 * Full-table ingest: the same 1,000,000-prefix table from one feeder to each receiver
 * in turn, the receiver in its own network namespace pinned to one core, the feeder
 * in another on the other core. Reports seconds from Established until the receiver
 * holds every route, its CPU seconds and peak RSS (VmHWM), with ratios against BIRD.
 * Needs root. Usage: node dist/bench/bgp/ingest.js [runs] [receiver...]
 * Receivers: bird, gobgp (garagenet's own daemon joins when its branch lands).
 */

const run = promisify(execFile);
const FEEDER_AS = 65000;
const RECEIVER_AS = 65001;
const FEEDER_ADDRESS = '10.201.0.1';
const RECEIVER_ADDRESS = '10.201.0.2';
const ROUTES = FULL_TABLE.prefixes;

interface Receiver {
  readonly name: string;
  /** Deadline for the whole table (GoBGP needs tens of seconds here). */
  readonly timeoutSeconds: number;
  /** How often to ask for the route count; each query costs the receiver some CPU. */
  readonly pollMs: number;
  start(ns: string, dir: string): ChildProcess;
  routeCount(ns: string, dir: string): Promise<number>;
}

const bird: Receiver = {
  name: 'BIRD 2',
  timeoutSeconds: 60,
  pollMs: 50,
  start(ns, dir) {
    writeFileSync(
      join(dir, 'bird.conf'),
      `router id ${RECEIVER_ADDRESS};
protocol device {}
protocol bgp feeder {
  local ${RECEIVER_ADDRESS} as ${RECEIVER_AS};
  neighbor ${FEEDER_ADDRESS} as ${FEEDER_AS};
  passive on;
  ipv4 { import all; export none; };
}
`,
    );
    return spawn('ip', ['netns', 'exec', ns, 'taskset', '-c', '1', 'bird', '-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { stdio: 'ignore' });
  },
  async routeCount(ns, dir) {
    const { stdout } = await run('ip', ['netns', 'exec', ns, 'birdc', '-s', join(dir, 'bird.ctl'), 'show', 'route', 'count']);
    return Number(/(\d+) of \d+ routes .* table master4/.exec(stdout)?.[1] ?? 0);
  },
};

const gobgp: Receiver = {
  name: 'GoBGP 3',
  timeoutSeconds: 180,
  // ANCHORS.md: GoBGP read commands cost it 0.1-0.24 s of CPU at 1M routes; ask rarely.
  pollMs: 2000,
  start(ns, dir) {
    writeFileSync(
      join(dir, 'gobgpd.toml'),
      `[global.config]
  as = ${RECEIVER_AS}
  router-id = "${RECEIVER_ADDRESS}"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${FEEDER_ADDRESS}"
    peer-as = ${FEEDER_AS}
  [neighbors.transport.config]
    passive-mode = true
`,
    );
    return spawn('ip', ['netns', 'exec', ns, 'taskset', '-c', '1', 'gobgpd', '-f', join(dir, 'gobgpd.toml'), '--api-hosts', '127.0.0.1:50051', '-l', 'warn'], { stdio: 'ignore' });
  },
  async routeCount(ns) {
    const { stdout } = await run('ip', ['netns', 'exec', ns, 'gobgp', '-u', '127.0.0.1', '-p', '50051', 'global', 'rib', 'summary', '-a', 'ipv4']);
    return Number(/Destination: (\d+)/.exec(stdout)?.[1] ?? 0);
  },
};

const RECEIVERS: Readonly<Record<string, Receiver>> = { bird, gobgp };

interface Measurement {
  readonly receiver: string;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
  readonly feederSendSeconds: number;
}

function processStats(pid: number): { cpuSeconds: number; peakRssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, fields 14 and 15 of stat
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuSeconds: ticks / 100, peakRssMiB: Number(hwm ?? 0) / 1024 };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(3000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Two namespaces joined by a veth pair; removed by the returned function. */
async function makeLink(id: string): Promise<{ feederNs: string; receiverNs: string; remove: () => Promise<void> }> {
  const feederNs = `gnb${id}-feed`;
  const receiverNs = `gnb${id}-recv`;
  const remove = async (): Promise<void> => {
    for (const ns of [feederNs, receiverNs]) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  };
  try {
    for (const ns of [feederNs, receiverNs]) {
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await run('ip', ['link', 'add', `gnb${id}f`, 'netns', feederNs, 'type', 'veth', 'peer', 'name', `gnb${id}r`, 'netns', receiverNs]);
    await run('ip', ['-n', feederNs, 'addr', 'add', `${FEEDER_ADDRESS}/30`, 'dev', `gnb${id}f`]);
    await run('ip', ['-n', receiverNs, 'addr', 'add', `${RECEIVER_ADDRESS}/30`, 'dev', `gnb${id}r`]);
    await run('ip', ['-n', feederNs, 'link', 'set', `gnb${id}f`, 'up']);
    await run('ip', ['-n', receiverNs, 'link', 'set', `gnb${id}r`, 'up']);
  } catch (error) {
    await remove();
    throw error;
  }
  return { feederNs, receiverNs, remove };
}

async function measure(receiver: Receiver): Promise<Measurement> {
  const id = randomBytes(2).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'gn-ingest-'));
  const link = await makeLink(id);
  const children: ChildProcess[] = [];
  try {
    const daemon = receiver.start(link.receiverNs, dir);
    children.push(daemon);
    await sleep(1000);
    if (daemon.exitCode !== null) throw new Error(`${receiver.name} exited at start with code ${daemon.exitCode}`);

    const feederScript = fileURLToPath(new URL('./feeder.js', import.meta.url));
    const feeder = spawn(
      'ip',
      ['netns', 'exec', link.feederNs, 'taskset', '-c', '0', process.execPath, feederScript, RECEIVER_ADDRESS, '179', String(FEEDER_AS), String(RECEIVER_AS), FEEDER_ADDRESS, String(receiver.timeoutSeconds + 5)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(feeder);
    let established = 0;
    let feederSendSeconds = Number.NaN;
    feeder.stdout!.on('data', (data: Buffer) => {
      for (const line of data.toString().split('\n').filter(Boolean)) {
        const event = JSON.parse(line) as { event: string; at?: number; sendSeconds?: number };
        if (event.event === 'established') established = event.at!;
        if (event.event === 'sent') feederSendSeconds = event.sendSeconds!;
      }
    });

    const deadline = Date.now() + receiver.timeoutSeconds * 1000;
    let count = 0;
    while (count < ROUTES) {
      if (Date.now() > deadline) throw new Error(`${receiver.name} held ${count} of ${ROUTES} routes after ${receiver.timeoutSeconds} s`);
      if (feeder.exitCode !== null) throw new Error(`the feeder exited with code ${feeder.exitCode}`);
      await sleep(receiver.pollMs);
      count = await receiver.routeCount(link.receiverNs, dir).catch(() => 0);
    }
    const seconds = (Date.now() - established) / 1000;
    return { receiver: receiver.name, seconds, ...processStats(daemon.pid!), feederSendSeconds };
  } finally {
    for (const child of children.reverse()) await stop(child);
    await link.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root for network namespaces (run it with sudo)');
  const runs = Number(process.argv[2] ?? 1);
  const names = process.argv.slice(3).length > 0 ? process.argv.slice(3) : Object.keys(RECEIVERS);
  const receivers = names.map((n) => RECEIVERS[n] ?? (() => { throw new Error(`unknown receiver "${n}" (known: ${Object.keys(RECEIVERS).join(', ')})`); })());
  // Make sure the cached stream exists before anything is timed.
  loadTableStream(FULL_TABLE, { localAs: FEEDER_AS, nextHop: 0x0ac90001 });

  const results: Measurement[][] = [];
  for (const receiver of receivers) {
    const runsOf: Measurement[] = [];
    for (let r = 0; r < runs; r++) {
      process.stderr.write(`${receiver.name}: run ${r + 1}/${runs}\n`);
      runsOf.push(await measure(receiver));
    }
    results.push(runsOf);
  }
  const birdRuns = results[receivers.indexOf(bird)];
  const birdSeconds = birdRuns ? median(birdRuns.map((m) => m.seconds)) : Number.NaN;
  const birdRss = birdRuns ? median(birdRuns.map((m) => m.peakRssMiB)) : Number.NaN;
  const rows = results.map((runsOf) => {
    const seconds = runsOf.map((m) => m.seconds);
    const rss = median(runsOf.map((m) => m.peakRssMiB));
    return [
      runsOf[0]!.receiver,
      `${Math.min(...seconds).toFixed(2)} / ${median(seconds).toFixed(2)}`,
      median(runsOf.map((m) => m.cpuSeconds)).toFixed(2),
      rss.toFixed(0),
      (median(seconds) / birdSeconds).toFixed(2),
      (rss / birdRss).toFixed(2),
      median(runsOf.map((m) => m.feederSendSeconds)).toFixed(3),
    ];
  });
  process.stdout.write(`full-table ingest: ${ROUTES.toLocaleString('en-US')} prefixes, one eBGP session, receiver pinned to one core, no FIB\n`);
  process.stdout.write(formatTable(['receiver', 'seconds min / median', 'cpu s', 'peak RSS MiB', 'x BIRD time', 'x BIRD RSS', 'feeder send s'], rows));
  // garagenet's own daemon is not a receiver here yet: its column stays empty, the peers are still measured.
  emitFigures('bgp-ingest', results.map((runsOf): Figure => ({
    figure: `full-table ingest ${ROUTES.toLocaleString('en')} prefixes over eBGP`, unit: 's', ours: null, peer: runsOf[0]!.receiver, peerValue: median(runsOf.map((m) => m.seconds)), better: 'lower',
  })));
}

main().catch((error: unknown) => {
  process.stderr.write(`ingest: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
