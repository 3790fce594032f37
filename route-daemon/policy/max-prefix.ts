/** Why the session exceeds its prefix limit (RFC 4486 CEASE subcode 1 follows), or null. */
export function maxPrefixReason(accepted: number, limit: number | undefined): string | null {
  if (limit === undefined || accepted <= limit) return null;
  return `${accepted} prefixes exceed the limit of ${limit}`;
}
