import type { PolicyEvent } from './routing/plane-instance.js';

/**
 * What the node agent sends to the registry's AppendAuditLog for a policy
 * decision about a researcher's router: the experiment, a short event name
 * ("import.accepted", "import.rejected.origin-validation", "import.damped",
 * "session.ceased.max-prefix", "session.removed")
 * and a one-line detail with the prefix and the reason. Events of peers that
 * are not experiment attachments are not the experiment log's business.
 */

export interface ExperimentAuditEntry {
  readonly experiment: string;
  readonly event: string;
  readonly detail: string;
}

/** The registry keeps details to 4096 characters. */
const MAX_DETAIL = 4096;

export function experimentAuditEntry(event: PolicyEvent): ExperimentAuditEntry | undefined {
  if (event.experiment === undefined) return undefined;
  return { experiment: event.experiment, event: eventName(event), detail: detail(event).slice(0, MAX_DETAIL) };
}

function eventName(event: PolicyEvent): string {
  if (event.check === 'max-prefix') return 'session.ceased.max-prefix';
  if (event.check === 'removed') return 'session.removed';
  if (event.check === 'accepted') return `${event.direction}.accepted`;
  if (event.check === 'damping') return `${event.direction}.damped`;
  return `${event.direction}.rejected.${event.check}`;
}

function detail(event: PolicyEvent): string {
  const what = event.prefix ? `${event.prefix}: ` : '';
  return `${what}${event.reason} (peer ${event.peer}, ${event.plane} plane)`;
}
