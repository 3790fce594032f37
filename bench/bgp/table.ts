import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emptyAttributes } from '../../route-daemon/packet/attributes.js';
import { encodeIpv4Announcements } from '../../route-daemon/packet/update.js';
import { AsSegmentType, IPV4_UNICAST, ipv4Prefix } from '../../route-daemon/packet/types.js';
import type { LargeCommunity, Origin, PathAttributes } from '../../route-daemon/packet/types.js';
import { randomInt, seededRandom, weighted } from './random.js';
import type { Random } from './random.js';

/**
 * A synthetic full IPv4 table shaped like the one in ANCHORS.md: 1,000,000 prefixes
 * (60% /24), 218,428 attribute sets, 60,465 origin ASNs, AS paths of 4.6 hops on
 * average. Generated from a fixed seed, so every run and every receiver sees the
 * same routes; the wire stream is cached under bench/.data/.
 */

export interface TableShape {
  readonly prefixes: number;
  readonly attributeSets: number;
  readonly origins: number;
  readonly seed: number;
}

export const FULL_TABLE: TableShape = { prefixes: 1_000_000, attributeSets: 218_428, origins: 60_465, seed: 20_240_601 };

/** One attribute set without the session-specific parts (first AS and next hop). */
export interface RouteSet {
  readonly origin: Origin;
  /** Hops after the feeder's own AS, the origin last. */
  readonly path: readonly number[];
  readonly med: number | null;
  readonly communities: readonly number[] | null;
  readonly largeCommunities: readonly LargeCommunity[] | null;
  /** Packed IPv4 prefixes (see route-daemon/packet/types.ts). */
  readonly prefixes: readonly number[];
}

export interface Table {
  readonly shape: TableShape;
  readonly sets: readonly RouteSet[];
}

// Prefix length mix of the public IPv4 table: 60% /24, then /22, /23, /21, ...
const LENGTHS = [24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8];
const LENGTH_WEIGHTS = [60, 10, 12, 5, 4, 3, 1.5, 1, 1.5, 0.5, 0.4, 0.3, 0.3, 0.2, 0.1, 0.1, 0.1];
// Total AS path length (feeder AS included): mean about 4.6.
const PATH_LENGTHS = [2, 3, 4, 5, 6, 7, 8, 9, 10];
const PATH_WEIGHTS = [8, 20, 25, 20, 12, 7, 4, 2, 2];

function isPublicUnicast(address: number): boolean {
  const first = address >>> 24;
  return first !== 0 && first !== 10 && first !== 127 && first < 224 && !(first === 100 && (address >>> 22) === 0x191) && !(first === 192 && (address >>> 16) === 0xc0a8) && !(first === 172 && ((address >>> 20) & 0xf) === 1);
}

function distinctPrefixes(random: Random, count: number): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  while (out.length < count) {
    const length = LENGTHS[weighted(random, LENGTH_WEIGHTS)]!;
    const address = randomInt(random, 0x100000000);
    if (!isPublicUnicast(address)) continue;
    const prefix = ipv4Prefix(address, length);
    if (seen.has(prefix)) continue;
    seen.add(prefix);
    out.push(prefix);
  }
  return out;
}

function distinctAsns(random: Random, count: number): number[] {
  const seen = new Set<number>();
  while (seen.size < count) {
    // Mostly two-octet public ASNs, a share of four-octet ones as in today's table.
    const asn = random() < 0.8 ? 1 + randomInt(random, 64_495) : 131_072 + randomInt(random, 300_000);
    if (asn !== 23_456) seen.add(asn);
  }
  return [...seen];
}

export function generateTable(shape: TableShape): Table {
  const random = seededRandom(shape.seed);
  const origins = distinctAsns(random, shape.origins);
  const transits = distinctAsns(random, 3_000);
  const prefixes = distinctPrefixes(random, shape.prefixes);

  // Every origin gets at least one set; the rest go mostly to a few big origins.
  const setOrigins = Array.from({ length: shape.attributeSets }, (_, k) =>
    k < origins.length ? origins[k]! : origins[Math.floor(origins.length * random() ** 2)]!,
  );
  const seenSets = new Set<string>();
  const shells: Omit<RouteSet, 'prefixes'>[] = [];
  for (const originAsn of setOrigins) {
    for (;;) {
      const hops = PATH_LENGTHS[weighted(random, PATH_WEIGHTS)]! - 1;
      // Tier-1-like transits (the first few) appear far more often than the rest.
      const path = Array.from({ length: hops - 1 }, () => transits[Math.floor(transits.length * random() ** 3)]!);
      path.push(originAsn);
      const med = random() < 0.3 ? randomInt(random, 1000) : null;
      const communities = random() < 0.4 ? Array.from({ length: 1 + randomInt(random, 6) }, () => ((path[0]! & 0xffff) * 65536 + randomInt(random, 1000)) >>> 0) : null;
      const largeCommunities = random() < 0.05 ? [{ globalAdmin: path[0]!, localData1: randomInt(random, 100), localData2: randomInt(random, 100) }] : null;
      const origin: Origin = random() < 0.85 ? 0 : random() < 0.9 ? 2 : 1;
      const key = `${origin}|${path.join(' ')}|${med}|${communities?.join(' ')}|${largeCommunities?.[0]?.localData1}`;
      if (seenSets.has(key)) continue;
      seenSets.add(key);
      shells.push({ origin, path, med, communities, largeCommunities });
      break;
    }
  }

  // One prefix each, then the rest skewed towards the first sets (a heavy tail of big sets).
  const buckets: number[][] = shells.map((_, k) => [prefixes[k]!]);
  for (let p = shells.length; p < prefixes.length; p++) buckets[Math.floor(shells.length * random() ** 3)]!.push(prefixes[p]!);
  return { shape, sets: shells.map((s, k) => ({ ...s, prefixes: buckets[k]! })) };
}

/** Which paths a feeder sends: the table as generated, or `secondPaths` of it. */
export type TablePaths = 'first' | 'second';

/** How the second paths of `secondPaths` split between the two feeders, by the step that decides. */
export const SECOND_PATH_SHARES = { shorter: 0.3, longer: 0.3, origin: 0.1 } as const;

/**
 * The same prefixes in the same sets, reached through other transits, as a
 * second upstream sends them: the decision process has two paths to compare
 * on every prefix and the second wins some. Per set: 30% a hop shorter (the
 * second path wins on AS path length), 30% a hop longer (the first wins), 10%
 * as long with another ORIGIN (IGP over the first's EGP or INCOMPLETE wins,
 * INCOMPLETE under the first's IGP loses), the rest as long and alike (MED is
 * not compared across neighbor ASes, so the router id decides: the first
 * feeder's, lower). MEDs and communities are drawn again. From its own seed,
 * so the same on every run.
 */
export function secondPaths(table: Table): Table {
  const random = seededRandom(table.shape.seed ^ 0x5ec0d);
  const transits = distinctAsns(random, 3_000);
  const transit = (): number => transits[Math.floor(transits.length * random() ** 3)]!;
  const { shorter, longer, origin: originShare } = SECOND_PATH_SHARES;
  return {
    shape: table.shape,
    sets: table.sets.map((set) => {
      const originAsn = set.path.at(-1)!;
      const hops = set.path.length;
      const draw = random();
      // A path of the origin alone has no hop to drop: it stays as long.
      const length = draw < shorter && hops > 1 ? hops - 1 : draw >= shorter && draw < shorter + longer ? hops + 1 : hops;
      const path = [...Array.from({ length: length - 1 }, transit), originAsn];
      const origin: Origin = draw >= shorter + longer && draw < shorter + longer + originShare ? (set.origin === 0 ? 2 : 0) : set.origin;
      const med = random() < 0.3 ? randomInt(random, 1000) : null;
      const communities = random() < 0.4 ? Array.from({ length: 1 + randomInt(random, 6) }, () => ((path[0]! & 0xffff) * 65536 + randomInt(random, 1000)) >>> 0) : null;
      return { origin, path, med, communities, largeCommunities: set.largeCommunities, prefixes: set.prefixes };
    }),
  };
}

export interface FeedSession {
  /** The feeder's AS (first hop of every path). */
  readonly localAs: number;
  /** NEXT_HOP of every route: the feeder's address on the receiver's link. */
  readonly nextHop: number;
}

export function setAttributes(set: RouteSet, session: FeedSession): PathAttributes {
  return {
    ...emptyAttributes(),
    origin: set.origin,
    asPath: [{ type: AsSegmentType.AsSequence, asns: [session.localAs, ...set.path] }],
    nextHop: session.nextHop,
    med: set.med,
    communities: set.communities,
    largeCommunities: set.largeCommunities,
  };
}

/** All UPDATE messages of the table, back to back, as a four-octet-AS speaker sends them. */
export function encodeTableStream(table: Table, session: FeedSession): Buffer {
  const options = { fourOctetAs: true, families: [IPV4_UNICAST] };
  const messages: Buffer[] = [];
  for (const set of table.sets) messages.push(...encodeIpv4Announcements({ attributes: setAttributes(set, session), prefixes: set.prefixes }, options));
  return Buffer.concat(messages);
}

/** bench/.data of the checkout this file is in (run from the sources or from dist/). */
function dataDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'bench', '.data');
}

export const DATA_DIR = dataDirectory();

/** The table's UPDATE stream (its first paths unless told), from bench/.data/ when cached, else generated and cached. */
export function loadTableStream(
  shape: TableShape,
  session: FeedSession,
  options: { paths?: TablePaths; dataDir?: string } = {},
): { stream: Buffer; cached: boolean; path: string } {
  const { paths = 'first', dataDir = DATA_DIR } = options;
  const variant = paths === 'first' ? '' : `-${paths}`;
  const path = join(dataDir, `bgp-table-${shape.prefixes}-${shape.attributeSets}-${shape.origins}-${shape.seed}${variant}-as${session.localAs}-nh${session.nextHop}.bin`);
  if (statSync(path, { throwIfNoEntry: false })?.isFile()) return { stream: readFileSync(path), cached: true, path };
  const table = generateTable(shape);
  const stream = encodeTableStream(paths === 'first' ? table : secondPaths(table), session);
  mkdirSync(dataDir, { recursive: true });
  // Write then rename, so an interrupted run never leaves half a table behind.
  writeFileSync(`${path}.tmp`, stream);
  renameSync(`${path}.tmp`, path);
  return { stream, cached: false, path };
}
