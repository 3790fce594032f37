import type { AsPathSegment } from '../routing/attributes.js';
import { asPathLength } from '../routing/decision.js';

/** Why the AS path is too long for the session's limit, or null. Counted as the decision process counts it. */
export function asPathLengthReason(path: readonly AsPathSegment[], limit: number | undefined): string | null {
  if (limit === undefined) return null;
  const length = asPathLength(path);
  return length > limit ? `AS path length ${length} exceeds ${limit}` : null;
}
