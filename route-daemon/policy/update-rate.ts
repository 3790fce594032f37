/**
 * A per-session update-rate limit, as a token bucket: a burst of `burst`
 * prefixes, refilled at `perSecond`. BGP cannot drop an UPDATE without
 * losing consistency, so an over-eager peer is not refused but slowed down:
 * the answer is how long to stop reading its socket, and TCP flow control
 * passes the pause on to the peer. Pure: the clock is passed in.
 */
export class UpdateRateLimit {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly limit: { perSecond: number; burst: number },
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit.perSecond > 0 && limit.burst >= 1)) throw new RangeError('an update-rate limit needs perSecond > 0 and burst >= 1');
    this.tokens = limit.burst;
    this.updatedAt = now();
  }

  /** Takes `prefixes` tokens; returns how many ms to pause reading before the balance is positive again (0: none). */
  take(prefixes: number): number {
    const now = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.limit.perSecond);
    this.updatedAt = now;
    this.tokens -= prefixes;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.limit.perSecond) * 1000);
  }
}
