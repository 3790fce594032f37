import { oneLine } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { FibSource, ForwardingPlane } from '../../route-daemon/fib.js';

/**
 * Moves one plane's best-route diffs from the routing instance into the
 * kernel, one batch at a time. If the kernel refuses part of a batch (a route
 * left from before a restart, a next hop whose tunnel just went), the plane's
 * table is resynchronized from the full snapshot, which is idempotent.
 */
export class FibFeed {
  private running = false;
  private again = false;
  private stopped = false;
  errors = 0;

  constructor(private readonly source: FibSource, private readonly fib: ForwardingPlane, private readonly log: Logger) {
    source.onFibReady(() => this.kick());
  }

  /** Makes the kernel table match the instance exactly (at start, and after errors). */
  async resync(): Promise<void> {
    while (this.source.drainFib() !== null) {
      // the snapshot below covers everything pending
    }
    await this.fib.resync(this.source.plane, this.source.fibSnapshot());
  }

  stop(): void {
    this.stopped = true;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.pump().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async pump(): Promise<void> {
    for (let batch = this.source.drainFib(); batch !== null && !this.stopped; batch = this.source.drainFib()) {
      try {
        await this.fib.apply(this.source.plane, batch);
      } catch (err) {
        this.errors++;
        this.log.warn({ plane: this.source.plane, err: oneLine(err) }, 'FIB batch partly refused; resynchronizing the table');
        try {
          await this.resync();
        } catch (again) {
          this.log.error({ plane: this.source.plane, err: oneLine(again) }, 'FIB resync failed');
        }
      }
    }
  }
}
