import type { AuditEntry as RegistryAuditEntry } from '../../registry/model.js';
import type { AuditEntry } from './types.js';

/** Audit kinds of the registry's event names; events that are not a guard rail firing (accepted, attached, removed) are left out. */
const REJECTION_KINDS: ReadonlyArray<[RegExp, AuditEntry['kind']]> = [
  [/^import\.rejected\.(origin-validation|experiment-origin|plane-pool|bogon)$/, 'unauthorized-prefix'],
  [/^import\.rejected\.as-path-(length|loop)$/, 'as-path-too-long'],
  [/^import\.rejected\.community-count$/, 'too-many-communities'],
  [/^session\.ceased\.max-prefix$/, 'max-prefix'],
  [/^import\.damped$/, 'update-rate'],
  [/^stopped$/, 'kill-switch'],
];

/** The refusals among an experiment's audit entries, newest first, in the looking glass's terms. */
export function rejections(entries: readonly RegistryAuditEntry[]): AuditEntry[] {
  return entries.flatMap((e): AuditEntry[] => {
    const kind = REJECTION_KINDS.find(([pattern]) => pattern.test(e.event))?.[1];
    if (!kind) return [];
    const prefix = /^([0-9a-fA-F.:]+\/\d{1,3}): /.exec(e.detail)?.[1];
    return [{ time: e.at, node: e.node, kind, detail: e.detail, ...(prefix ? { prefix } : {}) }];
  }).sort((a, b) => b.time.localeCompare(a.time));
}
