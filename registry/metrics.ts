import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { UserError } from '../common/errors.js';

/** The registry's Prometheus metrics: one set per process, served on `serve --metrics`. */

const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'garagenet_registry_' });

export const metrics = {
  calls: new Counter({
    name: 'garagenet_registry_calls_total',
    help: 'gRPC calls answered, by method and status code',
    labelNames: ['method', 'code'] as const,
    registers: [registry],
  }),
  allocationConflicts: new Counter({
    name: 'garagenet_registry_allocation_conflicts_total',
    help: 'allocation transactions that lost a race (slot taken meanwhile) and were retried',
    registers: [registry],
  }),
  watchStreams: new Gauge({ name: 'garagenet_registry_watch_streams', help: 'open Watch streams', registers: [registry] }),
  watchBatches: new Counter({
    name: 'garagenet_registry_watch_batches_total',
    help: 'etcd revisions fanned out to Watch streams (each encoded once)',
    registers: [registry],
  }),
};

/** Serves GET /metrics on `listen` (host:port). */
export async function startMetricsServer(listen: string): Promise<Server> {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  if (!m) throw new UserError(`--metrics "${listen}" is not host:port`, { hint: 'e.g. 127.0.0.1:9464' });
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end('not found; try /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[3]), m[1] ?? m[2], () => resolve());
  });
  return server;
}
