import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_PER_SEND, Rtnetlink, type RouteChange } from '../../native/rtnetlink.js';
import { shuffle } from '../../native/table-sync.js';

/**
 * Kernel FIB programming: N IPv4 routes into an empty, veth-routed table of a
 * scratch namespace, with the rtnetlink addon and with `ip -batch`, side by
 * side in one run. Deletes go in the same shuffled order for both: deleting a
 * big table in address order is several times slower in the kernel's trie
 * (ANCHORS.md), and a real withdrawal storm is not sorted either; the addon's
 * address-order delete is timed too at the smallest size, to show the cost.
 *
 *   node dist/bench/fib/fib.js [--sizes 100000,1000000] [--per-send 1000]
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

async function benchSize(rt: Rtnetlink, ns: string, dir: string, size: number, perSend: number): Promise<Row[]> {
  const all = prefixes(size);
  const deleteOrder = [...all];
  shuffle(deleteOrder);
  const rows: Row[] = [];

  const addFile = join(dir, 'add.batch');
  const delFile = join(dir, 'del.batch');
  writeFileSync(addFile, all.map((p) => `route add ${p} via ${GATEWAY} table ${TABLE} proto ${PROTOCOL}\n`).join(''));
  writeFileSync(delFile, deleteOrder.map((p) => `route del ${p} table ${TABLE} proto ${PROTOCOL}\n`).join(''));
  let slab = slabKiB();
  const ipAdd = ipBatch(ns, addFile);
  const ipKernel = (slabKiB() - slab) / 1024;
  await expectCount(rt, size, 'after ip -batch add');
  const ipDel = ipBatch(ns, delFile);
  await expectCount(rt, 0, 'after ip -batch delete');
  rows.push({
    size, tool: 'ip -batch', addSeconds: ipAdd.seconds, deleteSeconds: ipDel.seconds, addCpu: ipAdd.cpu, deleteCpu: ipDel.cpu,
    kernelMiB: ipKernel, processMiB: ipAdd.peakMiB,
  });

  global.gc?.();
  slab = slabKiB();
  let start = performance.now();
  let cpu = process.cpuUsage();
  const adds: RouteChange[] = all.map((prefix) => ({ op: 'add', route: { prefix, gateway: GATEWAY } }));
  const added = await rt.applyRoutes(adds, { table: TABLE, protocol: PROTOCOL, perSend });
  const addSeconds = (performance.now() - start) / 1000;
  const addCpu = cpuSince(cpu);
  const kernelMiB = (slabKiB() - slab) / 1024;
  const rss = process.memoryUsage().rss / 2 ** 20;
  if (added.failed.length > 0) throw new Error(`addon add: ${added.failed.length} routes refused, first ${added.failed[0]!.message}`);
  await expectCount(rt, size, 'after addon add');
  start = performance.now();
  cpu = process.cpuUsage();
  const deleted = await rt.applyRoutes(
    deleteOrder.map((prefix) => ({ op: 'delete', route: { prefix } })),
    { table: TABLE, protocol: PROTOCOL, perSend },
  );
  const deleteSeconds = (performance.now() - start) / 1000;
  const deleteCpu = cpuSince(cpu);
  if (deleted.failed.length > 0) throw new Error(`addon delete: ${deleted.failed.length} routes refused`);
  await expectCount(rt, 0, 'after addon delete');
  rows.push({ size, tool: `addon (${perSend}/send)`, addSeconds, deleteSeconds, addCpu, deleteCpu, kernelMiB, processMiB: rss.toFixed(0) });
  return rows;
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

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

async function main(): Promise<void> {
  const sizes = option('--sizes', '100000,1000000').split(',').map(Number);
  const perSend = Number(option('--per-send', String(DEFAULT_PER_SEND)));
  if (sizes.some((s) => !Number.isInteger(s) || s <= 0 || s > 2_000_000)) throw new Error('--sizes: whole numbers from 1 to 2000000');
  const id = randomBytes(3).toString('hex');
  const ns = `gnfib${id}`;
  const peer = `gnfibp${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'garagenet-fib-'));
  let rt: Rtnetlink | undefined;
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
      process.stderr.write(`fib: ${size} routes...\n`);
      rows.push(...(await benchSize(rt, ns, dir, size, perSend)));
    }
    console.log('\nKernel FIB programming, IPv4 /24 via a veth next hop, empty table, one run');
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
  } finally {
    rt?.close();
    for (const n of [ns, peer]) spawnSync('ip', ['netns', 'del', n]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench fib: ${(err as Error).message}\n`);
  process.exit(1);
});
