/**
 * The catalog of every Prometheus metric garagenet defines, read from the
 * real definitions: each component's metrics are registered into a fresh
 * prom-client registry and listed from there (nothing is scraped, no source
 * is read). The README's metric table (docs/reference.ts) and the Grafana
 * dashboard are checked against it, so neither can drift from the code.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { registerIsolationMetrics } from '../native/isolation/metrics.js';
import { createServerMetrics } from '../looking-glass/server/metrics.js';
import { metrics as registryMetrics } from '../registry/metrics.js';
import { registerTunnelMetrics } from '../node/metrics/tunnel-metrics.js';
import { registerSessionMetrics } from '../route-daemon/peering/metrics.js';
import { registerRoutingMetrics } from '../route-daemon/routing/metrics.js';

export interface MetricInfo {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary';
  readonly help: string;
  readonly labels: readonly string[];
  /** Which process serves it. */
  readonly component: string;
}

/** prom-client's process and Node.js metrics, served under a prefix by the registry and the looking glass. */
export interface DefaultMetrics {
  readonly component: string;
  readonly prefix: string;
  readonly names: readonly string[];
}

interface PromMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricInfo['type'];
  readonly labelNames: readonly string[];
}

/** The modules that define metrics, as the catalog below covers them; a test checks no other module defines any. */
export const METRIC_MODULES: readonly string[] = [
  'registry/metrics.ts',
  'route-daemon/peering/metrics.ts',
  'route-daemon/routing/metrics.ts',
  'node/metrics/tunnel-metrics.ts',
  'native/isolation/metrics.ts',
  'looking-glass/server/metrics.ts',
];

const asInfo = (component: string) => (m: PromMetric): MetricInfo => ({ name: m.name, type: m.type, help: m.help, labels: [...m.labelNames], component });

/** Metrics registered into a registry we make for the purpose, by a registration function that takes one. */
function fromRegistry(component: string, register: (registry: Registry) => void): MetricInfo[] {
  const registry = new Registry();
  register(registry);
  return (registry.getMetricsAsArray() as unknown as PromMetric[]).map(asInfo(component));
}

const unused = (): never => {
  throw new Error('metric sources are not read when listing metrics');
};

const LOOKING_GLASS_PREFIX = 'looking_glass_';
const REGISTRY_PREFIX = 'garagenet_registry_';

function lookingGlassRegistry(): Registry {
  return createServerMetrics({ probesRunning: () => 0 }).registry;
}

/** garagenet's own metrics (not prom-client's process defaults), in a stable order. */
export function metricCatalog(): MetricInfo[] {
  const defaults = new Set(defaultMetrics().flatMap((d) => d.names));
  const all = [
    ...Object.values(registryMetrics).map((m) => asInfo('registry')(m as unknown as PromMetric)),
    ...fromRegistry('route daemon', (r) => {
      registerSessionMetrics(r, () => []);
      registerRoutingMetrics(r, []);
    }),
    ...fromRegistry('node agent', (r) => registerTunnelMetrics(r, { tunnels: unused, bfd: unused, linkQuality: unused })),
    ...fromRegistry('node agent', (r) => registerIsolationMetrics(r)),
    ...(lookingGlassRegistry().getMetricsAsArray() as unknown as PromMetric[]).map(asInfo('looking glass')).filter((m) => !defaults.has(m.name)),
  ];
  return all;
}

/** The process metrics prom-client adds (CPU, memory, event loop, GC), per component that turns them on. */
export function defaultMetrics(): DefaultMetrics[] {
  return [
    { component: 'registry', prefix: REGISTRY_PREFIX },
    { component: 'looking glass', prefix: LOOKING_GLASS_PREFIX },
  ].map((d) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: d.prefix });
    return { ...d, names: (registry.getMetricsAsArray() as unknown as PromMetric[]).map((m) => m.name) };
  });
}

/** The catalog as the README's Markdown table. */
export function formatCatalog(catalog: readonly MetricInfo[]): string {
  const rows = catalog.map((m) => `| \`${m.name}\` | ${m.type} | ${m.labels.map((l) => `\`${l}\``).join(', ') || '-'} | ${m.component} | ${m.help} |`);
  return ['| metric | type | labels | served by | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
