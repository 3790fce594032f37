/**
 * Route flap damping (RFC 2439) with the parameters RFC 7196 recommends:
 * a route's figure of merit grows with each flap and decays exponentially
 * with a half-life; above the suppress threshold the route is not used until
 * the figure decays below the reuse threshold. The ceiling keeps any route
 * from being suppressed longer than the maximum suppress time. Pure: the
 * clock is passed in, so tests need no timers.
 */

export interface DampingParameters {
  readonly halfLifeSeconds: number;
  readonly reuseThreshold: number;
  readonly suppressThreshold: number;
  readonly maxSuppressSeconds: number;
  readonly withdrawalPenalty: number;
  readonly readvertisementPenalty: number;
  readonly attributeChangePenalty: number;
}

/** RFC 7196 §3: suppress threshold of at least 6000 with the usual 1000 per withdrawal. */
export const RFC7196_PARAMETERS: DampingParameters = {
  halfLifeSeconds: 900,
  reuseThreshold: 750,
  suppressThreshold: 6000,
  maxSuppressSeconds: 3600,
  withdrawalPenalty: 1000,
  readvertisementPenalty: 0,
  attributeChangePenalty: 500,
};

export type FlapEvent = 'withdrawal' | 'readvertisement' | 'attribute-change';

export interface DampingState {
  readonly penalty: number;
  readonly suppressed: boolean;
  /** When a suppressed route becomes usable again (ms since the epoch), if nothing else happens. */
  readonly reuseAt?: number;
  /** For logs and the audit log. */
  readonly reason: string;
}

interface Entry {
  penalty: number;
  updatedAt: number;
  suppressed: boolean;
}

export class FlapDamping {
  private readonly entries = new Map<string, Entry>();
  private readonly ceiling: number;

  constructor(
    private readonly parameters: DampingParameters = RFC7196_PARAMETERS,
    private readonly now: () => number = Date.now,
  ) {
    const p = parameters;
    if (!(p.reuseThreshold > 0 && p.reuseThreshold < p.suppressThreshold && p.halfLifeSeconds > 0 && p.maxSuppressSeconds >= p.halfLifeSeconds)) {
      throw new RangeError('damping needs 0 < reuse < suppress thresholds and max suppress time >= half-life');
    }
    // RFC 2439 §4.2: the largest figure that still decays to reuse within the maximum suppress time.
    this.ceiling = p.reuseThreshold * 2 ** (p.maxSuppressSeconds / p.halfLifeSeconds);
  }

  /** Routes (keys) being tracked: memory is bounded by forgetting calm ones. */
  get size(): number {
    return this.entries.size;
  }

  record(key: string, event: FlapEvent): DampingState {
    const entry = this.decayed(key) ?? { penalty: 0, updatedAt: this.now(), suppressed: false };
    entry.penalty = Math.min(this.ceiling, entry.penalty + this.penaltyFor(event));
    if (entry.penalty > this.parameters.suppressThreshold) entry.suppressed = true;
    this.entries.set(key, entry);
    return this.describe(entry);
  }

  state(key: string): DampingState {
    const entry = this.decayed(key);
    return entry ? this.describe(entry) : { penalty: 0, suppressed: false, reason: 'no flaps recorded' };
  }

  /** Keys whose suppression has ended by now; they are no longer suppressed afterwards. */
  reusable(): string[] {
    const out: string[] = [];
    for (const [key, entry] of this.entries) {
      if (!entry.suppressed) continue;
      if (!this.decayed(key)?.suppressed) out.push(key);
    }
    return out;
  }

  private penaltyFor(event: FlapEvent): number {
    if (event === 'withdrawal') return this.parameters.withdrawalPenalty;
    if (event === 'readvertisement') return this.parameters.readvertisementPenalty;
    return this.parameters.attributeChangePenalty;
  }

  /** The entry with its figure decayed to now; forgotten once it is below half the reuse threshold and not suppressed. */
  private decayed(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.now();
    entry.penalty *= 2 ** (-(now - entry.updatedAt) / 1000 / this.parameters.halfLifeSeconds);
    entry.updatedAt = now;
    if (entry.suppressed && entry.penalty < this.parameters.reuseThreshold) entry.suppressed = false;
    if (!entry.suppressed && entry.penalty < this.parameters.reuseThreshold / 2) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private describe(entry: Entry): DampingState {
    const p = this.parameters;
    const penalty = Math.round(entry.penalty);
    if (!entry.suppressed) return { penalty, suppressed: false, reason: `penalty ${penalty} below suppress threshold ${p.suppressThreshold}` };
    const seconds = p.halfLifeSeconds * Math.log2(entry.penalty / p.reuseThreshold);
    return {
      penalty,
      suppressed: true,
      reuseAt: entry.updatedAt + Math.ceil(seconds * 1000),
      reason: `suppressed: penalty ${penalty} above ${p.suppressThreshold}, reusable below ${p.reuseThreshold} in ${Math.ceil(seconds)} s`,
    };
  }
}
