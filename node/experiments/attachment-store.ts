import { join } from 'node:path';
import { array, field, integer, object, string } from '../state/check.js';
import { readStateFile, writeStateFile, type StateFileSpec } from '../state/state-file.js';
import { MAX_MBITS } from '../../registry/experiment-limits.js';
import type { AttachmentPlan } from './attachment-plan.js';

/**
 * The attachments a node hosts, kept in its state directory (mode 0600) so
 * that an agent restart brings them back: the researcher's router stays
 * attached, or is cleaned away if its experiment ended in the meantime.
 * Read and written like every state file (node/state/state-file.ts).
 */

const ASN = { min: 1, max: 4_294_967_295 };

const attachmentsFile: StateFileSpec<{ attachments: AttachmentPlan[] }> = {
  name: 'experiments.json',
  secret: true,
  fix: 'remove it and attach the experiments again',
  check(value): { attachments: AttachmentPlan[] } {
    const doc = object(value, '');
    const attachments = array(...field(doc, 'attachments', ''), (item, at): AttachmentPlan => {
      const p = object(item, at);
      const optional = (name: 'peerInterface' | 'netns'): { [k: string]: string } => (p[name] === undefined ? {} : { [name]: string(...field(p, name, at)) });
      return {
        experiment: string(...field(p, 'experiment', at)),
        interface: string(...field(p, 'interface', at)),
        ...optional('peerInterface'),
        ...optional('netns'),
        allocation: string(...field(p, 'allocation', at)),
        ourAddress: string(...field(p, 'ourAddress', at)),
        theirAddress: string(...field(p, 'theirAddress', at)),
        prefixLength: integer(...field(p, 'prefixLength', at), { min: 0, max: 128 }),
        ourAsn: integer(...field(p, 'ourAsn', at), ASN),
        theirAsn: integer(...field(p, 'theirAsn', at), ASN),
        maxPrefixes: integer(...field(p, 'maxPrefixes', at), { min: 1, max: 1_000_000 }),
        maxUpdatesPerMinute: integer(...field(p, 'maxUpdatesPerMinute', at), { min: 1, max: 1_000_000 }),
        // Attachments saved before the per-experiment rate come back with the default one.
        maxMbits: p.maxMbits === undefined ? MAX_MBITS.default : integer(...field(p, 'maxMbits', at), MAX_MBITS),
        peerName: string(...field(p, 'peerName', at)),
      };
    });
    return { attachments };
  },
};

export function attachmentsPath(stateDir: string): string {
  return join(stateDir, attachmentsFile.name);
}

export function loadAttachments(stateDir: string): AttachmentPlan[] {
  return readStateFile(stateDir, attachmentsFile)?.attachments ?? [];
}

export function saveAttachments(stateDir: string, plans: readonly AttachmentPlan[]): Promise<void> {
  return writeStateFile(stateDir, attachmentsFile, { attachments: [...plans] });
}
