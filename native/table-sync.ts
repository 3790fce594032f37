import { UserError } from '../common/errors.js';
import { canonicalAddress, canonicalPrefix } from './netlink/ip.js';
import { effectiveMetric, routeKey } from './netlink/route.js';
import type { InstalledRoute, Route, RouteChange, RouteFailure, Rtnetlink } from './rtnetlink.js';

/**
 * Full resync of one kernel table: read what is there, diff it against the
 * desired routes, apply only the difference. Routes with another owner tag
 * (rtm_protocol) are never replaced or deleted; a desired route that collides
 * with one is reported as a failure (the add is refused with EEXIST).
 */

export interface ResyncResult {
  readonly added: number;
  readonly replaced: number;
  readonly deleted: number;
  readonly unchanged: number;
  /** Routes in the table that belong to someone else (left alone). */
  readonly foreign: number;
  readonly failed: RouteFailure[];
}

export interface TableOwner {
  readonly table: number;
  /** Our owner tag (rtm_protocol), e.g. 201. */
  readonly protocol: number;
}

interface Normalized {
  readonly key: string;
  readonly route: Route;
}

function normalize(route: Route): Normalized {
  const prefix = canonicalPrefix(route.prefix, 'route prefix');
  const metric = effectiveMetric(prefix.includes(':') ? 6 : 4, route.metric);
  const gateway = route.gateway === undefined ? undefined : canonicalAddress(route.gateway, `gateway of ${route.prefix}`);
  return {
    key: routeKey(prefix, metric),
    route: { ...route, prefix, metric, ...(gateway !== undefined && { gateway }) },
  };
}

/** Does the installed route already say what we want? The device counts only when we name one. */
function same(want: Route, have: InstalledRoute): boolean {
  return (
    (want.type ?? 'unicast') === have.type &&
    want.gateway === have.gateway &&
    (want.device === undefined || want.device === have.device)
  );
}

/**
 * The changes that turn `installed` into `desired` for owner `protocol`:
 * adds and replaces first (new paths exist before old ones go), then deletes
 * in a shuffled order, because deleting a large table in address order is
 * several times slower in the kernel's trie (ANCHORS.md).
 */
export function diffTable(
  installed: readonly InstalledRoute[],
  desired: readonly Route[],
  owner: { protocol: number },
): { changes: RouteChange[]; unchanged: number; foreign: number } {
  const owned = new Map<string, InstalledRoute>();
  let foreign = 0;
  for (const r of installed) {
    if (r.protocol === owner.protocol) owned.set(routeKey(r.prefix, r.metric), r);
    else foreign++;
  }
  const changes: RouteChange[] = [];
  const wanted = new Set<string>();
  let unchanged = 0;
  for (const original of desired) {
    const { key, route } = normalize(original);
    if (wanted.has(key)) {
      throw new UserError(`route ${route.prefix} metric ${route.metric} is listed twice in the desired table`, {
        hint: 'give each prefix one next hop per metric',
      });
    }
    wanted.add(key);
    const have = owned.get(key);
    if (!have) changes.push({ op: 'add', route });
    else if (!same(route, have)) changes.push({ op: 'replace', route });
    else unchanged++;
  }
  const deletes: RouteChange[] = [];
  for (const [key, r] of owned) {
    if (!wanted.has(key)) deletes.push({ op: 'delete', route: { prefix: r.prefix, metric: r.metric } });
  }
  shuffle(deletes);
  return { changes: changes.concat(deletes), unchanged, foreign };
}

/** Fisher-Yates with a fixed-seed generator: deterministic, but not address order. */
export function shuffle<T>(items: T[]): void {
  let seed = 0x9e3779b9;
  for (let i = items.length - 1; i > 0; i--) {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    const j = seed % (i + 1);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
}

export async function resyncTable(rt: Rtnetlink, desired: readonly Route[], owner: TableOwner): Promise<ResyncResult> {
  const installed = await rt.listRoutes(owner.table);
  const { changes, unchanged, foreign } = diffTable(installed, desired, owner);
  const result = await rt.applyRoutes(changes, owner);
  const failedOf = (op: string): number => result.failed.filter((f) => f.op === op).length;
  const count = (op: string): number => changes.filter((c) => c.op === op).length - failedOf(op);
  return { added: count('add'), replaced: count('replace'), deleted: count('delete'), unchanged, foreign, failed: result.failed };
}
