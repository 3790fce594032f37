/**
 * The time, read once per turn of the event loop. A socket read hands the
 * route daemon dozens of UPDATEs in one turn, and a clock read per UPDATE
 * (about 90 ns here) was 1% of a full-table ingest, once for the hold timer
 * and once for the routing core; the UPDATEs of one read arrived together anyway.
 */
export class TurnClock {
  private now = 0;
  private fresh = false;
  private readonly expire = (): void => {
    this.fresh = false;
  };

  constructor(private readonly read: () => number = () => Date.now()) {}

  /** ms since the epoch, as read at the first call of this turn. */
  time(): number {
    if (!this.fresh) {
      this.now = this.read();
      this.fresh = true;
      queueMicrotask(this.expire);
    }
    return this.now;
  }
}

/** The process's clock: every reader in one turn shares one read. */
export const turnClock = new TurnClock();
