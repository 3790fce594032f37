import { mapSettled, withTimeout } from './map-limit.js';
import type { MeshSource } from './source.js';
import type { BgpSession, RegistryView, RouteChange, TunnelStatus } from './types.js';

export interface MeshCacheOptions {
  /** How often the background refresh polls the registry and every node. */
  readonly refreshIntervalMs?: number;
  /** Data older than this is not shown: the registry view makes the API answer 503, a node's data is dropped. */
  readonly maxStalenessMs?: number;
  /** How long the answer of one query (a lookup, a route list) is reused. */
  readonly queryTtlMs?: number;
  readonly maxQueryEntries?: number;
  /** Nodes asked at once during a refresh or a query at every node. */
  readonly fanOutConcurrency?: number;
  /** How long one node may take to answer one call. */
  readonly callTimeoutMs?: number;
  readonly changesPerNode?: number;
  readonly now?: () => number;
  /** Called on each query with whether a held answer was reused, for metrics. */
  readonly onQuery?: (reused: boolean) => void;
  /** Called after each refresh, for metrics. */
  readonly onRefresh?: (report: { durationMs: number; failedNodes: string[]; registryFailed: boolean }) => void;
}

export interface NodeSnapshot {
  readonly sessions?: readonly BgpSession[];
  readonly tunnels?: readonly TunnelStatus[];
  readonly changes?: readonly RouteChange[];
  /** When this node last answered, ms since the epoch. */
  readonly updatedAt?: number;
  /** Why the last refresh of this node failed. */
  readonly error?: string;
}

export interface MeshSnapshot {
  readonly registry: RegistryView;
  readonly registryUpdatedAt: number;
  readonly nodes: ReadonlyMap<string, NodeSnapshot>;
}

export class StaleDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StaleDataError';
  }
}

interface QueryEntry {
  readonly expires: number;
  readonly value: Promise<unknown>;
}

/**
 * Sits between the server and the sources so that a page view costs no
 * fan-out: the summary every page shows (registry view, sessions, tunnels,
 * recent changes) is refreshed in the background on a timer, and the answers
 * of on-demand queries are shared for a short time (and while in flight) by
 * every client asking the same thing. Staleness is bounded: what is older
 * than `maxStalenessMs` is not served.
 */
export class MeshCache {
  readonly fanOutConcurrency: number;
  readonly callTimeoutMs: number;
  private readonly refreshIntervalMs: number;
  private readonly maxStalenessMs: number;
  private readonly queryTtlMs: number;
  private readonly maxQueryEntries: number;
  private readonly changesPerNode: number;
  private readonly now: () => number;
  private registry: RegistryView | undefined;
  private registryUpdatedAt = 0;
  private readonly nodes = new Map<string, NodeSnapshot>();
  private readonly queries = new Map<string, QueryEntry>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    readonly source: MeshSource,
    private readonly options: MeshCacheOptions = {},
  ) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? 5_000;
    this.maxStalenessMs = options.maxStalenessMs ?? 60_000;
    this.queryTtlMs = options.queryTtlMs ?? 5_000;
    this.maxQueryEntries = options.maxQueryEntries ?? 5_000;
    this.fanOutConcurrency = options.fanOutConcurrency ?? 8;
    this.callTimeoutMs = options.callTimeoutMs ?? 3_000;
    this.changesPerNode = options.changesPerNode ?? 50;
    this.now = options.now ?? Date.now;
  }

  /** Loads once, then keeps refreshing in the background until `stop`. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One refresh of everything; a refresh already under way is joined, not repeated. */
  refresh(): Promise<void> {
    this.running ??= this.refreshOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  snapshot(): MeshSnapshot {
    const age = this.now() - this.registryUpdatedAt;
    if (!this.registry) throw new StaleDataError('the looking glass has not yet heard from the registry');
    if (age > this.maxStalenessMs) {
      throw new StaleDataError(`the registry has not answered for ${Math.round(age / 1000)} s`);
    }
    const nodes = new Map<string, NodeSnapshot>();
    for (const [name, node] of this.nodes) {
      const fresh = node.updatedAt !== undefined && this.now() - node.updatedAt <= this.maxStalenessMs;
      nodes.set(name, fresh ? node : { error: node.error ?? 'no answer yet', ...(node.updatedAt === undefined ? {} : { updatedAt: node.updatedAt }) });
    }
    return { registry: this.registry, registryUpdatedAt: this.registryUpdatedAt, nodes };
  }

  /** The answer for `key`, computed by `fetch` only if no fresh one is held or in flight. */
  query<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    const now = this.now();
    const held = this.queries.get(key);
    const reused = held !== undefined && held.expires > now;
    this.options.onQuery?.(reused);
    if (reused) return held.value as Promise<T>;
    const value = fetch();
    this.queries.delete(key);
    this.queries.set(key, { expires: now + this.queryTtlMs, value });
    // Failures are not remembered: the next asker tries again.
    value.catch(() => {
      if (this.queries.get(key)?.value === value) this.queries.delete(key);
    });
    if (this.queries.size > this.maxQueryEntries) this.queries.delete(this.queries.keys().next().value!);
    return value;
  }

  private async refreshOnce(): Promise<void> {
    const started = this.now();
    let registryFailed = false;
    try {
      this.registry = await withTimeout(this.source.registry.publicView(), this.callTimeoutMs, 'the registry');
      this.registryUpdatedAt = this.now();
    } catch {
      registryFailed = true;
    }
    const names = this.registry?.nodes.map((n) => n.name) ?? [];
    for (const name of this.nodes.keys()) if (!names.includes(name)) this.nodes.delete(name);
    const results = await mapSettled(names, (name) => this.refreshNode(name), { concurrency: this.fanOutConcurrency });
    const failedNodes = names.filter((_, i) => results[i]!.status === 'rejected');
    this.options.onRefresh?.({ durationMs: this.now() - started, failedNodes, registryFailed });
  }

  private async refreshNode(name: string): Promise<void> {
    const node = this.source.node(name);
    try {
      if (!node) throw new Error(`no source for node ${name}`);
      const call = <T>(p: Promise<T>): Promise<T> => withTimeout(p, this.callTimeoutMs, `node ${name}`);
      // Each facet on its own: a daemon that offers sessions but no change log still shows its sessions.
      const [sessions, tunnels, changes] = await Promise.allSettled([
        call(node.routeDaemon.sessions()),
        call(node.agent.tunnels()),
        call(node.routeDaemon.recentChanges({ limit: this.changesPerNode })),
      ]);
      const failures = [sessions, tunnels, changes].flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
      if (failures.length === 3) throw new Error(failures[0]);
      const value = <T>(r: PromiseSettledResult<T>): T | undefined => (r.status === 'fulfilled' ? r.value : undefined);
      this.nodes.set(name, {
        ...(value(sessions) ? { sessions: value(sessions)! } : {}),
        ...(value(tunnels) ? { tunnels: value(tunnels)! } : {}),
        ...(value(changes) ? { changes: value(changes)! } : {}),
        updatedAt: this.now(),
        ...(failures.length > 0 ? { error: failures.join('; ') } : {}),
      });
    } catch (err) {
      const previous = this.nodes.get(name);
      this.nodes.set(name, { ...previous, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }
}
