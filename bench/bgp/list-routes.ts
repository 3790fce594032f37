import { formatTable } from '../../common/cli.js';
import { formatPrefix, type Prefix } from '../../common/prefix.js';
import { ipv4PrefixAddress, ipv4PrefixLength } from '../../route-daemon/packet/types.js';
import { originAs } from '../../route-daemon/policy/origin-validation.js';
import type { Origin, RouteAttributes } from '../../route-daemon/routing/attributes.js';
import { createRoutingInstance, type PlaneInstance } from '../../route-daemon/routing/plane-instance.js';
import type { RouteFilter, RouteView } from '../../route-daemon/routing/queries.js';
import { emitFigures } from '../figures.js';
import { FULL_TABLE, generateTable, type Table, type TableShape } from './table.js';

/**
 * A filtered route listing (the control API's ListRoutes, what the CLI and the
 * looking glass page through) over a table of N prefixes received from three
 * peers, in one process: by peer, by origin AS and by community, each listed
 * to the end in pages of 500 (the control API's default). Side by side in one
 * run:
 *   ours  PlaneInstance.listRoutes: routes are tested on the path owners and
 *         the packed attribute sets, and only matching ones get a view;
 *   old   the approach it replaced, kept here as the comparison: every route
 *         scanned gets its full view (every path's set built, the decision
 *         process run for `decidedBy`), then the filter is tested on the view.
 *         Done as a listing filtered by family alone (which builds a view per
 *         route) followed by that test, so its pages are 500 views rather
 *         than 500 matches: next to the views, a page costs nothing.
 * Both must list the same prefixes, in the same order (exit code 1 if not).
 * The table is bench/bgp/table.ts's synthetic one scaled to N (1,000,000 is
 * ANCHORS.md's full table): the first peer sends every set, the second every
 * other one, the third every fourth, so that many prefixes have several paths.
 * CPU seconds, best of the runs (wall time swings on a shared machine).
 *
 *   npm run build && node dist/bench/bgp/list-routes.js [--prefixes N] [--runs R]
 */

const LOCAL_AS = 64512;
const PAGE = 500;
/** Prefixes per UPDATE, about what fits in 4096 bytes of /24s with their attributes. */
const PER_UPDATE = 500;
const ORIGINS: readonly Origin[] = ['igp', 'egp', 'incomplete'];
/** Each peer sends the sets whose index is a multiple of `every`. */
const PEERS = [
  { name: 'transit-a', asn: 65001, every: 1 },
  { name: 'transit-b', asn: 65002, every: 2 },
  { name: 'ix-c', asn: 65003, every: 4 },
] as const;

function option(name: string, options: { fallback: number; min: number }): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return options.fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < options.min) throw new Error(`${name} takes a whole number of at least ${options.min}, got ${process.argv[at + 1]}`);
  return value;
}

/** bench/bgp/table.ts's full-table shape scaled to `prefixes`: as many sets and origins per prefix. */
function shapeOf(prefixes: number): TableShape {
  const scale = prefixes / FULL_TABLE.prefixes;
  return { ...FULL_TABLE, prefixes, attributeSets: Math.round(FULL_TABLE.attributeSets * scale), origins: Math.round(FULL_TABLE.origins * scale) };
}

function load(table: Table): PlaneInstance {
  const instance = createRoutingInstance({ plane: 'production', localAsn: LOCAL_AS, pools: [{ family: 4, value: 0n, length: 0 }], authorizations: [], changeLogSize: 0 });
  for (const [i, peer] of PEERS.entries()) {
    const address = { family: 4 as const, value: BigInt(0x0a000001 + i) };
    instance.peerUp({ name: peer.name, asn: peer.asn, address }, {
      session: { routerId: i + 1, families: ['ipv4-unicast'], localAddress: { family: 4, value: 0x0a0000ffn }, routeRefresh: true },
      onExportReady: () => {},
    });
    for (const [k, set] of table.sets.entries()) {
      if (k % peer.every !== 0) continue;
      const attributes: RouteAttributes = {
        origin: ORIGINS[set.origin]!,
        asPath: [{ type: 'sequence', asns: [peer.asn, ...set.path] }],
        nextHop: address,
        ...(set.med !== null ? { med: set.med } : {}),
        ...(set.communities ? { communities: set.communities } : {}),
        ...(set.largeCommunities ? { largeCommunities: set.largeCommunities.map((c) => [c.globalAdmin, c.localData1, c.localData2] as const) } : {}),
      };
      for (let at = 0; at < set.prefixes.length; at += PER_UPDATE) {
        const prefixes: Prefix[] = set.prefixes.slice(at, at + PER_UPDATE).map((p) => ({ family: 4, value: BigInt(ipv4PrefixAddress(p)), length: ipv4PrefixLength(p) }));
        instance.receive(peer.name, { withdrawn: [], announced: [{ attributes, prefixes }] });
      }
    }
  }
  return instance;
}

/** The table loaded, and the commonest origin AS and community to filter by; the generated table itself is left to the collector. */
function loadTable(shape: TableShape): { instance: PlaneInstance; byOrigin: number; byCommunity: number; loadSeconds: number } {
  const table = generateTable(shape);
  const loaded = cpuSeconds(() => load(table));
  return {
    instance: loaded.result,
    byOrigin: commonest(table, (set) => [set.path.at(-1)!]),
    byCommunity: commonest(table, (set) => set.communities ?? []),
    loadSeconds: loaded.seconds,
  };
}

/** The value found on the most prefixes of the table, of those `values` gives for each set. */
function commonest(table: Table, values: (set: Table['sets'][number]) => readonly number[]): number {
  const prefixes = new Map<number, number>();
  for (const set of table.sets) for (const v of new Set(values(set))) prefixes.set(v, (prefixes.get(v) ?? 0) + set.prefixes.length);
  return [...prefixes].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
}

/** The prefixes of every page of a listing, to the end; the views are dropped as a client would once it has sent them on. */
function listAll(list: (after: string | undefined) => { routes: RouteView[]; next?: string }): Prefix[] {
  const prefixes: Prefix[] = [];
  let after: string | undefined;
  do {
    const page = list(after);
    for (const route of page.routes) prefixes.push(route.prefix);
    after = page.next;
  } while (after !== undefined);
  return prefixes;
}

/** The listing as it was: every route's view built, then the filter tested on the view. */
function listRoutesBuildingEveryView(instance: PlaneInstance, filter: RouteFilter): Prefix[] {
  const scope: RouteFilter = filter.family === undefined ? {} : { family: filter.family };
  const views = (after: string | undefined): { routes: RouteView[]; next?: string } => {
    const page = instance.listRoutes({ filter: scope, limit: PAGE, ...(after ? { after } : {}) });
    return { routes: page.routes.filter((view) => viewMatches(view, filter)), ...(page.next ? { next: page.next } : {}) };
  };
  return listAll(views);
}

/** The filter test the old listing ran on each built view. */
function viewMatches(route: RouteView, filter: RouteFilter): boolean {
  return route.paths.some((path) => {
    const a = path.attributes;
    if (filter.peer !== undefined && path.peer !== filter.peer) return false;
    if (filter.community !== undefined && !a.communities?.includes(filter.community)) return false;
    if (filter.largeCommunity) {
      const [g, l1, l2] = filter.largeCommunity;
      if (!a.largeCommunities?.some((c) => c[0] === g && c[1] === l1 && c[2] === l2)) return false;
    }
    return filter.originAsn === undefined || originAs(a.asPath, LOCAL_AS) === filter.originAsn;
  });
}

interface Timed<T> {
  readonly result: T;
  readonly seconds: number;
}

function cpuSeconds<T>(run: () => T): Timed<T> {
  const before = process.cpuUsage();
  const result = run();
  const used = process.cpuUsage(before);
  return { result, seconds: (used.user + used.system) / 1e6 };
}

function main(): void {
  // The instance's peer-up lines would land between the table and the figures line.
  process.env.GARAGENET_LOG ??= 'warn';
  const prefixes = option('--prefixes', { fallback: FULL_TABLE.prefixes, min: 1_000 });
  const runs = option('--runs', { fallback: 1, min: 1 });
  const shape = shapeOf(prefixes);
  process.stderr.write(`generating a table of ${prefixes.toLocaleString('en')} prefixes, ${shape.attributeSets.toLocaleString('en')} sets...\n`);
  const { instance, byOrigin, byCommunity, loadSeconds } = loadTable(shape);
  const counters = instance.counters();
  process.stderr.write(`loaded ${counters.routes.ipv4.toLocaleString('en')} routes, ${counters.paths.toLocaleString('en')} paths, ${counters.attributeSets.toLocaleString('en')} sets in ${loadSeconds.toFixed(1)} CPU s\n`);

  const cases: { name: string; filter: RouteFilter }[] = [
    { name: `peer ${PEERS[2].name}`, filter: { peer: PEERS[2].name } },
    { name: `origin AS${byOrigin}`, filter: { originAsn: byOrigin } },
    { name: `community ${byCommunity >>> 16}:${byCommunity & 0xffff}`, filter: { community: byCommunity } },
  ];
  const best = cases.map(() => ({ ours: Infinity, old: Infinity, routes: 0 }));
  for (let run = 0; run < runs; run++) {
    for (const [i, { name, filter }] of cases.entries()) {
      const listOurs = (): Timed<Prefix[]> => cpuSeconds(() => listAll((after) => instance.listRoutes({ filter, limit: PAGE, ...(after ? { after } : {}) })));
      const listOld = (): Timed<Prefix[]> => cpuSeconds(() => listRoutesBuildingEveryView(instance, filter));
      // Which goes first alternates, so that neither always pays for a cold start.
      let ours: Timed<Prefix[]>;
      let old: Timed<Prefix[]>;
      if (run % 2 === 0) {
        ours = listOurs();
        old = listOld();
      } else {
        old = listOld();
        ours = listOurs();
      }
      const listed = ours.result.map(formatPrefix);
      const expected = old.result.map(formatPrefix);
      const differs = listed.findIndex((p, k) => p !== expected[k]);
      if (listed.length !== expected.length || differs >= 0) {
        process.stderr.write(`list-routes: filter ${name} listed ${listed.length} routes, the old listing ${expected.length}; first difference at ${differs} (${listed[differs]} vs ${expected[differs]})\n`);
        process.exit(1);
      }
      const b = best[i]!;
      b.ours = Math.min(b.ours, ours.seconds);
      b.old = Math.min(b.old, old.seconds);
      b.routes = listed.length;
      process.stderr.write(`run ${run + 1}/${runs}, ${name}: ${listed.length} routes, ours ${ours.seconds.toFixed(3)} CPU s, old ${old.seconds.toFixed(3)} CPU s\n`);
    }
  }

  const label = prefixes.toLocaleString('en');
  process.stdout.write(`Filtered ListRoutes over ${label} prefixes (${counters.paths.toLocaleString('en')} paths from ${PEERS.length} peers), pages of ${PAGE}, best of ${runs} run(s)\n`);
  process.stdout.write(formatTable(
    ['FILTER', 'ROUTES', 'OURS CPU S', 'OLD CPU S', 'OURS / OLD'],
    cases.map(({ name }, i) => {
      const b = best[i]!;
      return [name, String(b.routes), b.ours.toFixed(3), b.old.toFixed(3), (b.ours / b.old).toFixed(3)];
    }),
  ));
  process.stdout.write('OLD: every scanned route\'s view built, then the filter tested on it (the listing before route-filter.ts). Both listed the same prefixes.\n');
  emitFigures('bgp-list-routes', cases.map(({ name }, i) => ({
    figure: `ListRoutes ${label} prefixes, filter ${name.split(' ')[0]} (${best[i]!.routes} routes)`,
    unit: 'cpu s',
    ours: best[i]!.ours,
    peer: 'every view built, then filtered (same run)',
    peerValue: best[i]!.old,
    better: 'lower' as const,
  })));
}

main();
