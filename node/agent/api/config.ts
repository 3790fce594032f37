import { join } from 'node:path';
import { field, matching, object } from '../../state/check.js';
import { readStateFile, type StateFileSpec } from '../../state/state-file.js';

/**
 * Where the agent API listens. Always a unix socket in the state directory
 * (agent-api.sock); a TCP address too when `agent-api.json` in the state
 * directory names one: {"listen": "10.64.0.1:7480"} (the production loopback
 * lets a looking glass reach it across the mesh), or "127.0.0.1:7480".
 */

const API_SOCKET = 'agent-api.sock';

export interface ApiListen {
  readonly socket: string;
  readonly tcp?: string;
}

const HOST_PORT = /^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9a-fA-F:.]+)\]):(\d{1,5})$/;

function validHostPort(text: string): boolean {
  const m = HOST_PORT.exec(text);
  if (!m) return false;
  const port = Number(m[3]);
  const v4ok = m[1] === undefined || m[1].split('.').every((o) => Number(o) <= 255);
  return v4ok && port >= 1 && port <= 65535;
}

/** agent-api.json, read like every other file of the state directory (one line naming file, field and fix). */
export const apiConfigFile: StateFileSpec<{ listen?: string }> = {
  name: 'agent-api.json',
  secret: false,
  check(value) {
    const config = object(value, '');
    if (config.listen === undefined) return {};
    return { listen: matching(...field(config, 'listen', ''), validHostPort, 'ADDRESS:PORT (10.64.0.1:7480 or [fd64::1]:7480)') };
  },
  fix: 'write it like {"listen": "10.64.0.1:7480"}, or delete it to listen on the unix socket only',
};

export function apiListen(stateDir: string): ApiListen {
  const socket = join(stateDir, API_SOCKET);
  const tcp = readStateFile(stateDir, apiConfigFile)?.listen;
  return tcp === undefined ? { socket } : { socket, tcp };
}
