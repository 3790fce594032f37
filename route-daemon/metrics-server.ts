import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { UserError } from '../common/errors.js';

/** Serves a Prometheus registry on GET /metrics, on loopback only. */
export async function startMetricsServer(registry: Registry, address: string): Promise<{ address: string; close(): Promise<void> }> {
  const m = /^(127\.\d+\.\d+\.\d+|\[::1\]):(\d+)$/.exec(address);
  if (!m) throw new UserError(`metrics address "${address}" is not a loopback ADDRESS:PORT`, { hint: 'use 127.0.0.1:PORT; scrape it through the node, not from the network' });
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new UserError(`cannot serve metrics on ${address}: ${err.code ?? err.message}`, { hint: 'pick another port' })));
    server.listen(Number(m[2]), host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    address: `${m[1]}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
