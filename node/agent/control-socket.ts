import { chmod, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { oneLine, UserError } from '../../common/errors.js';
import type { NodeStatus } from './status.js';

/**
 * The running agent's local door for the CLI: HTTP with JSON bodies over a
 * unix socket in the state directory (mode 0600, root only). It serves what
 * the read verbs show and the few actions that must happen inside the agent.
 */

export interface ControlHandlers {
  status(): Promise<NodeStatus>;
  rotateKey(): Promise<{ publicKey: string; peers: number }>;
  stop(): void;
  /** Experiment verbs: `attach`, `stop`, `status`, with their parameters from the query string. */
  experiment(verb: string, params: URLSearchParams): Promise<unknown>;
}

export interface ControlSocket {
  close(): Promise<void>;
}

export async function startControlSocket(path: string, handlers: ControlHandlers): Promise<ControlSocket> {
  await rm(path, { force: true });
  const server: Server = createServer((req, res) => {
    const reply = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://agent');
    const route = `${req.method} ${url.pathname}`;
    const work: Promise<unknown> | undefined =
      route === 'GET /status' ? handlers.status()
        : route === 'POST /rotate-key' ? handlers.rotateKey()
          : route === 'POST /stop' ? Promise.resolve(handlers.stop()).then(() => ({ stopping: true }))
            : route.startsWith('POST /experiment/') ? handlers.experiment(url.pathname.slice('/experiment/'.length), url.searchParams)
              : undefined;
    if (!work) return reply(404, { error: `no such request: ${route}` });
    work.then((body) => reply(200, body ?? {}), (err: unknown) => reply(500, { error: oneLine(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return {
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Asks the agent behind `path`; a clear error if none is running. */
export function askAgent<T>(path: string, method: 'GET' | 'POST', url: string, options: { timeoutMs?: number } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: path, method, path: url, agent: false, timeout: options.timeoutMs ?? 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          reject(new UserError(`the agent sent an unreadable answer to ${url}`));
          return;
        }
        if (res.statusCode === 200) resolve(parsed as T);
        else reject(new UserError(`the agent refused ${url}: ${(parsed as { error?: string }).error ?? res.statusCode}`));
      });
    });
    req.on('timeout', () => req.destroy(new UserError(`the agent did not answer ${url} in time`, { hint: 'see agent.log in the state directory' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof UserError) reject(err);
      else if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(new UserError('the garagenet agent is not running', { hint: 'start it with `garagenet up`' }));
      } else reject(new UserError(`cannot reach the agent at ${path}: ${err.message}`));
    });
    req.end();
  });
}
