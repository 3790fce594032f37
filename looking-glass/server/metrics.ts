import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The server's own metrics, in a registry of its own so that several servers in one process do not collide. */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'endpoint' | 'status'>;
  readonly duration: Histogram<'endpoint'>;
  readonly rateLimited: Counter;
  readonly refreshDuration: Histogram;
  readonly refreshFailures: Counter<'target'>;
  readonly queryCache: Counter<'result'>;
  readonly probesRunning: Gauge;
}

export function createServerMetrics(options: { probesRunning: () => number }): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'looking_glass_' });
  return {
    registry,
    requests: new Counter({ name: 'looking_glass_http_requests_total', help: 'HTTP requests by endpoint and status', labelNames: ['endpoint', 'status'], registers: [registry] }),
    duration: new Histogram({
      name: 'looking_glass_http_request_duration_seconds', help: 'Time to answer, by endpoint', labelNames: ['endpoint'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry],
    }),
    rateLimited: new Counter({ name: 'looking_glass_rate_limited_total', help: 'Requests refused with 429', registers: [registry] }),
    refreshDuration: new Histogram({ name: 'looking_glass_refresh_duration_seconds', help: 'Time of one background refresh of the registry and every node', buckets: [0.01, 0.05, 0.1, 0.5, 1, 3, 10], registers: [registry] }),
    refreshFailures: new Counter({ name: 'looking_glass_refresh_failures_total', help: 'Sources that failed a background refresh', labelNames: ['target'], registers: [registry] }),
    queryCache: new Counter({ name: 'looking_glass_query_cache_total', help: 'On-demand queries answered from the cache or from the sources', labelNames: ['result'], registers: [registry] }),
    probesRunning: new Gauge({ name: 'looking_glass_probes_running', help: 'Ping and traceroute probes in flight', registers: [registry], collect() { this.set(options.probesRunning()); } }),
  };
}
