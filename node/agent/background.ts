import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { UserError } from '../../common/errors.js';
import { askAgent } from './control-socket.js';
import type { StatePaths } from '../state/layout.js';
import type { NodeStatus } from './status.js';

/**
 * Runs the agent in the background, the way `wg-quick up` or `tailscale up`
 * return once the node is up while the daemon carries on: a detached
 * `garagenet up --foreground` logging to agent.log in the state directory.
 */

export function runningPid(paths: StatePaths): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(paths.pid, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function lastLogLine(paths: StatePaths): string {
  try {
    const lines = readFileSync(paths.log, 'utf8').trim().split('\n');
    return lines[lines.length - 1] ?? '';
  } catch {
    return '';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the agent and resolves with its first status once it answers. */
export async function startInBackground(paths: StatePaths, options: { timeoutMs?: number } = {}): Promise<NodeStatus> {
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell which garagenet script is running');
  const log = openSync(paths.log, 'a', 0o600);
  const child = spawn(process.execPath, [script, 'up', '--foreground', '--state-dir', paths.dir], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new UserError(`the agent stopped at start: ${lastLogLine(paths).replace(/^garagenet: /, '')}`, { hint: `see ${paths.log}` });
    }
    try {
      return await askAgent<NodeStatus>(paths.socket, 'GET', '/status', { timeoutMs: 5000 });
    } catch {
      await sleep(50);
    }
  }
  throw new UserError('the agent did not come up in time', { hint: `see ${paths.log}` });
}

/** Asks the agent to take the node down and waits until it has exited. */
export async function stopAgent(paths: StatePaths, options: { timeoutMs?: number } = {}): Promise<boolean> {
  const pid = runningPid(paths);
  if (pid === undefined) return false;
  await askAgent(paths.socket, 'POST', '/stop').catch(() => process.kill(pid, 'SIGTERM'));
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (runningPid(paths) === undefined) return true;
    await sleep(50);
  }
  throw new UserError(`the agent (pid ${pid}) did not stop in time`, { hint: `kill it: kill ${pid}` });
}
