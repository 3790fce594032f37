import type { RuleFields } from '../netlink/rule.js';
import { ISOLATION_PROTOCOL } from '../owners.js';
import type { Rtnetlink } from '../rtnetlink.js';
import { DEFAULT_RULE_PRIORITY, familyOf, type IsolationConfig } from './config.js';

/**
 * The policy rules that pick a plane's table: traffic entering from an
 * experiment attachment, or from or to the experimental pools, looks up the
 * experimental table; everything else the production table. The experimental
 * table ends in an unreachable default (experimental-default.ts), so nothing
 * falls through from it into production or main.
 */
export function planeRules(config: IsolationConfig): RuleFields[] {
  const base = config.rulePriority ?? DEFAULT_RULE_PRIORITY;
  const exp = config.experimentalTable;
  const rules: RuleFields[] = [];
  for (const a of config.attachments) {
    for (const family of [4, 6] as const) rules.push({ family, priority: base, iif: a.interface, table: exp });
  }
  for (const pool of config.experimentalPools) rules.push({ family: familyOf(pool), priority: base + 10, from: pool, table: exp });
  for (const pool of config.experimentalPools) rules.push({ family: familyOf(pool), priority: base + 20, to: pool, table: exp });
  for (const family of [4, 6] as const) rules.push({ family, priority: base + 90, table: config.productionTable });
  return rules.map((r) => ({ ...r, protocol: ISOLATION_PROTOCOL }));
}

function ruleKey(r: RuleFields): string {
  return [r.family, r.priority, r.from ?? '', r.to ?? '', r.iif ?? '', r.fwmark ?? '', r.table ?? 0, r.action ?? 'lookup'].join(' ');
}

/** Makes our rules (owner ISOLATION_PROTOCOL) exactly `planeRules(config)`; returns how many changed. */
export async function syncPlaneRules(rt: Rtnetlink, config: IsolationConfig): Promise<{ added: number; deleted: number }> {
  const want = new Map(planeRules(config).map((r) => [ruleKey(r), r]));
  const have = (await rt.listRules()).filter((r) => r.protocol === ISOLATION_PROTOCOL);
  let deleted = 0;
  for (const r of have) {
    const key = ruleKey({ ...r, action: r.action === 'unreachable' ? 'unreachable' : 'lookup' });
    if (want.delete(key)) continue;
    await rt.deleteRule({ ...r, action: r.action === 'unreachable' ? 'unreachable' : 'lookup' });
    deleted++;
  }
  // Adds after deletes: a rule that moved never exists twice.
  for (const r of want.values()) await rt.addRule(r);
  return { added: want.size, deleted };
}
