import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { PLANES } from '../routing/instance.js';
import { RoutedClient } from '../control/client.js';

/** Runs `use` with a client of the daemon named by the group's --socket option, closing it afterwards. */
export async function withClient<T>(command: Command, use: (client: RoutedClient) => Promise<T>): Promise<T> {
  const socket = command.optsWithGlobals<{ socket?: string }>().socket;
  const address = socket === undefined ? undefined : socket.startsWith('unix:') || /:\d+$/.test(socket) ? socket : `unix:${socket}`;
  const client = new RoutedClient(address === undefined ? {} : { address });
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

export function planeOption(text: string): string {
  if (!(PLANES as readonly string[]).includes(text)) throw new UserError(`"${text}" is not a plane`, { hint: `use ${PLANES.join(' or ')}` });
  return text;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** "3d4h", "5m2s": how long a session has been up, as `gobgp neighbor` shows it. */
export function formatUptime(seconds: number): string {
  if (seconds <= 0) return '-';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  return `${m}m${s}s`;
}
