/**
 * The experiments' audit entries on their way to the registry: queued per
 * experiment and sent as one AppendAuditLogBatch call per experiment per
 * interval (a second), oldest first, so a flood of rejected routes costs the
 * registry one call a second, not one per route. A failed call keeps its
 * entries for the next round. While the registry is away each queue holds at
 * most `capacity` entries: later ones are dropped and counted, and the log
 * gets one `audit.dropped` entry saying how many, where they were lost. A
 * batch the registry refuses for good (this node does not host the
 * experiment) is dropped and counted instead of blocking the queue.
 */

export interface AuditEvent {
  readonly event: string;
  readonly detail: string;
  /** When the node decided it (ISO 8601). */
  readonly at: string;
}

export type AuditSend = (experiment: string, events: readonly AuditEvent[]) => Promise<void>;

export interface AuditBufferOptions {
  /** Most entries waiting per experiment. */
  readonly capacity: number;
  /** Most entries in one call (the registry takes 100). */
  readonly batch: number;
  readonly intervalMs: number;
  readonly now?: () => Date;
  /** Told when calls start failing (their entries are kept and sent again each interval), and of each refused batch. */
  readonly onError?: (experiment: string, err: unknown, refused: number) => void;
  /** A refusal that sending again cannot change (not the host, bad entry): its batch is dropped and counted, not retried. */
  readonly isRefusal?: (err: unknown) => boolean;
}

interface Queue {
  events: AuditEvent[];
  /** Dropped since the last `audit.dropped` entry. */
  gap: number;
  dropped: number;
  sending: Promise<void> | null;
  failing: boolean;
}

export class AuditBuffer {
  private readonly queues = new Map<string, Queue>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly send: AuditSend, private readonly options: AuditBufferOptions) {}

  add(experiment: string, event: string, detail: string): void {
    const q = this.queue(experiment);
    this.closeGap(q);
    if (q.events.length >= this.options.capacity || q.gap > 0) {
      q.gap++;
      q.dropped++;
    } else {
      q.events.push({ event, detail, at: this.now() });
    }
    this.schedule();
  }

  /** Entries waiting and dropped so far, for `experiment status`. */
  stats(experiment: string): { pending: number; dropped: number } {
    const q = this.queues.get(experiment);
    return { pending: q?.events.length ?? 0, dropped: q?.dropped ?? 0 };
  }

  /**
   * One call for each experiment with entries (or only `experiment`'s), of at
   * most `batch` entries; a call already under way is waited for instead.
   */
  async flush(experiment?: string): Promise<void> {
    const names = experiment === undefined ? [...this.queues.keys()] : [experiment];
    await Promise.all(names.map((name) => this.flushOne(name)));
    this.schedule();
  }

  /** Sends until `experiment`'s queue is empty or a call fails (the kill switch wants its entries out now). */
  async drain(experiment: string): Promise<void> {
    for (let round = 0; round < this.options.capacity; round++) {
      const before = this.stats(experiment).pending;
      if (before === 0) return;
      await this.flushOne(experiment);
      if (this.stats(experiment).pending >= before) return;
    }
  }

  private async flushOne(name: string): Promise<void> {
    const q = this.queues.get(name);
    if (!q) return;
    if (q.sending) return q.sending;
    if (q.events.length === 0) return;
    const batch = q.events.slice(0, this.options.batch);
    q.sending = this.send(name, batch).then(
      () => {
        q.events.splice(0, batch.length);
        q.failing = false;
        this.closeGap(q);
      },
      (err: unknown) => {
        if (this.options.isRefusal?.(err)) {
          q.events.splice(0, batch.length);
          q.dropped += batch.length;
          this.options.onError?.(name, err, batch.length);
          return;
        }
        // An outage is reported once, not every second.
        if (!q.failing) this.options.onError?.(name, err, 0);
        q.failing = true;
      },
    ).finally(() => {
      q.sending = null;
    });
    return q.sending;
  }

  /** Once there is room again, the log says how many entries were lost at this point. */
  private closeGap(q: Queue): void {
    if (q.gap === 0 || q.events.length >= this.options.capacity) return;
    q.events.push({ event: 'audit.dropped', detail: `${q.gap} entries dropped: the registry was unreachable and ${this.options.capacity} were already waiting`, at: this.now() });
    q.gap = 0;
  }

  private schedule(): void {
    if (this.timer || ![...this.queues.values()].some((q) => q.events.length > 0)) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private queue(experiment: string): Queue {
    let q = this.queues.get(experiment);
    if (!q) {
      q = { events: [], gap: 0, dropped: 0, sending: null, failing: false };
      this.queues.set(experiment, q);
    }
    return q;
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }
}
