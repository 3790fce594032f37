import { UserError } from '../../common/errors.js';
import { ISOLATION_PROTOCOL } from '../owners.js';
import type { Rtnetlink } from '../rtnetlink.js';
import { resyncTable } from '../table-sync.js';
import { validateIsolationConfig, type IsolationConfig } from './config.js';
import { syncExperimentalDefaults } from './experimental-default.js';
import { applyRuleset, removeRuleset } from './nftables.js';
import { planeRules, syncOwnedRules } from './policy-rules.js';

/**
 * Sets up plane isolation in the namespace `rt` speaks to: nftables first (the
 * drops are in place before any rule can steer traffic), then the experimental
 * table's unreachable default, then the policy rules. Idempotent.
 */
export async function applyIsolation(rt: Rtnetlink, config: IsolationConfig): Promise<void> {
  validateIsolationConfig(config);
  await applyRuleset(config, rt.netns ? { netns: rt.netns } : {});
  const defaults = await syncExperimentalDefaults(rt, config);
  if (defaults.failed.length > 0) {
    const f = defaults.failed[0]!;
    throw new UserError(`cannot install the unreachable default ${f.route.prefix} in table ${config.experimentalTable}: ${f.message}`);
  }
  await syncOwnedRules(rt, planeRules(config));
}

/**
 * Takes isolation down when the node leaves the mesh: the policy rules first
 * (no traffic is steered into the experimental table any more), then its
 * unreachable defaults, then the nftables table. Routes of the route daemon
 * are left to the route daemon.
 */
export async function removeIsolation(rt: Rtnetlink, config: IsolationConfig): Promise<void> {
  validateIsolationConfig(config);
  await syncOwnedRules(rt, []);
  await resyncTable(rt, [], { table: config.experimentalTable, protocol: ISOLATION_PROTOCOL });
  await removeRuleset(rt.netns ? { netns: rt.netns } : {});
}
