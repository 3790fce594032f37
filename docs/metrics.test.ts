import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultMetrics, METRIC_MODULES, metricCatalog, type MetricInfo } from './metrics.js';

const here = (file: string): URL => new URL(file, import.meta.url);

interface Target { expr: string; datasource?: { uid?: string } }
interface Panel { type: string; title: string; targets?: Target[]; datasource?: { uid?: string } }
interface Dashboard { panels: Panel[]; templating: { list: Array<{ name: string; type: string; query: unknown }> } }

const dashboard = JSON.parse(readFileSync(here('./grafana-dashboard.json'), 'utf8')) as Dashboard;
const catalog = metricCatalog();

/** Every series name a catalog entry makes Prometheus hold (a histogram is three). */
function seriesNames(metrics: readonly MetricInfo[]): Set<string> {
  const names = new Set<string>();
  for (const m of metrics) {
    if (m.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(m.name + suffix);
    else names.add(m.name);
  }
  for (const d of defaultMetrics()) for (const n of d.names) names.add(n);
  return names;
}

/** Metric names in a PromQL expression: every name of ours starts with one of these two prefixes. */
function metricNamesIn(expr: string): string[] {
  return expr.match(/\b(?:garagenet|looking_glass)_[a-zA-Z0-9_]+/g) ?? [];
}

describe('metric catalog', () => {
  it('lists each metric once, with a help text, from every component', () => {
    const names = catalog.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of catalog) expect(m.help.length, m.name).toBeGreaterThan(5);
    expect(new Set(catalog.map((m) => m.component))).toEqual(new Set(['registry', 'route daemon', 'node agent', 'looking glass']));
  });

  it('covers every module of the code that defines a metric', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const skip = new Set(['node_modules', 'dist', 'build', '.git', 'test-output']);
    const defining: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) {
          if (!skip.has(entry.name) && !entry.name.startsWith('.')) walk(join(dir, entry.name));
        } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
          const text = readFileSync(join(dir, entry.name), 'utf8');
          if (/from 'prom-client'/.test(text) && /new (Counter|Gauge|Histogram|Summary)\b/.test(text)) defining.push(relative(root, join(dir, entry.name)));
        }
      }
    };
    walk(root);
    expect(defining.sort()).toEqual([...METRIC_MODULES].sort());
  });

  it('keeps prom-client process defaults out of garagenet metrics, and lists them under each prefix', () => {
    const defaults = defaultMetrics();
    for (const d of defaults) {
      expect(d.names).toContain(`${d.prefix}process_cpu_seconds_total`);
      for (const n of d.names) expect(catalog.some((m) => m.name === n), n).toBe(false);
    }
  });
});

describe('Grafana dashboard', () => {
  const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

  it('picks its Prometheus data source from a variable', () => {
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of dashboard.panels.filter((panel) => panel.type !== 'row')) expect(p.datasource?.uid, p.title).toBe('${datasource}');
    for (const t of targets) expect(t.datasource?.uid, t.panel).toBe('${datasource}');
  });

  it('queries only metrics the code defines', () => {
    const known = seriesNames(catalog);
    const unknown = targets.flatMap((t) => metricNamesIn(t.expr).filter((n) => !known.has(n)).map((n) => `${n} (panel "${t.panel}")`));
    expect(unknown).toEqual([]);
  });

  it('has a query naming a metric in every target', () => {
    expect(targets.length).toBeGreaterThan(20);
    for (const t of targets) expect(metricNamesIn(t.expr).length, `panel "${t.panel}": ${t.expr}`).toBeGreaterThan(0);
  });
});
