/**
 * Counts of policy decisions by outcome ("accepted", "rejected:bogon",
 * "validation:invalid", ...), kept per peer and per instance so that
 * `garagenet bgp neighbors` and metrics answer in O(1).
 */
export class DecisionCounters {
  /** A cell per outcome, so that counting one already seen is one lookup (an UPDATE counts a few). */
  private readonly counts = new Map<string, { n: number }>();

  add(outcome: string, by = 1): void {
    const cell = this.counts.get(outcome);
    if (cell) cell.n += by;
    else this.counts.set(outcome, { n: by });
  }

  get(outcome: string): number {
    return this.counts.get(outcome)?.n ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].map(([outcome, cell]) => [outcome, cell.n] as const).sort(([a], [b]) => a.localeCompare(b)));
  }
}
