/**
 * Counts of policy decisions by outcome ("accepted", "rejected:bogon",
 * "validation:invalid", ...), kept per peer and per instance so that
 * `garagenet bgp neighbors` and metrics answer in O(1).
 */
export class DecisionCounters {
  private readonly counts = new Map<string, number>();

  add(outcome: string, by = 1): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + by);
  }

  get(outcome: string): number {
    return this.counts.get(outcome) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
