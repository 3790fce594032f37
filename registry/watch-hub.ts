import type { IWatchResponse, Watcher } from 'etcd3';
import { createLogger, type Logger } from '../common/log.js';
import type { KeyLayout } from './keys.js';
import { metrics } from './metrics.js';
import { experimentRecord } from './experiment-limits.js';
import type { Change, Experiment, WatchResponse } from './model.js';
import type { Store } from './store.js';

/**
 * One etcd watch per registry process, fanned out in-process to every Watch
 * stream (ANCHORS.md: one etcd watch fanned out in-process stays at p99 of a
 * few ms at 1,000 watchers; 1,000 etcd watches reach seconds). Each etcd
 * revision becomes one WatchResponse, encoded once; every stream gets the
 * same bytes. A ring of recent batches lets a stream resume from its last
 * revision without gaps or repeats; resumes older than the ring get a snapshot.
 */

export type Encode = (response: WatchResponse) => Buffer;

interface Batch {
  revision: number;
  bytes: Buffer;
}

interface Subscriber {
  /** Highest revision this subscriber has received (or will get from its snapshot). */
  after: number;
  /** Batches held back while the subscriber's snapshot is being read. */
  pending: Batch[] | null;
  send: (bytes: Buffer) => void;
}

/** Decodes one `pub/` key-value into a Change (the record's JSON as stored). */
export function toChange(keys: KeyLayout, key: string, value: Buffer | null): Change | null {
  const parsed = keys.parsePub(key);
  if (!parsed) return null;
  const change: Change = { kind: parsed.kind, id: parsed.id, deleted: value === null };
  if (value === null) return change;
  const record: unknown = JSON.parse(value.toString());
  (change as unknown as Record<string, unknown>)[parsed.kind] = parsed.kind === 'experiment' ? experimentRecord(record as Experiment) : record;
  return change;
}

export class WatchHub {
  private revision = 0;
  private ring: Batch[] = [];
  /** The ring holds every batch with a revision above this one. */
  private ringFloor = 0;
  private readonly subscribers = new Set<Subscriber>();
  private watcher: Watcher | null = null;
  private closed = false;
  private readonly log: Logger;

  constructor(
    private readonly store: Store,
    private readonly encode: Encode,
    private readonly ringSize = 10_000,
  ) {
    this.log = createLogger('registry').child({ part: 'watch-hub' });
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * Starts the one etcd watch a little in the past (as far as etcd still keeps
   * history, up to the ring's size), so that a stream which was served by
   * another registry process, or by this one before a restart, resumes here
   * without gaps or repeats too.
   */
  async start(): Promise<void> {
    const { revision } = await this.store.snapshot(this.store.keys.mesh);
    const from = Math.max(1, revision - this.ringSize);
    this.revision = from - 1;
    this.ringFloor = from - 1;
    await this.watchFrom(from);
  }

  /** etcd no longer holds the history asked for: start at the present and answer older resumes with snapshots. */
  private async restartAtPresent(): Promise<void> {
    const { revision } = await this.store.snapshot(this.store.keys.mesh);
    this.ring = [];
    this.revision = Math.max(this.revision, revision);
    this.ringFloor = this.revision;
    await this.watchFrom(this.revision + 1);
  }

  private async watchFrom(startRevision: number): Promise<void> {
    const watcher = await this.store.etcd.watch().prefix(this.store.keys.pub).startRevision(String(startRevision)).create();
    this.watcher = watcher;
    watcher.on('data', (res: IWatchResponse) => this.onData(res));
    watcher.on('disconnected', () => this.log.warn('etcd watch disconnected; it resumes by itself'));
    watcher.on('connected', () => this.log.info({ revision: this.revision }, 'etcd watch connected'));
    watcher.on('error', (err: Error) => {
      // A canceled watch (e.g. history compacted) is re-created after what we have delivered.
      this.log.error({ err: err.message }, 'etcd watch failed; re-creating it');
      void watcher.cancel().catch(() => undefined);
      const again = /compacted/i.test(err.message) ? () => this.restartAtPresent() : () => this.watchFrom(this.revision + 1);
      if (!this.closed) setTimeout(() => void again().catch((e: Error) => this.log.error({ err: e.message }, 'watch re-create failed')), 1000);
    });
  }

  private onData(res: IWatchResponse): void {
    const byRevision = new Map<number, Change[]>();
    for (const event of res.events) {
      const revision = Number(event.kv.mod_revision);
      if (revision <= this.revision) continue;
      const change = toChange(this.store.keys, event.kv.key.toString(), event.type === 'Delete' ? null : event.kv.value);
      if (!change) continue;
      const list = byRevision.get(revision) ?? [];
      list.push(change);
      byRevision.set(revision, list);
    }
    for (const [revision, changes] of [...byRevision].sort((a, b) => a[0] - b[0])) {
      this.publish({ revision, bytes: this.encode({ revision, snapshot: false, changes }) });
    }
  }

  private publish(batch: Batch): void {
    metrics.watchBatches.inc();
    this.revision = batch.revision;
    this.ring.push(batch);
    if (this.ring.length > this.ringSize) this.ringFloor = this.ring.shift()!.revision;
    for (const sub of this.subscribers) this.deliver(sub, batch);
  }

  private deliver(sub: Subscriber, batch: Batch): void {
    if (sub.pending) {
      sub.pending.push(batch);
    } else if (batch.revision > sub.after) {
      sub.after = batch.revision;
      sub.send(batch.bytes);
    }
  }

  /**
   * Streams every change after `fromRevision` to `send`; with 0 (or a revision
   * no longer in the ring) a snapshot of the whole state comes first. Returns
   * the function that ends the subscription.
   */
  async subscribe(fromRevision: number, send: (bytes: Buffer) => void): Promise<() => void> {
    const sub: Subscriber = { after: fromRevision, pending: null, send };
    const unsubscribe = (): void => void this.subscribers.delete(sub);
    if (fromRevision > 0 && fromRevision >= this.ringFloor) {
      // Synchronous replay then attach: nothing can arrive in between.
      for (const batch of this.ring) this.deliver(sub, batch);
      this.subscribers.add(sub);
      return unsubscribe;
    }
    sub.pending = [];
    this.subscribers.add(sub);
    try {
      const { revision, entries } = await this.store.snapshot(this.store.keys.pub);
      const changes = entries.map((e) => toChange(this.store.keys, e.key, e.value)).filter((c): c is Change => c !== null);
      send(this.encode({ revision, snapshot: true, changes }));
      sub.after = revision;
      const held = sub.pending;
      sub.pending = null;
      for (const batch of held) this.deliver(sub, batch);
    } catch (err) {
      unsubscribe();
      throw err;
    }
    return unsubscribe;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
    await this.watcher?.cancel().catch(() => undefined);
  }
}
