import { UserError } from '../../common/errors.js';
import type { Rtnetlink } from '../rtnetlink.js';
import { validateIsolationConfig, type IsolationConfig } from './config.js';
import { syncExperimentalDefaults } from './experimental-default.js';
import { applyRuleset } from './nftables.js';
import { syncPlaneRules } from './policy-rules.js';

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
  await syncPlaneRules(rt, config);
}
