/**
 * Sharing the event loop among sessions, so that what the daemon is asked
 * (control API requests, KEEPALIVEs, a quiet peer's UPDATE) waits for a few
 * milliseconds of other sessions' work, not for all of it. Sessions take
 * their export batches in `sessionTurns`, a bounded time per turn, and each
 * connection reads for a bounded time per turn (connection.ts). Before, ten
 * sessions' batches ran back to back, and a busy socket was read up to 32
 * chunks in a row. The churn benchmark's ListNeighbors (bench/bgp/churn.ts)
 * took 0.23 s while a withdrawal was sent on to nine peers, and 1.05-1.3 s
 * early in a full table's load from ten; with turns 0.11-0.12 s and
 * 0.46-0.49 s.
 */

const monotonic = (): number => performance.now();

/**
 * Work waiting for the event loop, done in the order it asked, a bounded
 * time per turn. Work that asks again while being done goes behind what is
 * waiting, to the next turn, so that none starves.
 */
export class Turns {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  /**
   * @param budgetMs a turn stops taking work once it has run this long
   * @param clock milliseconds, monotonic
   */
  constructor(
    private readonly budgetMs: number,
    private readonly clock: () => number = monotonic,
  ) {}

  /** Runs `work` in a coming turn. The caller keeps the same work from waiting twice. */
  request(work: () => void): void {
    this.waiting.push(work);
    if (!this.scheduled) this.schedule();
  }

  private schedule(): void {
    this.scheduled = true;
    setImmediate(this.turn);
  }

  private readonly turn = (): void => {
    this.scheduled = false;
    const start = this.clock();
    try {
      for (let due = this.waiting.length; due > 0 && this.clock() - start < this.budgetMs; due--) {
        this.waiting.shift()!();
      }
    } finally {
      // Work that threw (a bug) must not leave the rest waiting forever.
      if (this.waiting.length > 0 && !this.scheduled) this.schedule();
    }
  };
}

/**
 * Time left in this turn of the event loop. The first ask of a turn starts
 * its clock; the turn is over when the immediates run (after the reads).
 */
export class TurnBudget {
  private start = -1;
  private readonly reset = (): void => {
    this.start = -1;
  };

  constructor(
    private readonly budgetMs: number,
    private readonly clock: () => number = monotonic,
  ) {}

  /** Whether this turn may do more. */
  available(): boolean {
    const now = this.clock();
    if (this.start < 0) {
      this.start = now;
      setImmediate(this.reset);
      return true;
    }
    return now - this.start < this.budgetMs;
  }
}

/** A batch of 4,000 announced prefixes takes about 5 ms (900,000 took 1.1 s in process), of withdrawals under 1 ms. */
const TURN_BUDGET_MS = 5;

/** The process's export turns, shared by every session of every plane. */
export const sessionTurns = new Turns(TURN_BUDGET_MS);
