import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../common/errors.js';
import { writeFileAtomic } from '../system/atomic-file.js';
import type { AttachmentPlan } from './attachment-plan.js';

/**
 * The attachments a node hosts, kept in its state directory (mode 0600) so
 * that an agent restart brings them back: the researcher's router stays
 * attached, or is cleaned away if its experiment ended in the meantime.
 */

export const ATTACHMENTS_FILE = 'experiments.json';

const FIELDS = ['experiment', 'interface', 'allocation', 'ourAddress', 'theirAddress', 'peerName'] as const;

export function attachmentsPath(stateDir: string): string {
  return join(stateDir, ATTACHMENTS_FILE);
}

export function loadAttachments(stateDir: string): AttachmentPlan[] {
  const path = attachmentsPath(stateDir);
  if (!existsSync(path)) return [];
  const hint = `remove ${path} and attach the experiments again`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path} is not valid JSON: ${(err as Error).message}`, { hint });
  }
  const list = (parsed as { attachments?: unknown }).attachments;
  if (!Array.isArray(list)) throw new UserError(`${path}: no "attachments" list`, { hint });
  return list.map((entry: unknown, i) => {
    const plan = entry as Record<string, unknown>;
    for (const field of FIELDS) {
      if (typeof plan?.[field] !== 'string') throw new UserError(`${path}: attachments[${i}].${field} is missing or not a string`, { hint });
    }
    for (const field of ['prefixLength', 'ourAsn', 'theirAsn', 'maxPrefixes', 'maxUpdatesPerMinute'] as const) {
      if (!Number.isInteger(plan[field])) throw new UserError(`${path}: attachments[${i}].${field} is missing or not a whole number`, { hint });
    }
    return plan as unknown as AttachmentPlan;
  });
}

export async function saveAttachments(stateDir: string, plans: readonly AttachmentPlan[]): Promise<void> {
  await writeFileAtomic(attachmentsPath(stateDir), `${JSON.stringify({ attachments: plans }, null, 2)}\n`, { mode: 0o600 });
}
