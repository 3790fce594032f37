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

/** Makes our rules (owner ISOLATION_PROTOCOL) exactly `want`, touching no other rule; returns how many changed. */
export async function syncOwnedRules(rt: Rtnetlink, want: readonly RuleFields[]): Promise<{ added: number; deleted: number }> {
  const missing = new Map(want.map((r) => [ruleKey(r), r]));
  const have = (await rt.listRules()).filter((r) => r.protocol === ISOLATION_PROTOCOL);
  let deleted = 0;
  for (const r of have) {
    const rule = { ...r, action: r.action === 'unreachable' ? ('unreachable' as const) : ('lookup' as const) };
    if (missing.delete(ruleKey(rule))) continue;
    await rt.deleteRule(rule);
    deleted++;
  }
  // Adds after deletes: a rule that moved never exists twice.
  for (const r of missing.values()) await rt.addRule(r);
  return { added: missing.size, deleted };
}
