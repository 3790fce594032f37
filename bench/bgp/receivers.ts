import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RoutedClient } from '../../route-daemon/control/client.js';

/**
 * The receivers the BGP benchmarks compare, each started in its own network
 * namespace and pinned to core 1 with taskset (the feeders run on core 0),
 * and the namespaces they run in. Route counts come from O(1) counters where
 * the receiver has them (ANCHORS.md: a query that walks the table slows the
 * receiver while it is polled).
 */

export const RECEIVER_AS = 65001;
export const RECEIVER_ADDRESS = '10.201.0.2';
export const RECEIVER_CORE = '1';
export const FEEDER_CORE = '0';

const run = promisify(execFile);

/** One BGP neighbor of the receiver: a feeder session. */
export interface FeederPeer {
  readonly address: string;
  readonly asn: number;
}

export interface RouteCount {
  /** Routes in the Loc-RIB (IPv4 unicast). */
  readonly routes: number;
  /** Paths held, every peer's (two per prefix once two feeders sent the same table). */
  readonly paths: number;
  /** Prefixes the receiver's import policy refused (only garagenet refuses any: bogons). */
  readonly rejected: number;
}

export interface RunningReceiver {
  readonly process: ChildProcess;
  count(): Promise<RouteCount>;
  /** Closes any client the receiver's counter uses (the process is stopped by the caller). */
  close(): void;
}

export interface Receiver {
  readonly key: string;
  readonly name: string;
  /** Deadline for a whole table (GoBGP needs tens of seconds here). */
  readonly timeoutSeconds: number;
  /** How often to ask for the route count; each query costs the receiver some CPU. */
  readonly pollMs: number;
  start(setup: { ns: string; dir: string; peers: readonly FeederPeer[] }): RunningReceiver;
}

const liveNamespaces = new Set<string>();
const liveChildren = new Set<ChildProcess>();
let cleanupInstalled = false;

/**
 * Makes sure a benchmark stopped by SIGINT or SIGTERM still kills its daemons
 * and feeders and removes its namespaces (errors are handled by each run's finally).
 */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const cleanup = (signal: NodeJS.Signals) => (): void => {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const ns of liveNamespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns]);
      } catch {
        // Already gone.
      }
    }
    process.stderr.write(`bench: stopped by ${signal}, namespaces and processes removed\n`);
    process.exit(130);
  };
  process.once('SIGINT', cleanup('SIGINT'));
  process.once('SIGTERM', cleanup('SIGTERM'));
}

/** Kills `child` if the benchmark is stopped by a signal while it runs. */
export function track(child: ChildProcess): ChildProcess {
  installCleanup();
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}

function inNamespace(ns: string, command: readonly string[]): ChildProcess {
  // `ip netns exec` and `taskset` exec, so the child's pid is the receiver's own.
  return track(spawn('ip', ['netns', 'exec', ns, 'taskset', '-c', RECEIVER_CORE, ...command], { stdio: ['ignore', 'ignore', 'inherit'] }));
}

export const bird: Receiver = {
  key: 'bird',
  name: 'BIRD 2',
  timeoutSeconds: 60,
  pollMs: 50,
  start({ ns, dir, peers }) {
    const sessions = peers.map((p, k) => `protocol bgp feeder${k} {
  local ${RECEIVER_ADDRESS} as ${RECEIVER_AS};
  neighbor ${p.address} as ${p.asn};
  passive on;
  ipv4 { import all; export all; };
}
`);
    writeFileSync(join(dir, 'bird.conf'), `router id ${RECEIVER_ADDRESS};\nprotocol device {}\n${sessions.join('')}`);
    const child = inNamespace(ns, ['bird', '-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')]);
    return {
      process: child,
      async count() {
        // Each session's channel counters: O(1), where `show route count` walks the table.
        const { stdout } = await run('ip', ['netns', 'exec', ns, 'birdc', '-s', join(dir, 'bird.ctl'), 'show', 'protocols', 'all']);
        let routes = 0;
        let paths = 0;
        for (const [, imported, preferred] of stdout.matchAll(/Routes:\s+(\d+) imported, (?:\d+ filtered, )?\d+ exported, (\d+) preferred/g)) {
          paths += Number(imported);
          routes += Number(preferred);
        }
        return { routes, paths, rejected: 0 };
      },
      close() {},
    };
  },
};

export const gobgp: Receiver = {
  key: 'gobgp',
  name: 'GoBGP 3',
  timeoutSeconds: 180,
  // ANCHORS.md: GoBGP read commands cost it 0.1-0.24 s of CPU at 1M routes; ask rarely.
  pollMs: 2000,
  start({ ns, dir, peers }) {
    const neighbors = peers.map((p) => `[[neighbors]]
  [neighbors.config]
    neighbor-address = "${p.address}"
    peer-as = ${p.asn}
  [neighbors.transport.config]
    passive-mode = true
`);
    writeFileSync(join(dir, 'gobgpd.toml'), `[global.config]\n  as = ${RECEIVER_AS}\n  router-id = "${RECEIVER_ADDRESS}"\n${neighbors.join('')}`);
    const child = inNamespace(ns, ['gobgpd', '-f', join(dir, 'gobgpd.toml'), '--api-hosts', '127.0.0.1:50051', '-l', 'warn']);
    return {
      process: child,
      async count() {
        const { stdout } = await run('ip', ['netns', 'exec', ns, 'gobgp', '-u', '127.0.0.1', '-p', '50051', 'global', 'rib', 'summary', '-a', 'ipv4']);
        return { routes: Number(/Destination: (\d+)/.exec(stdout)?.[1] ?? 0), paths: Number(/Path: (\d+)/.exec(stdout)?.[1] ?? 0), rejected: 0 };
      },
      close() {},
    };
  },
};

const GARAGENET_BIN = fileURLToPath(new URL('../../../bin/garagenet.js', import.meta.url));

/**
 * garagenet's own route daemon as a process (`garagenet bgp daemon`), one
 * plane whose pool is all of IPv4 so that only the bogon filter refuses
 * anything. Extra node flags (e.g. --cpu-prof) come from GARAGENET_BENCH_NODE_FLAGS.
 */
export const garagenet: Receiver = {
  key: 'garagenet',
  name: 'garagenet',
  timeoutSeconds: 120,
  // GetSummary and ListNeighbors read kept counters: cheap to ask as often as BIRD is, so that
  // neither gains from the poll (a poll finds a change half an interval late on average: at 100 ms, 25 ms later than BIRD's).
  pollMs: 50,
  start({ ns, dir, peers }) {
    const socket = join(dir, 'routed.sock');
    const sessions = peers.map((p, k) => `
[peer feeder${k}]
plane = production
address = ${p.address}
asn = ${p.asn}
passive = yes
`);
    writeFileSync(
      join(dir, 'routed.conf'),
      `[router]
asn = ${RECEIVER_AS}
router-id = ${RECEIVER_ADDRESS}
listen = ${RECEIVER_ADDRESS}:179
control-socket = ${socket}

[plane production]
pools = 0.0.0.0/0
${sessions.join('')}`,
    );
    const nodeFlags = (process.env.GARAGENET_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    // The client first: if it cannot be made (no proto/ beside dist/), no daemon is left running.
    const client = new RoutedClient({ address: `unix:${socket}`, timeoutMs: 5000 });
    const child = inNamespace(ns, [process.execPath, ...nodeFlags, GARAGENET_BIN, 'bgp', 'daemon', '--config', join(dir, 'routed.conf')]);
    return {
      process: child,
      async count() {
        // Neighbors first: a rejection counted after it cannot make routes + rejected overshoot.
        const rejected = (await client.listNeighbors()).reduce((sum, n) => sum + n.rejected, 0);
        const planes = await client.summary();
        return { routes: planes.reduce((sum, p) => sum + p.ipv4Routes, 0), paths: planes.reduce((sum, p) => sum + p.paths, 0), rejected };
      },
      close() {
        client.close();
      },
    };
  },
};

export const RECEIVERS: readonly Receiver[] = [bird, gobgp, garagenet];

export interface ProcessStats {
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
}

export function processStats(pid: number): ProcessStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, fields 14 and 15 of stat
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuSeconds: ticks / 100, peakRssMiB: Number(hwm ?? 0) / 1024 };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGTERM, then SIGKILL after 10 s (enough for a daemon run with --cpu-prof to write its profile). */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(1000)]);
  }
}

export interface Link {
  readonly feederNs: string;
  readonly receiverNs: string;
  remove(): Promise<void>;
}

/** Two namespaces joined by a veth pair, the receiver at RECEIVER_ADDRESS, the feeders at `feederAddresses` (all in 10.201.0.0/24). */
export async function makeLink(id: string, feederAddresses: readonly string[]): Promise<Link> {
  const feederNs = `gnb${id}-feed`;
  const receiverNs = `gnb${id}-recv`;
  const remove = async (): Promise<void> => {
    for (const ns of [feederNs, receiverNs]) {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      liveNamespaces.delete(ns);
    }
  };
  installCleanup();
  liveNamespaces.add(feederNs);
  liveNamespaces.add(receiverNs);
  try {
    for (const ns of [feederNs, receiverNs]) {
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await run('ip', ['link', 'add', `gnb${id}f`, 'netns', feederNs, 'type', 'veth', 'peer', 'name', `gnb${id}r`, 'netns', receiverNs]);
    for (const address of feederAddresses) await run('ip', ['-n', feederNs, 'addr', 'add', `${address}/24`, 'dev', `gnb${id}f`]);
    await run('ip', ['-n', receiverNs, 'addr', 'add', `${RECEIVER_ADDRESS}/24`, 'dev', `gnb${id}r`]);
    await run('ip', ['-n', feederNs, 'link', 'set', `gnb${id}f`, 'up']);
    await run('ip', ['-n', receiverNs, 'link', 'set', `gnb${id}r`, 'up']);
  } catch (error) {
    await remove();
    throw error;
  }
  return { feederNs, receiverNs, remove };
}

/**
 * Waits until the receiver answers its route count (its BGP listener is up
 * before its control socket): a fixed pause was too short on a busy machine,
 * where the feeders then found the port closed.
 */
export async function waitForStart(receiver: { readonly name: string; readonly running: RunningReceiver }, options: { timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const { process: child } = receiver.running;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${receiver.name} exited at start (${child.exitCode ?? child.signalCode})`);
    if (await receiver.running.count().then(() => true, () => false)) return;
    if (Date.now() > deadline) throw new Error(`${receiver.name} did not answer on its control socket within ${options.timeoutMs / 1000} s of starting`);
    await sleep(200);
  }
}

/** A receiver did not get there before its deadline: what it had by then is still a figure (a lower bound). */
export class DeadlineError extends Error {
  constructor(message: string, readonly last: RouteCount) {
    super(message);
  }
}

/**
 * Polls until `done` holds for the receiver's count; throws past the deadline
 * or when a process we depend on has exited. Returns when it held, in ms since the epoch.
 */
export async function waitForCount(
  receiver: { readonly name: string; readonly pollMs: number; readonly running: RunningReceiver },
  done: (count: RouteCount) => boolean,
  options: { deadline: number; what: string; alive: readonly ChildProcess[] },
): Promise<number> {
  let last: RouteCount = { routes: 0, paths: 0, rejected: 0 };
  for (;;) {
    if (Date.now() > options.deadline) throw new DeadlineError(`${receiver.name} did not reach ${options.what} in time (at ${last.routes} routes, ${last.rejected} rejected)`, last);
    for (const child of [receiver.running.process, ...options.alive]) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${child.spawnargs.slice(0, 8).join(' ')} exited (${child.exitCode ?? child.signalCode}) while waiting for ${options.what}`);
    }
    await sleep(receiver.pollMs);
    last = await receiver.running.count().catch(() => last);
    if (done(last)) return Date.now();
  }
}

/** The span over which a receiver must be nearly idle to count as quiet. */
const QUIET_WINDOW_MS = 500;
/** How often the receiver's CPU time is read while waiting for it to go quiet: the precision of when it went idle. */
const QUIET_SAMPLE_MS = 50;

/**
 * Waits until the process uses less than a tenth of a core over half a
 * second: a receiver that holds every route may still be sending them on to
 * its other peers, and churn timed on top of that would measure the leftover
 * export. `idleAt` is when its last busy sample ended (more than a fifth of a
 * core over 50 ms; a 10 ms tick now and then is a timer, not work), so to
 * within 50 ms; `quiet` is false if it was still busy at the deadline.
 */
export async function waitForQuiet(pid: number, options: { deadline: number }): Promise<{ quiet: boolean; idleAt: number }> {
  const window: { at: number; cpu: number }[] = [{ at: Date.now(), cpu: processStats(pid).cpuSeconds }];
  let busyUntil = window[0]!.at;
  while (Date.now() < options.deadline) {
    await sleep(QUIET_SAMPLE_MS);
    const now = { at: Date.now(), cpu: processStats(pid).cpuSeconds };
    const last = window.at(-1)!;
    if (now.cpu - last.cpu > (0.2 * (now.at - last.at)) / 1000) busyUntil = now.at;
    window.push(now);
    while (window.length > 2 && window[1]!.at <= now.at - QUIET_WINDOW_MS) window.shift();
    const spanned = now.at - window[0]!.at >= QUIET_WINDOW_MS;
    if (spanned && now.at - busyUntil >= QUIET_WINDOW_MS && now.cpu - window[0]!.cpu < 0.05) return { quiet: true, idleAt: busyUntil };
  }
  return { quiet: false, idleAt: Date.now() };
}

/** One receiver started in namespaces of its own, as a benchmark run has it. */
export interface ReceiverRun {
  readonly link: Link;
  readonly running: RunningReceiver;
  /** Everything started for the run, the receiver first: stopped in reverse order when it ends. */
  readonly children: ChildProcess[];
}

/**
 * Makes the namespaces (feeders at `peers`' addresses), starts the receiver
 * with those peers and waits until it answers, runs `body`, then stops every
 * process in `children` and removes the namespaces and files, also on failure.
 */
export async function withReceiver<T>(receiver: Receiver, peers: readonly FeederPeer[], body: (run: ReceiverRun) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `gn-bgp-${receiver.key}-`));
  const link = await makeLink(randomBytes(2).toString('hex'), peers.map((p) => p.address));
  const children: ChildProcess[] = [];
  // Started inside the try: a receiver that fails to start must not leave the namespaces behind.
  let started: RunningReceiver | undefined;
  try {
    const running = (started = receiver.start({ ns: link.receiverNs, dir, peers }));
    children.push(running.process);
    await waitForStart({ name: receiver.name, running }, { timeoutMs: 20_000 });
    return await body({ link, running, children });
  } finally {
    started?.close();
    for (const child of children.reverse()) await stopProcess(child);
    await link.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}
