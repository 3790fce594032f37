import { ISOLATION_PROTOCOL } from '../owners.js';
import type { Route, Rtnetlink } from '../rtnetlink.js';
import { resyncTable, type ResyncResult } from '../table-sync.js';
import type { IsolationConfig } from './config.js';

/**
 * The last word of the experimental table: unreachable defaults for IPv4 and
 * IPv6 at the highest metric, so that an experimental lookup that matches
 * nothing stops here instead of continuing to the production or main table.
 * A default route announced in the experimental plane (lower metric) still wins.
 */
export const UNREACHABLE_METRIC = 0xffffffff;

export function experimentalDefaults(): Route[] {
  return ['0.0.0.0/0', '::/0'].map((prefix) => ({ prefix, type: 'unreachable', metric: UNREACHABLE_METRIC }));
}

/** Installs the defaults under the isolation's own owner tag (the route daemon's resync never sees them as its own). */
export async function syncExperimentalDefaults(rt: Rtnetlink, config: IsolationConfig): Promise<ResyncResult> {
  return resyncTable(rt, experimentalDefaults(), { table: config.experimentalTable, protocol: ISOLATION_PROTOCOL });
}
