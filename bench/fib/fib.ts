import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_PER_SEND, Rtnetlink, type RouteChange } from '../../native/rtnetlink.js';
import { shuffle } from '../../native/table-sync.js';
import { emitFigures, type Figure } from '../figures.js';

/**
 * Kernel FIB programming: N IPv4 routes into an empty, veth-routed table of a
 * scratch namespace, with the rtnetlink addon and with `ip -batch`, side by
 * side in one run. Deletes go in the same shuffled order for both: deleting a
 * big table in address order is several times slower in the kernel's trie
 * (ANCHORS.md), and a real withdrawal storm is not sorted either; the addon's
 * address-order delete is timed too at the smallest size, to show the cost.
 *
 *   node dist/bench/fib/fib.js [--sizes 100000,1000000] [--per-send 1000] [--runs 1]
 */

const TABLE = 500;
const PROTOCOL = 201;
const GATEWAY = '10.99.0.2';

interface Row {
  size: number;
  tool: string;
  addSeconds: number;
  deleteSeconds: number;
  /** CPU seconds (user + system, the kernel's FIB work included): steadier than wall time on a shared machine. */
  addCpu: number;
  deleteCpu: number;
  kernelMiB: number;
  processMiB: string;
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Kernel slab memory in KiB (where the FIB's trie nodes and fib_alias entries live). */
function slabKiB(): number {
  const line = readFileSync('/proc/meminfo', 'utf8').split('\n').find((l) => l.startsWith('Slab:'))!;
  return Number(line.split(/\s+/)[1]);
}

function prefixes(size: number): string[] {
  const out: string[] = new Array(size);
  for (let i = 0; i < size; i++) {
    const v = 0x10000000 + i * 256;
    out[i] = `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.0/24`;
  }
  return out;
}

/** Runs `ip -batch` under /usr/bin/time (package "time"): seconds, CPU seconds and peak RSS in MiB. */
function ipBatch(ns: string, file: string): { seconds: number; cpu: number; peakMiB: string } {
  const start = performance.now();
  const result = spawnSync('/usr/bin/time', ['-f', '%M %U %S', 'ip', '-n', ns, '-batch', file], { encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (result.error) throw new Error(`cannot run /usr/bin/time: ${result.error.message} (apt-get install time)`);
  if (result.status !== 0) throw new Error(`ip -batch failed: ${result.stderr.split('\n').slice(-3).join(' ')}`);
  const [kib, user, system] = result.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds, cpu: user! + system!, peakMiB: (kib! / 1024).toFixed(0) };
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

async function expectCount(rt: Rtnetlink, want: number, what: string): Promise<void> {
  const have = await rt.countRoutes(TABLE);
  if (have !== want) throw new Error(`${what}: the table holds ${have} routes, expected ${want}`);
}

interface Workload {
  readonly ns: string;
  readonly dir: string;
  readonly size: number;
  readonly perSend: number;
  readonly prefixes: string[];
  /** The same shuffled order for both tools. */
  readonly deleteOrder: string[];
}

async function benchIp(rt: Rtnetlink, w: Workload): Promise<Row> {
  const addFile = join(w.dir, 'add.batch');
  const delFile = join(w.dir, 'del.batch');
  writeFileSync(addFile, w.prefixes.map((p) => `route add ${p} via ${GATEWAY} table ${TABLE} proto ${PROTOCOL}\n`).join(''));
  writeFileSync(delFile, w.deleteOrder.map((p) => `route del ${p} table ${TABLE} proto ${PROTOCOL}\n`).join(''));
  const slab = slabKiB();
  const add = ipBatch(w.ns, addFile);
  const kernelMiB = (slabKiB() - slab) / 1024;
  await expectCount(rt, w.size, 'after ip -batch add');
  const del = ipBatch(w.ns, delFile);
  await expectCount(rt, 0, 'after ip -batch delete');
  return {
    size: w.size, tool: 'ip -batch', addSeconds: add.seconds, deleteSeconds: del.seconds, addCpu: add.cpu, deleteCpu: del.cpu,
    kernelMiB, processMiB: add.peakMiB,
  };
}

async function benchAddon(rt: Rtnetlink, w: Workload): Promise<Row> {
  const owner = { table: TABLE, protocol: PROTOCOL, perSend: w.perSend };
  global.gc?.();
  const slab = slabKiB();
  let start = performance.now();
  let cpu = process.cpuUsage();
  const adds: RouteChange[] = w.prefixes.map((prefix) => ({ op: 'add', route: { prefix, gateway: GATEWAY } }));
  const added = await rt.applyRoutes(adds, owner);
  const addSeconds = (performance.now() - start) / 1000;
  const addCpu = cpuSince(cpu);
  const kernelMiB = (slabKiB() - slab) / 1024;
  const rss = process.memoryUsage().rss / 2 ** 20;
  if (added.failed.length > 0) throw new Error(`addon add: ${added.failed.length} routes refused, first ${added.failed[0]!.message}`);
  await expectCount(rt, w.size, 'after addon add');
  start = performance.now();
  cpu = process.cpuUsage();
  const deleted = await rt.applyRoutes(w.deleteOrder.map((prefix) => ({ op: 'delete', route: { prefix } })), owner);
  const deleteSeconds = (performance.now() - start) / 1000;
  const deleteCpu = cpuSince(cpu);
  if (deleted.failed.length > 0) throw new Error(`addon delete: ${deleted.failed.length} routes refused`);
  await expectCount(rt, 0, 'after addon delete');
  return { size: w.size, tool: `addon (${w.perSend}/send)`, addSeconds, deleteSeconds, addCpu, deleteCpu, kernelMiB, processMiB: rss.toFixed(0) };
}

/** Addon delete in address order vs shuffled, at one size. */
async function deleteOrderCost(rt: Rtnetlink, size: number, perSend: number): Promise<{ sorted: number; shuffled: number }> {
  const all = prefixes(size);
  const timeDelete = async (order: string[]): Promise<number> => {
    await rt.applyRoutes(all.map((prefix) => ({ op: 'add', route: { prefix, gateway: GATEWAY } })), { table: TABLE, protocol: PROTOCOL, perSend });
    const start = performance.now();
    await rt.applyRoutes(order.map((prefix) => ({ op: 'delete', route: { prefix } })), { table: TABLE, protocol: PROTOCOL, perSend });
    const seconds = (performance.now() - start) / 1000;
    await expectCount(rt, 0, 'after the order test');
    return seconds;
  };
  const shuffled = [...all];
  shuffle(shuffled);
  return { sorted: await timeDelete(all), shuffled: await timeDelete(shuffled) };
}

/** The best (smallest) time and memory of each column over several runs of one tool. */
function best(runs: Row[]): Row {
  const min = (pick: (r: Row) => number): number => Math.min(...runs.map(pick));
  return {
    ...runs[0]!,
    addSeconds: min((r) => r.addSeconds),
    deleteSeconds: min((r) => r.deleteSeconds),
    addCpu: min((r) => r.addCpu),
    deleteCpu: min((r) => r.deleteCpu),
    kernelMiB: min((r) => r.kernelMiB),
  };
}

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

async function main(): Promise<void> {
  const sizes = option('--sizes', '100000,1000000').split(',').map(Number);
  const perSend = Number(option('--per-send', String(DEFAULT_PER_SEND)));
  const runsPerSize = Number(option('--runs', '1'));
  if (!Number.isInteger(runsPerSize) || runsPerSize < 1 || runsPerSize > 10) throw new Error('--runs: a whole number from 1 to 10');
  if (sizes.some((s) => !Number.isInteger(s) || s <= 0 || s > 2_000_000)) throw new Error('--sizes: whole numbers from 1 to 2000000');
  const id = randomBytes(3).toString('hex');
  const ns = `gnfib${id}`;
  const peer = `gnfibp${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'garagenet-fib-'));
  let rt: Rtnetlink | undefined;
  const cleanUp = (): void => {
    rt?.close();
    for (const n of [ns, peer]) spawnSync('ip', ['netns', 'del', n]);
    rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C during a long run must not leave the scratch namespaces behind.
  process.once('SIGINT', () => {
    cleanUp();
    process.exit(130);
  });
  try {
    run('ip', ['netns', 'add', ns]);
    run('ip', ['netns', 'add', peer]);
    run('ip', ['link', 'add', 'fib0', 'netns', ns, 'type', 'veth', 'peer', 'name', 'fib1', 'netns', peer]);
    run('ip', ['-n', ns, 'addr', 'add', '10.99.0.1/24', 'dev', 'fib0']);
    run('ip', ['-n', peer, 'addr', 'add', '10.99.0.2/24', 'dev', 'fib1']);
    run('ip', ['-n', ns, 'link', 'set', 'fib0', 'up']);
    run('ip', ['-n', peer, 'link', 'set', 'fib1', 'up']);
    rt = Rtnetlink.open({ netns: ns });
    const rows: Row[] = [];
    for (const size of sizes) {
      // ip and the addon run back to back within each run so that both see
      // the same load from other processes; each figure is the best of the runs.
      const all = prefixes(size);
      const deleteOrder = [...all];
      shuffle(deleteOrder);
      const workload: Workload = { ns, dir, size, perSend, prefixes: all, deleteOrder };
      const ipRuns: Row[] = [];
      const addonRuns: Row[] = [];
      for (let run = 1; run <= runsPerSize; run++) {
        process.stderr.write(`fib: ${size} routes, run ${run} of ${runsPerSize}...\n`);
        // Who goes first alternates, so that neither always meets the same load.
        if (run % 2 === 1) {
          ipRuns.push(await benchIp(rt, workload));
          addonRuns.push(await benchAddon(rt, workload));
        } else {
          addonRuns.push(await benchAddon(rt, workload));
          ipRuns.push(await benchIp(rt, workload));
        }
      }
      rows.push(best(ipRuns), best(addonRuns));
    }
    console.log(`\nKernel FIB programming, IPv4 /24 via a veth next hop, empty table, best of ${runsPerSize} run(s)`);
    console.log('size       tool              add s  add cpu s  add routes/s  del s  del cpu s  del routes/s  kernel MiB  process MiB');
    for (const r of rows) {
      console.log(
        [
          String(r.size).padEnd(10),
          r.tool.padEnd(16),
          fmt(r.addSeconds).padStart(6),
          fmt(r.addCpu).padStart(10),
          fmt(r.size / r.addSeconds, 0).padStart(13),
          fmt(r.deleteSeconds).padStart(6),
          fmt(r.deleteCpu).padStart(10),
          fmt(r.size / r.deleteSeconds, 0).padStart(13),
          fmt(r.kernelMiB, 0).padStart(11),
          r.processMiB.padStart(12),
        ].join(' '),
      );
    }
    console.log('\nratio addon / ip -batch (routes per second by wall time; by CPU time in brackets)');
    for (const size of sizes) {
      const [ip, addon] = rows.filter((r) => r.size === size);
      console.log(
        `${String(size).padEnd(10)} add ${fmt(ip!.addSeconds / addon!.addSeconds)}x (${fmt(ip!.addCpu / addon!.addCpu)}x)   ` +
          `delete ${fmt(ip!.deleteSeconds / addon!.deleteSeconds)}x (${fmt(ip!.deleteCpu / addon!.deleteCpu)}x)`,
      );
    }
    const orderSize = sizes[0]!;
    process.stderr.write(`fib: delete order at ${orderSize}...\n`);
    const order = await deleteOrderCost(rt, orderSize, perSend);
    console.log(
      `\naddon delete of ${orderSize}: address order ${fmt(order.sorted)} s, shuffled ${fmt(order.shuffled)} s (${fmt(order.sorted / order.shuffled)}x)`,
    );
    emitFigures('fib', sizes.flatMap((size): Figure[] => {
      const [ip, addon] = rows.filter((r) => r.size === size);
      const label = size.toLocaleString('en');
      return [
        { figure: `FIB add ${label} routes`, unit: 's', ours: addon!.addSeconds, peer: 'ip -batch', peerValue: ip!.addSeconds, better: 'lower' },
        { figure: `FIB delete ${label} routes (shuffled)`, unit: 's', ours: addon!.deleteSeconds, peer: 'ip -batch', peerValue: ip!.deleteSeconds, better: 'lower' },
      ];
    }));
  } finally {
    cleanUp();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench fib: ${(err as Error).message}\n`);
  process.exit(1);
});
