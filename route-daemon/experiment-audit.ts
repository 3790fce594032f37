import type { PolicyEvent } from './routing/plane-instance.js';

/**
 * What the node agent sends to the registry's AppendAuditLog for a policy
 * decision about a researcher's router: the experiment, a short event name
 * ("import.rejected.origin-validation", "import.damped", "session.ceased.max-prefix")
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
  const name = event.check === 'max-prefix' ? 'session.ceased.max-prefix'
    : event.check === 'damping' ? `${event.direction}.damped`
    : `${event.direction}.rejected.${event.check}`;
  const what = event.prefix ? `${event.prefix}: ` : '';
  const detail = `${what}${event.reason} (peer ${event.peer}, ${event.plane} plane)`;
  return { experiment: event.experiment, event: name, detail: detail.slice(0, MAX_DETAIL) };
}
