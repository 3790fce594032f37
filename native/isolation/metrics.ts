import { Gauge, type Registry } from 'prom-client';
import { readCounters, type CounterName } from './nftables.js';

/**
 * Exposes the isolation's nftables counters (spoofed, cross_plane, killed,
 * experimental_forwarded, experimental_over_limit) as Prometheus gauges, read
 * from the kernel at scrape time. Gauges, not counters: the values are the
 * kernel's, and they restart from zero when the table is replaced.
 */
export function registerIsolationMetrics(registry: Registry, options: { netns?: string } = {}): void {
  let latest: Promise<Record<CounterName, { packets: number; bytes: number }>> | undefined;
  // One `nft` run per scrape serves both gauges.
  const read = (): Promise<Record<CounterName, { packets: number; bytes: number }>> => {
    latest ??= readCounters(options).finally(() => setImmediate(() => (latest = undefined)));
    return latest;
  };
  for (const unit of ['packets', 'bytes'] as const) {
    new Gauge({
      name: `garagenet_isolation_${unit}`,
      help: `${unit} counted by the plane-isolation nftables rules, by rule`,
      labelNames: ['rule'],
      registers: [registry],
      async collect() {
        const counters = await read();
        for (const [rule, value] of Object.entries(counters)) this.set({ rule }, value[unit]);
      },
    });
  }
}
