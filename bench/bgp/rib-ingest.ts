import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from '../../common/cli.js';
import type { Prefix } from '../../common/prefix.js';
import { ipv4PrefixAddress, ipv4PrefixLength } from '../../route-daemon/packet/types.js';
import { AttributeStore } from '../../route-daemon/routing/attribute-store.js';
import type { Origin, RouteAttributes } from '../../route-daemon/routing/attributes.js';
import { createRoutingInstance, type PlaneInstance } from '../../route-daemon/routing/plane-instance.js';
import { FamilyRib } from '../../route-daemon/routing/rib.js';
import { DATA_DIR, FULL_TABLE, generateTable, type Table } from './table.js';
import { emitFigures } from '../figures.js';

/**
 * Loc-RIB ingest of the full synthetic IPv4 table (1,000,000 prefixes,
 * 218,428 attribute sets; bench/bgp/table.ts), each variant in its own
 * process so that its memory is its own:
 *   maps      the baseline ANCHORS.md describes: two Maps (Adj-RIB-In and
 *             Loc-RIB) keyed by numeric prefix, values interned set ids;
 *   rib       our FamilyRib alone (typed-array prefix index, path lists, best path);
 *   instance  the whole routing instance: import policy (bogons, pools,
 *             origin validation), Adj-RIB-In, Loc-RIB and the FIB's change queue.
 * Every variant receives the same input a session hands the routing core:
 * a fresh attribute object per UPDATE and common Prefix objects, decoded on
 * the fly from the table packed in 32-bit words (about as big as the wire
 * stream), so that the process holds little besides what it builds.
 * Ratios use CPU seconds (wall time swings on a shared machine); best of the runs.
 * Usage: node dist/bench/bgp/rib-ingest.js [runs]
 */

// ANCHORS.md, measured on this VM kind, not in this run: BIRD 2's whole daemon
// (wire decode included) reaching 1M routes, and its peak RSS.
const BIRD = { seconds: 1.47, rssMiB: 157 };
const VARIANTS = ['maps', 'rib', 'instance'] as const;
type Variant = (typeof VARIANTS)[number];
/** Prefixes per UPDATE, about what fits in 4096 bytes of /24s with their attributes. */
const PER_UPDATE = 500;
const PEER_AS = 65000;
const LOCAL_AS = 64512;
const NEXT_HOP = { family: 4 as const, value: 0x0a000001n };
const ORIGINS: readonly Origin[] = ['igp', 'egp', 'incomplete'];

interface Result {
  readonly variant: Variant;
  readonly seconds: number;
  /** CPU time of the ingest: steadier than wall time on a shared machine. */
  readonly cpuSeconds: number;
  readonly rssGrowthMiB: number;
  /** Live JS heap plus typed arrays added by the ingest: the table's own size, without the allocator's slack. */
  readonly liveGrowthMiB: number;
  readonly peakRssMiB: number;
  readonly routes: number;
  /** Refused by import policy (the table has a few prefixes in martian space). */
  readonly rejected: number;
  readonly attributeSets: number;
  /** instance only: CPU seconds to compute a new eBGP peer's whole Adj-RIB-Out (drained to the end). */
  readonly exportCpuSeconds?: number;
  readonly exportedPrefixes?: number;
}

type Update = { attributes: RouteAttributes; prefixes: Prefix[] };

/**
 * The table in 32-bit words, per set: origin, path length, path, has-MED,
 * MED, community count, communities, large-community count, their words,
 * prefix count, then address and length per prefix.
 */
function packTable(table: Table): Uint32Array {
  const words: number[] = [];
  for (const set of table.sets) {
    words.push(set.origin, set.path.length, ...set.path, set.med === null ? 0 : 1, set.med ?? 0);
    words.push(set.communities?.length ?? 0, ...(set.communities ?? []));
    words.push(set.largeCommunities?.length ?? 0, ...(set.largeCommunities ?? []).flatMap((c) => [c.globalAdmin, c.localData1, c.localData2]));
    words.push(set.prefixes.length);
    for (const p of set.prefixes) words.push(ipv4PrefixAddress(p), ipv4PrefixLength(p));
  }
  return Uint32Array.from(words);
}

/** The packed table from bench/.data, written there on first use (write, then rename). */
function packedTablePath(): string {
  const shape = FULL_TABLE;
  const path = join(DATA_DIR, `rib-ingest-${shape.prefixes}-${shape.attributeSets}-${shape.origins}-${shape.seed}.u32`);
  if (existsSync(path)) return path;
  const packed = packTable(generateTable(shape));
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(`${path}.tmp`, packed);
  renameSync(`${path}.tmp`, path);
  return path;
}

/** UPDATEs decoded from the packed table as a session would hand them over: fresh objects each time. */
function* updates(words: Uint32Array): Generator<Update> {
  let at = 0;
  while (at < words.length) {
    const origin = ORIGINS[words[at++]!]!;
    const pathLength = words[at++]!;
    const path = Array.from(words.subarray(at, (at += pathLength)));
    const hasMed = words[at++] === 1;
    const med = words[at++]!;
    const communityCount = words[at++]!;
    const communities = Array.from(words.subarray(at, (at += communityCount)));
    const largeCount = words[at++]!;
    const large = words.subarray(at, (at += 3 * largeCount));
    let prefixCount = words[at++]!;
    while (prefixCount > 0) {
      const n = Math.min(prefixCount, PER_UPDATE);
      const prefixes: Prefix[] = new Array<Prefix>(n);
      for (let i = 0; i < n; i++, at += 2) prefixes[i] = { family: 4, value: BigInt(words[at]!), length: words[at + 1]! };
      prefixCount -= n;
      const attributes: RouteAttributes = {
        origin,
        asPath: [{ type: 'sequence', asns: [PEER_AS, ...path] }],
        nextHop: { family: 4, value: NEXT_HOP.value },
        ...(hasMed ? { med } : {}),
        ...(communityCount > 0 ? { communities: [...communities] } : {}),
        ...(largeCount > 0 ? { largeCommunities: Array.from({ length: largeCount }, (_, k) => [large[3 * k]!, large[3 * k + 1]!, large[3 * k + 2]!] as const) } : {}),
      };
      yield { attributes, prefixes };
    }
  }
}

/** `tables` is what the variant built: held by the caller until memory has been measured. */
function ingest(variant: Variant, table: Uint32Array): { routes: number; rejected: number; attributeSets: number; tables: unknown } {
  if (variant === 'maps') {
    const store = new AttributeStore();
    const adjIn = new Map<number, number>();
    const loc = new Map<number, number>();
    for (const u of updates(table)) {
      const id = store.intern(u.attributes);
      for (const p of u.prefixes) {
        const key = Number(p.value) * 64 + p.length;
        adjIn.set(key, id);
        loc.set(key, id);
      }
    }
    return { routes: loc.size, rejected: 0, attributeSets: store.size, tables: [store, adjIn, loc] };
  }
  if (variant === 'rib') {
    const store = new AttributeStore();
    // One feeder: a prefix never has two paths to choose between.
    const rib = new FamilyRib(store, (_rib, paths) => paths[0]!, { family: 4, initialCapacity: 1024 });
    for (const u of updates(table)) {
      const id = store.intern(u.attributes);
      for (const p of u.prefixes) {
        store.retain(id);
        rib.upsert(p, { peer: 1, attrId: id, flags: 0 });
      }
      store.release(id);
    }
    return { routes: rib.routeCount, rejected: 0, attributeSets: store.size, tables: rib };
  }
  const instance = createRoutingInstance({ plane: 'production', localAsn: LOCAL_AS, pools: [{ family: 4, value: 0n, length: 0 }], authorizations: [] });
  instance.peerUp({ name: 'feeder', asn: PEER_AS, address: NEXT_HOP }, {
    session: { routerId: 1, families: ['ipv4-unicast'], localAddress: { family: 4, value: 0x0a000002n }, routeRefresh: true },
    onExportReady: () => {},
  });
  let rejected = 0;
  for (const u of updates(table)) rejected += instance.receive('feeder', { withdrawn: [], announced: [u] }).rejected;
  const counters = instance.counters();
  return { routes: counters.routes.ipv4, rejected, attributeSets: counters.attributeSets, tables: instance };
}

/** A second eBGP peer comes up: its initial table, drained in session-sized batches. */
function exportAll(instance: PlaneInstance): { exportCpuSeconds: number; exportedPrefixes: number } {
  instance.peerUp({ name: 'downstream', asn: 65100, address: { family: 4, value: 0x0a000003n } }, {
    session: { routerId: 3, families: ['ipv4-unicast'], localAddress: { family: 4, value: 0x0a000002n }, routeRefresh: true },
    onExportReady: () => {},
  });
  const cpu = process.cpuUsage();
  let exportedPrefixes = 0;
  for (let batch; (batch = instance.drainExport('downstream', { maxPrefixes: 2048 })); ) {
    for (const group of batch.announced) exportedPrefixes += group.prefixes.length;
  }
  const used = process.cpuUsage(cpu);
  return { exportCpuSeconds: (used.user + used.system) / 1e6, exportedPrefixes };
}

function rssMiB(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

function liveMiB(): number {
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
}

function child(variant: Variant, packedPath: string): void {
  const file = readFileSync(packedPath);
  const table = new Uint32Array(file.buffer, file.byteOffset, file.byteLength / 4);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = rssMiB('VmRSS');
  const liveBefore = liveMiB();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const { tables, ...counts } = ingest(variant, table);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  gc?.();
  const result: Result = {
    variant, seconds, cpuSeconds: (used.user + used.system) / 1e6, rssGrowthMiB: rssMiB('VmRSS') - before, liveGrowthMiB: liveMiB() - liveBefore, peakRssMiB: rssMiB('VmHWM'), ...counts };
  const exported = variant === 'instance' ? exportAll(tables as PlaneInstance) : {};
  process.stdout.write(`${JSON.stringify({ ...result, ...exported })}\n`);
}

function main(): void {
  const runs = Number(process.argv[2] ?? 1);
  const self = fileURLToPath(import.meta.url);
  const packedPath = packedTablePath();
  const best = new Map<Variant, Result>();
  for (let r = 0; r < runs; r++) {
    for (const variant of VARIANTS) {
      process.stderr.write(`run ${r + 1}/${runs}: ${variant}...\n`);
      const out = spawnSync(process.execPath, ['--expose-gc', self, '--variant', variant, packedPath], {
        encoding: 'utf8', timeout: 300_000, env: { ...process.env, GARAGENET_LOG: 'silent' },
      });
      if (out.status !== 0) throw new Error(`variant ${variant} failed: ${out.stderr}`);
      const result = JSON.parse(out.stdout) as Result;
      if (result.routes + result.rejected !== FULL_TABLE.prefixes) {
        throw new Error(`variant ${variant} ended with ${result.routes} routes and ${result.rejected} rejected, not ${FULL_TABLE.prefixes}`);
      }
      const previous = best.get(variant);
      if (!previous || result.cpuSeconds < previous.cpuSeconds) best.set(variant, result);
    }
  }
  const base = best.get('maps')!;
  const rows = VARIANTS.map((v) => {
    const r = best.get(v)!;
    return [
      v, r.seconds.toFixed(2), r.cpuSeconds.toFixed(2), (r.cpuSeconds / base.cpuSeconds).toFixed(2), (r.cpuSeconds / BIRD.seconds).toFixed(2),
      r.rssGrowthMiB.toFixed(0), (r.rssGrowthMiB / base.rssGrowthMiB).toFixed(2), r.liveGrowthMiB.toFixed(0), (r.liveGrowthMiB / base.liveGrowthMiB).toFixed(2),
      r.peakRssMiB.toFixed(0), (r.peakRssMiB / BIRD.rssMiB).toFixed(2), String(r.routes), String(r.attributeSets),
    ];
  });
  process.stdout.write(`Loc-RIB ingest of ${FULL_TABLE.prefixes.toLocaleString('en')} IPv4 prefixes, best of ${runs} run(s), one process per variant\n`);
  process.stdout.write(formatTable(['VARIANT', 'WALL S', 'CPU S', 'x MAPS', 'x BIRD', 'RSS MiB', 'x MAPS', 'LIVE MiB', 'x MAPS', 'PEAK RSS MiB', 'x BIRD', 'ROUTES', 'ATTR SETS'], rows));
  process.stdout.write('RSS/LIVE MiB: growth of RSS, and of live heap plus typed arrays, over the ingest after a full GC. PEAK: the whole process (VmHWM).\n');
  const instance = best.get('instance')!;
  process.stdout.write(`instance export: a new eBGP peer's whole Adj-RIB-Out (${instance.exportedPrefixes} prefixes) in ${instance.exportCpuSeconds?.toFixed(2)} CPU s\n`);
  process.stdout.write(`BIRD 2 reference (ANCHORS.md, whole daemon with decode, not measured here): ${BIRD.seconds} s, ${BIRD.rssMiB} MiB peak RSS\n`);
  const label = FULL_TABLE.prefixes.toLocaleString('en');
  emitFigures('bgp-rib-ingest', [
    { figure: `Loc-RIB ingest ${label} prefixes, routing instance`, unit: 'cpu s', ours: instance.cpuSeconds, peer: 'two Maps (same run)', peerValue: base.cpuSeconds, better: 'lower' },
    { figure: `Loc-RIB ingest ${label} prefixes, live memory`, unit: 'MiB', ours: instance.liveGrowthMiB, peer: 'two Maps (same run)', peerValue: base.liveGrowthMiB, better: 'lower' },
    { figure: `Loc-RIB ingest ${label} prefixes, routing instance (CPU s; BIRD: wall s, one core)`, unit: 's', ours: instance.cpuSeconds, peer: 'BIRD 2 whole daemon (ANCHORS.md)', peerValue: BIRD.seconds, better: 'lower' },
    { figure: `Loc-RIB ingest ${label} prefixes, peak RSS`, unit: 'MiB', ours: instance.peakRssMiB, peer: 'BIRD 2 whole daemon (ANCHORS.md)', peerValue: BIRD.rssMiB, better: 'lower' },
  ]);
}

const variantAt = process.argv.indexOf('--variant');
if (variantAt >= 0) child(process.argv[variantAt + 1] as Variant, process.argv[variantAt + 2]!);
else main();
