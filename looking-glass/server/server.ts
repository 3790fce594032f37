import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../../common/log.js';
import { MeshCache, StaleDataError, type MeshCacheOptions } from '../sources/cache.js';
import type { MeshSource } from '../sources/source.js';
import { ENDPOINTS, matchEndpoint, type ApiContext } from './api.js';
import { clientAddress } from './client-address.js';
import type { CommunityDictionary } from './communities.js';
import { HttpError } from './http-error.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { ProbeGate } from './probe-gate.js';
import { validateQuery } from './query-schema.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { setSecurityHeaders } from './security-headers.js';
import { defaultPublicDir, loadStaticFiles, type StaticFile } from './static-files.js';

export interface LookingGlassOptions {
  readonly source: MeshSource;
  readonly cache?: MeshCacheOptions;
  readonly rateLimit?: RateLimitOptions;
  /** Reverse proxies whose X-Forwarded-For is believed for rate limiting. */
  readonly trustedProxies?: readonly string[];
  /** Probes (ping, traceroute) running at once across all clients. */
  readonly maxConcurrentProbes?: number;
  readonly communities?: CommunityDictionary;
  readonly publicDir?: string;
  readonly log?: Logger;
}

export interface LookingGlass {
  readonly server: Server;
  readonly cache: MeshCache;
  readonly metrics: ServerMetrics;
  /** Loads the first snapshot, then listens; resolves to the URL it serves. */
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

const MAX_URL_LENGTH = 2048;

/**
 * The looking glass: the page's static files, the JSON API and /metrics on
 * one node:http server. Read-only (GET and HEAD only), rate limited per
 * client, every query checked against its endpoint's schema, safe headers on
 * every answer, and every answer built from the cache, never a fan-out per view.
 */
export function createLookingGlass(options: LookingGlassOptions): LookingGlass {
  const log = options.log ?? createLogger('looking-glass');
  const probes = new ProbeGate(options.maxConcurrentProbes ?? 2);
  const metrics = createServerMetrics({ probesRunning: () => probes.running });
  // Logged when it changes, not on every refresh: an offline garage is news once.
  let lastFailures = '';
  const cache = new MeshCache(options.source, {
    ...options.cache,
    onQuery: (reused) => metrics.queryCache.inc({ result: reused ? 'reused' : 'fetched' }),
    onRefresh: (report) => {
      metrics.refreshDuration.observe(report.durationMs / 1000);
      if (report.registryFailed) metrics.refreshFailures.inc({ target: 'registry' });
      for (const node of report.failedNodes) metrics.refreshFailures.inc({ target: `node ${node}` });
      const failures = JSON.stringify([report.registryFailed, report.failedNodes]);
      if (failures !== lastFailures) {
        lastFailures = failures;
        if (report.registryFailed || report.failedNodes.length > 0) log.warn({ registryFailed: report.registryFailed, failedNodes: report.failedNodes }, 'refresh incomplete');
        else log.info('every source answers again');
      }
    },
  });
  const limiter = new RateLimiter(options.rateLimit);
  const trustedProxies = new Set(options.trustedProxies ?? []);
  const files = loadStaticFiles(options.publicDir ?? defaultPublicDir());
  const ctx: ApiContext = { cache, probes, dictionary: options.communities ?? { communities: {}, largeCommunities: {} } };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<string> => {
    setSecurityHeaders(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, `${clipMethod(req.method)} is not allowed: the looking glass is read-only`, { hint: 'use GET' });
    }
    if ((req.url ?? '').length > MAX_URL_LENGTH) throw new HttpError(414, `the URL is longer than ${MAX_URL_LENGTH} characters`);
    const url = requestUrl(req);
    if (!url) throw new HttpError(400, 'the request target is not a valid URL path', { hint: 'ask for a path like /api/v1/mesh' });
    const match = matchEndpoint(url.pathname);
    const decision = limiter.take(clientAddress(req, trustedProxies), match?.endpoint.cost ?? 1);
    if (!decision.allowed) {
      metrics.rateLimited.inc();
      throw new HttpError(429, 'too many requests from your address', { hint: `wait ${decision.retryAfterSeconds} s`, retryAfterSeconds: decision.retryAfterSeconds });
    }
    if (url.pathname === '/metrics') {
      const body = await metrics.registry.metrics();
      send(req, res, { status: 200, type: metrics.registry.contentType, body: Buffer.from(body), cache: 'no-store' });
      return '/metrics';
    }
    if (url.pathname === '/api/v1' || url.pathname === '/api/v1/') {
      sendJson(req, res, 200, { endpoints: ENDPOINTS.map((e) => ({ path: e.path, summary: e.summary, query: e.query })) });
      return '/api/v1';
    }
    if (match) {
      const query = validateQuery(match.endpoint.query, url.searchParams);
      const body = await match.endpoint.handle({ query, params: match.params }, ctx);
      sendJson(req, res, 200, body);
      return match.endpoint.path;
    }
    if (url.pathname.startsWith('/api/')) throw new HttpError(404, `no API endpoint at ${clipPath(url.pathname)}`, { hint: 'see /api/v1 for the list' });
    const file = files.get(url.pathname);
    if (!file) throw new HttpError(404, `nothing at ${clipPath(url.pathname)}`);
    sendFile(req, res, file);
    return 'static';
  };

  const server = createServer((req, res) => {
    const stop = metrics.duration.startTimer();
    handle(req, res)
      .then((endpoint) => {
        stop({ endpoint });
        metrics.requests.inc({ endpoint, status: String(res.statusCode) });
      })
      .catch((err: unknown) => {
        const e = toHttpError(err);
        if (e.status >= 500 && !(err instanceof HttpError) && !(err instanceof StaleDataError)) log.error({ err, url: req.url }, 'request failed');
        if (!res.headersSent) {
          if (e.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(e.retryAfterSeconds));
          sendJson(req, res, e.status, { error: { status: e.status, message: e.message, ...(e.field ? { field: e.field } : {}), ...(e.hint ? { hint: e.hint } : {}) } });
        } else res.destroy();
        const path = requestUrl(req)?.pathname;
        const endpoint = (path && matchEndpoint(path)?.endpoint.path) ?? 'other';
        stop({ endpoint });
        metrics.requests.inc({ endpoint, status: String(e.status) });
      });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  return {
    server,
    cache,
    metrics,
    async listen({ port, host }) {
      await cache.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      log.info({ url }, 'looking glass listening');
      return url;
    },
    async close() {
      cache.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The request's URL, or undefined when the target cannot be parsed (it is client input). */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://looking-glass.invalid');
  } catch {
    return undefined;
  }
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof StaleDataError) return new HttpError(503, err.message, { hint: 'try again in a few seconds', retryAfterSeconds: 5 });
  return new HttpError(500, 'internal error', { hint: 'the operators have the details in their log' });
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  send(req, res, { status, type: 'application/json; charset=utf-8', body: Buffer.from(JSON.stringify(value)), cache: 'no-store' });
}

function send(req: IncomingMessage, res: ServerResponse, answer: { status: number; type: string; body: Buffer; cache: string }): void {
  res.writeHead(answer.status, { 'Content-Type': answer.type, 'Content-Length': answer.body.length, 'Cache-Control': answer.cache });
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
  res.setHeader('ETag', file.etag);
  res.setHeader('Vary', 'Accept-Encoding');
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, { 'Cache-Control': 'no-cache' });
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  send(req, res, { status: 200, type: file.type, body: gzip ? file.gzipped : file.body, cache: 'no-cache' });
}

function clipPath(path: string): string {
  return path.length > 80 ? `${path.slice(0, 80)}...` : path;
}

function clipMethod(method: string | undefined): string {
  return (method ?? '?').replace(/[^A-Z]/g, '').slice(0, 10);
}
