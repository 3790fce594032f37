import { oneLine } from '../../common/errors.js';
import { createLogger, type Logger } from '../../common/log.js';
import type { FibSource, ForwardingPlane } from '../fib.js';

/**
 * Feeds one plane's best routes to the native plane: a full resync first,
 * then batches of diffs with one batch in flight at a time, so changes that
 * pile up meanwhile are coalesced by the RIB rather than queued here. When a
 * batch fails, the kernel's state is unknown: after a pause the feed starts
 * over with a full resync, which the native plane makes exact.
 */
export class FibFeed {
  private busy = false;
  private needResync = true;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly source: FibSource,
    private readonly options: { forwarding: ForwardingPlane; maxBatch?: number; retryMs?: number },
  ) {
    this.log = createLogger('fib-feed').child({ plane: source.plane });
    source.onFibReady(() => void this.pump());
  }

  /** Starts with a full resync; resolves when the FIB has caught up. */
  start(): Promise<void> {
    void this.pump();
    return this.idle();
  }

  /** Asked by the native plane (for example after it found the kernel table changed under it). */
  resync(): Promise<void> {
    this.needResync = true;
    void this.pump();
    return this.idle();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.settle();
  }

  /** Resolves once nothing is in flight and nothing is pending. */
  idle(): Promise<void> {
    if (!this.busy && !this.retry) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    if (this.busy || this.stopped || this.retry) return;
    this.busy = true;
    const { forwarding } = this.options;
    try {
      for (;;) {
        if (this.stopped) break;
        if (this.needResync) {
          this.needResync = false;
          const routes = this.source.fibSnapshot();
          await forwarding.resync(this.source.plane, routes);
          this.log.info({ routes: routes.length }, 'FIB resynchronized');
          continue;
        }
        const changes = this.source.drainFib({ maxChanges: this.options.maxBatch ?? 2048 });
        if (!changes) break;
        await forwarding.apply(this.source.plane, changes);
      }
    } catch (err) {
      this.needResync = true;
      const retryMs = this.options.retryMs ?? 1000;
      this.log.error({ retryMs }, `FIB update failed, resynchronizing: ${oneLine(err)}`);
      this.retry = setTimeout(() => {
        this.retry = undefined;
        void this.pump();
      }, retryMs);
      this.retry.unref();
    } finally {
      this.busy = false;
    }
    if (!this.retry) this.settle();
  }

  private settle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
