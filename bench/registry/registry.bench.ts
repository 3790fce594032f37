import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../../common/cli.js';
import { emitFigures } from '../figures.js';
import { RegistryClient } from '../../registry/client.js';
import { freePort } from '../../common/free-port.js';
import { wgPublicKey } from '../../registry/local-registry.js';
import { KeyLayout } from '../../registry/keys.js';
import { RegistryService } from '../../registry/service.js';
import { initState, type RegistryState } from '../../registry/state.js';
import { connectEtcd, Store } from '../../registry/store.js';
import type { WatchResponse } from '../../registry/model.js';
import { serviceClient } from '../../common/grpc-service.js';
import { certPin } from '../../registry/tls.js';
import { WatchHub } from '../../registry/watch-hub.js';

/**
 * Registry benchmark, loopback only, bounded in count and time:
 *  1. joins per second with 50 concurrent joiners, end to end (gRPC + TLS +
 *     etcd transaction), and the same join logic in-process straight on etcd,
 *     beside bare etcd transactions (one slot key each) on the same etcd;
 *  2. delay from a change to its arrival at 1,000 concurrent Watch streams
 *     (1,000 separate connections, held by 4 client processes), p50 and p99,
 *     with the registry's CPU use; beside it, in the same run, the same changes
 *     through one etcd watch fanned out in-process (no gRPC) to as many sinks.
 * The registry runs as its own process (`garagenet registry serve`, managed
 * etcd), as in production. Reference figures: ANCHORS.md "etcd 3.4 as the
 * registry's store", measured on this machine kind.
 * Usage: node dist/bench/registry/registry.bench.js [joins] [watchers] [changes]
 */

const JOINS = Number(process.argv[2] ?? 1000);
const JOINERS = 50;
const WATCHERS = Number(process.argv[3] ?? 1000);
const CHANGES = Number(process.argv[4] ?? 200);
const CHANGE_INTERVAL_MS = 10;
const WATCHER_PROCESSES = 4;
const PHASE_TIMEOUT_MS = 120_000;

const ANCHOR = { joinsRandomSlot: 958, joinsCounter: 45, watchP50: '22-27', watchP99: '~100', serverCpu: '~0.5' };

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${PHASE_TIMEOUT_MS} ms`)), PHASE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** CPU seconds (user + system) used so far by a process and its children that are still running. */
function cpuSeconds(pid: number): number {
  const ticks = (p: number): number => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0;
    }
  };
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    children = [];
  }
  return [pid, ...children].reduce((sum, p) => sum + ticks(p), 0) / 100;
}

async function startServer(state: RegistryState): Promise<ChildProcess> {
  const bin = fileURLToPath(new URL('../../../bin/garagenet.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'registry', 'serve', '--state', state.dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, GARAGENET_LOG: 'warn' },
  });
  const probe = new RegistryClient(state.address, { certPem: state.certPem, credential: state.adminCredential, timeoutMs: 1000 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await probe.publicView();
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`registry did not start: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  probe.close();
  return child;
}

/** Runs `count` jobs with `concurrency` workers; returns elapsed seconds. */
async function runConcurrently(count: number, concurrency: number, job: (i: number, worker: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < count) await job(next++, worker);
    }),
  );
  return (performance.now() - start) / 1000;
}

/** The peer measured side by side: bare etcd transactions "create this random slot key if absent", as in ANCHORS.md. */
async function bareTxnBench(etcdUrl: string): Promise<number> {
  const etcd = connectEtcd([etcdUrl]);
  try {
    log(`${JOINS} bare etcd transactions (random slot, key must not exist), ${JOINERS} concurrent`);
    const seconds = await within('bare transactions', runConcurrently(JOINS, JOINERS, async () => {
      const key = `/bench-bare/${Math.floor(Math.random() * 1e12)}`;
      await etcd.if(key, 'Create', '==', 0).then(etcd.put(key).value('holder')).commit();
    }));
    return JOINS / seconds;
  } finally {
    etcd.close();
  }
}

function managedEtcdUrl(state: RegistryState): string {
  const ports = JSON.parse(readFileSync(join(state.dir, 'etcd', 'ports.json'), 'utf8')) as { client: number };
  return `http://127.0.0.1:${ports.client}`;
}

async function joinBench(state: RegistryState, admin: RegistryClient): Promise<{ grpc: number; direct: number }> {
  await admin.createOrganization({ name: 'bench' });
  log(`creating ${JOINS} invitations`);
  const invites: string[] = [];
  await runConcurrently(JOINS, JOINERS, async () => void invites.push((await admin.createInvitation({ organization: 'bench' })).joinString));
  const joiners = Array.from({ length: JOINERS }, () => new RegistryClient(state.address, { certPem: state.certPem }));
  log(`${JOINS} joins through gRPC, ${JOINERS} concurrent joiners`);
  const grpcSeconds = await within('gRPC joins', runConcurrently(JOINS, JOINERS, async (i, worker) => {
    const ticket = JSON.parse(Buffer.from(invites[i]!.slice('gnjoin1.'.length), 'base64url').toString()) as { i: string; s: string };
    await joiners[worker]!.join({ invitation: ticket.i, secret: ticket.s, publicKey: wgPublicKey() });
  }));
  for (const j of joiners) j.close();

  // The same join logic in this process, straight on the registry's etcd (no gRPC, no TLS).
  const etcd = connectEtcd([managedEtcdUrl(state)]);
  const service = new RegistryService(new Store(etcd, new KeyLayout()), state.mesh, { address: state.address, pin: certPin(state.certPem) });
  const direct: { invitation: string; secret: string }[] = [];
  await runConcurrently(JOINS, JOINERS, async () => {
    const { joinString } = await service.createInvitation({ organization: 'bench', expiresInSeconds: 0 });
    const ticket = JSON.parse(Buffer.from(joinString.slice('gnjoin1.'.length), 'base64url').toString()) as { i: string; s: string };
    direct.push({ invitation: ticket.i, secret: ticket.s });
  });
  log(`${JOINS} joins in-process on etcd, ${JOINERS} concurrent joiners`);
  const directSeconds = await within('direct joins', runConcurrently(JOINS, JOINERS, async (i) => {
    await service.join({ ...direct[i]!, publicKey: wgPublicKey(), name: '', endpoints: [] });
  }));
  service.presence.close();
  etcd.close();
  const view = await admin.listNodes();
  const asns = new Set(view.map((n) => n.node.asn));
  if (view.length !== 2 * JOINS || asns.size !== view.length) throw new Error(`expected ${2 * JOINS} distinct nodes, got ${view.length} (${asns.size} ASNs)`);
  return { grpc: JOINS / grpcSeconds, direct: JOINS / directSeconds };
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one machine. */
function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

interface WatcherJob {
  address: string;
  certPem: string;
  credential: string;
  from: number;
  streams: number;
  changes: number;
}

/**
 * A watcher process: opens its share of the streams (one connection each),
 * says "ready" once every stream has seen the warm-up change, and reports
 * when each change arrived on each stream. Several such processes keep the
 * clients' own decoding from being what the benchmark measures.
 */
async function watcherProcess(job: WatcherJob): Promise<void> {
  const arrivals: [string, number][] = [];
  const warm = new Set<number>();
  const clients: RegistryClient[] = [];
  const streams: { cancel(): void }[] = [];
  for (let i = 0; i < job.streams; i++) {
    const client = new RegistryClient(job.address, { certPem: job.certPem, credential: job.credential });
    clients.push(client);
    streams.push(client.watch(job.from, (response) => {
      const at = epochMs();
      for (const change of response.changes) {
        if (change.kind !== 'organization') continue;
        if (change.id === 'warm-up') warm.add(i);
        else arrivals.push([change.id, at]);
      }
    }, () => undefined));
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 20));
  }
  const until = async (check: () => boolean): Promise<void> => {
    const deadline = Date.now() + PHASE_TIMEOUT_MS;
    while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };
  await until(() => warm.size === job.streams);
  process.send!({ ready: warm.size === job.streams });
  await until(() => arrivals.length >= job.changes * job.streams);
  for (const s of streams) s.cancel();
  for (const c of clients) c.close();
  process.send!({ arrivals }, () => process.exit(0));
}

interface WatchFigures {
  p50: number;
  p99: number;
  max: number;
  cpu: number;
  writeP50: number;
  spreadP50: number;
  spreadP99: number;
  /** The peer side by side: the same changes through one etcd watch fanned out in-process to as many sinks, no gRPC. */
  inProcessP50: number;
  inProcessP99: number;
}

/** A WatchHub in this process on the registry's etcd, with `count` sinks that note when each batch arrived. */
async function inProcessFanOut(state: RegistryState, from: number, count: number): Promise<{ arrivals: [Buffer, number][]; close(): Promise<void> }> {
  const etcd = connectEtcd([managedEtcdUrl(state)]);
  const watchDef = serviceClient('registry/Registry').service.Watch!;
  const hub = new WatchHub(new Store(etcd, new KeyLayout()), (r) => watchDef.responseSerialize(r));
  await hub.start();
  const arrivals: [Buffer, number][] = [];
  for (let i = 0; i < count; i++) await hub.subscribe(from, (bytes) => void arrivals.push([bytes, epochMs()]));
  return {
    arrivals,
    async close(): Promise<void> {
      await hub.close();
      etcd.close();
    },
  };
}

async function watchBench(state: RegistryState, admin: RegistryClient, serverPid: number): Promise<WatchFigures> {
  log(`opening ${WATCHERS} watch streams on ${WATCHERS} connections, from ${WATCHER_PROCESSES} client processes`);
  const from = (await admin.publicView()).revision;
  const peer = await inProcessFanOut(state, from, WATCHERS);
  const self = fileURLToPath(import.meta.url);
  const workers = Array.from({ length: WATCHER_PROCESSES }, (_, w) => {
    const child = fork(self, ['--watcher'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const job: WatcherJob = {
      address: state.address, certPem: state.certPem, credential: state.adminCredential, from, changes: CHANGES,
      streams: Math.floor(WATCHERS / WATCHER_PROCESSES) + (w < WATCHERS % WATCHER_PROCESSES ? 1 : 0),
    };
    const ready = new Promise<void>((resolve, reject) =>
      child.once('message', (m: { ready: boolean }) => (m.ready ? resolve() : reject(new Error('watch streams did not all start')))),
    );
    const done = ready.then(() => new Promise<[string, number][]>((resolve) => child.once('message', (m: { arrivals: [string, number][] }) => resolve(m.arrivals))));
    child.send(job);
    return { child, ready, done };
  });
  try {
    await new Promise((r) => setTimeout(r, 500));
    await admin.createOrganization({ name: 'warm-up' });
    await within('watch warm-up', Promise.all(workers.map((w) => w.ready)));
    log(`${CHANGES} changes, one every ${CHANGE_INTERVAL_MS} ms`);
    const cpuBefore = cpuSeconds(serverPid);
    const wallBefore = performance.now();
    const sent = new Map<string, number>();
    const writes: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const name = `change-${i}`;
      const t0 = performance.now();
      sent.set(name, epochMs());
      await admin.createOrganization({ name });
      writes.push(performance.now() - t0);
      const wait = CHANGE_INTERVAL_MS - (performance.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const arrivals = (await within('watch delivery', Promise.all(workers.map((w) => w.done)))).flat();
    const cpu = (cpuSeconds(serverPid) - cpuBefore) / ((performance.now() - wallBefore) / 1000);
    if (arrivals.length !== CHANGES * WATCHERS) throw new Error(`expected ${CHANGES * WATCHERS} arrivals, got ${arrivals.length}`);
    const delays = arrivals.map(([name, at]) => at - sent.get(name)!).sort((a, b) => a - b);
    // Fan-out spread: how long after the first stream got a change the others got it (the fan-out's own cost).
    const first = new Map<string, number>();
    for (const [name, at] of arrivals) first.set(name, Math.min(first.get(name) ?? Infinity, at));
    const spread = arrivals.map(([name, at]) => at - first.get(name)!).sort((a, b) => a - b);
    writes.sort((a, b) => a - b);
    // Each batch is one shared Buffer: decode it once to learn which change it carries.
    const watchDef = serviceClient('registry/Registry').service.Watch!;
    const names = new Map<Buffer, string[]>();
    const inProcess: number[] = [];
    for (const [bytes, at] of peer.arrivals) {
      if (!names.has(bytes)) names.set(bytes, (watchDef.responseDeserialize(bytes) as WatchResponse).changes.map((c) => c.id));
      for (const name of names.get(bytes)!) if (sent.has(name)) inProcess.push(at - sent.get(name)!);
    }
    inProcess.sort((a, b) => a - b);
    return {
      p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays[delays.length - 1]!, cpu, writeP50: percentile(writes, 50),
      spreadP50: percentile(spread, 50), spreadP99: percentile(spread, 99),
      inProcessP50: percentile(inProcess, 50), inProcessP99: percentile(inProcess, 99),
    };
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill();
    await peer.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gn-bench-registry-'));
  let server: ChildProcess | null = null;
  try {
    const state = await initState(join(dir, 'state'), { name: 'bench', address: `127.0.0.1:${await freePort()}`, pools: {
      productionV4: '10.64.0.0/11', productionV6: 'fd64:6761:7261::/48', experimentalV4: '10.96.0.0/11', experimentalV6: 'fd96:6761:7261::/48',
      asnFirst: 4_200_000_000, asnLast: 4_294_967_294,
    } });
    server = await startServer(state);
    const admin = new RegistryClient(state.address, { certPem: state.certPem, credential: state.adminCredential, timeoutMs: 30_000 });
    const bare = await bareTxnBench(managedEtcdUrl(state));
    const joins = await joinBench(state, admin);
    const watch = await watchBench(state, admin, server.pid!);
    admin.close();
    const f = (n: number, digits = 1): string => n.toFixed(digits);
    process.stdout.write(`\nregistry benchmark: loopback, managed etcd, registry in its own process\n\n`);
    process.stdout.write(formatTable(['measure', 'garagenet', 'reference (ANCHORS.md)', 'ratio'], [
      [`bare etcd txn/s, ${JOINERS} concurrent (this run)`, f(bare, 0), `${ANCHOR.joinsRandomSlot} (random slot, bare etcd txn)`, `${f(bare / ANCHOR.joinsRandomSlot, 2)}x`],
      [`joins/s, ${JOINERS} joiners, in-process on etcd`, f(joins.direct, 0), `${f(bare, 0)} bare txn/s this run`, `${f(joins.direct / bare, 2)}x`],
      [`joins/s, ${JOINERS} joiners, gRPC+TLS end to end`, f(joins.grpc, 0), `${f(bare, 0)} bare txn/s this run`, `${f(joins.grpc / bare, 2)}x`],
      ['  vs a shared "next free" counter', f(joins.direct, 0), `${ANCHOR.joinsCounter} (counter, retry storm)`, `${f(joins.direct / ANCHOR.joinsCounter, 1)}x`],
      [`watch delay p50 / p99, in-process fan-out, ${WATCHERS} sinks`, `${f(watch.inProcessP50)} / ${f(watch.inProcessP99)} ms`, '3 / 5-10 ms (one etcd watch, in-process)', `${f(watch.inProcessP50 / 3, 2)}x`],
      [`watch delay p50, ${WATCHERS} streams`, `${f(watch.p50)} ms`, `${ANCHOR.watchP50} ms (grpc-js fan-out, 1,000 conns)`, `${f(watch.p50 / 24.5, 2)}x`],
      [`watch delay p99, ${WATCHERS} streams`, `${f(watch.p99)} ms`, `${ANCHOR.watchP99} ms`, `${f(watch.p99 / 100, 2)}x`],
      ['watch delay max', `${f(watch.max)} ms`, '-', '-'],
      ['fan-out spread p50 / p99 (after first stream)', `${f(watch.spreadP50)} / ${f(watch.spreadP99)} ms`, '-', '-'],
      ['registry+etcd CPU while streaming', `${f(watch.cpu, 2)} cores`, `${ANCHOR.serverCpu} core (server)`, '-'],
    ]));
    process.stdout.write(`\n(delay = arrival minus the moment the admin call that made the change was sent; that write took ${f(watch.writeP50)} ms p50;\n machine load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores)\n`);
    emitFigures('registry', [
      { figure: `joins/s, ${JOINERS} joiners, gRPC+TLS end to end`, unit: 'joins/s', ours: joins.grpc, peer: 'bare etcd txn/s (same etcd)', peerValue: bare, better: 'higher' },
      { figure: `joins/s, ${JOINERS} joiners, in-process on etcd`, unit: 'joins/s', ours: joins.direct, peer: 'bare etcd txn/s (same etcd)', peerValue: bare, better: 'higher' },
      { figure: `watch delay p50, ${WATCHERS} gRPC streams`, unit: 'ms', ours: watch.p50, peer: 'one etcd watch, in-process fan-out', peerValue: watch.inProcessP50, better: 'lower' },
      { figure: `watch delay p99, ${WATCHERS} gRPC streams`, unit: 'ms', ours: watch.p99, peer: 'one etcd watch, in-process fan-out', peerValue: watch.inProcessP99, better: 'lower' },
    ]);
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--watcher') {
  process.once('message', (job: WatcherJob) => void watcherProcess(job));
} else {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
