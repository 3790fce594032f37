import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../../common/errors.js';

/**
 * Where the agent API listens. Always a unix socket in the state directory
 * (agent-api.sock); a TCP address too when `agent-api.json` in the state
 * directory names one: {"listen": "10.64.0.1:7480"} (the production loopback
 * lets a looking glass reach it across the mesh), or "127.0.0.1:7480".
 */

const API_SOCKET = 'agent-api.sock';
const API_CONFIG = 'agent-api.json';

export interface ApiListen {
  readonly socket: string;
  readonly tcp?: string;
}

const HOST_PORT = /^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9a-fA-F:.]+)\]):(\d{1,5})$/;

/** Throws one clear error naming the file and the field when agent-api.json is malformed. */
export async function apiListen(stateDir: string): Promise<ApiListen> {
  const socket = join(stateDir, API_SOCKET);
  const file = join(stateDir, API_CONFIG);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { socket };
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return { socket, ...parseApiConfig(text, file) };
}

/** The TCP address an agent-api.json names, if any; `file` names it in the error. */
export function parseApiConfig(text: string, file: string): { tcp?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError(`${file} is not JSON`, { hint: 'write it like {"listen": "10.64.0.1:7480"}' });
  }
  const listen = (parsed as { listen?: unknown } | null)?.listen;
  if (listen === undefined) return {};
  if (typeof listen !== 'string' || !validHostPort(listen)) {
    throw new UserError(`${file}: "listen" ${JSON.stringify(listen)} is not ADDRESS:PORT`, { hint: 'write it like 10.64.0.1:7480 or [fd64::1]:7480' });
  }
  return { tcp: listen };
}

function validHostPort(text: string): boolean {
  const m = HOST_PORT.exec(text);
  if (!m) return false;
  const port = Number(m[3]);
  const v4ok = m[1] === undefined || m[1].split('.').every((o) => Number(o) <= 255);
  return v4ok && port >= 1 && port <= 65535;
}
