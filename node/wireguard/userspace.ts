import { spawn } from 'node:child_process';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { UserError } from '../../common/errors.js';

/** wireguard-go's control sockets; the directory is shared by every network namespace. */
export const WIREGUARD_SOCKET_DIR = '/var/run/wireguard';

export function socketPath(interfaceName: string): string {
  return `${WIREGUARD_SOCKET_DIR}/${interfaceName}.sock`;
}

/**
 * Starts wireguard-go for one interface inside `netns`, detached so that the
 * tunnel outlives the agent (the data plane must survive an agent restart).
 * Resolves once its control socket answers to `wg`.
 */
export async function startWireguardGo(interfaceName: string, options: { netns?: string } = {}): Promise<number> {
  if (await exists(socketPath(interfaceName))) {
    throw new UserError(`WireGuard interface name ${interfaceName} is already in use (${socketPath(interfaceName)} exists)`, {
      hint: 'wireguard-go sockets are shared between namespaces: pick a unique name or remove the stale interface',
    });
  }
  const [file, args] =
    options.netns === undefined ? ['wireguard-go', ['-f', interfaceName]] : ['ip', ['netns', 'exec', options.netns, 'wireguard-go', '-f', interfaceName]];
  const child = spawn(file, args, { detached: true, stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'error' } });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  child.unref();
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (await exists(socketPath(interfaceName))) return child.pid ?? 0;
    const code = await Promise.race([exited, sleep(20).then(() => undefined)]);
    if (code !== undefined) {
      throw new UserError(`wireguard-go for ${interfaceName} exited with code ${code}`, {
        hint: 'check that /dev/net/tun exists and that wireguard-go is installed (apt-get install -y wireguard-go)',
      });
    }
  }
  throw new UserError(`wireguard-go for ${interfaceName} did not open ${socketPath(interfaceName)} within 5 s`);
}

/** Process ids of the wireguard-go processes whose interface name satisfies `match`. */
export async function findWireguardGo(match: (interfaceName: string) => boolean): Promise<Array<{ pid: number; interfaceName: string }>> {
  const found: Array<{ pid: number; interfaceName: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').filter((a) => a.length > 0);
    } catch {
      continue; // the process exited while we looked
    }
    const program = argv.findIndex((a) => a === 'wireguard-go' || a.endsWith('/wireguard-go'));
    if (program < 0 || argv[0] === 'ip') continue; // `ip netns exec` has exec'd by now; an `ip` argv is a short-lived wrapper
    const name = argv.slice(program + 1).find((a) => !a.startsWith('-'));
    if (name !== undefined && match(name)) found.push({ pid: Number(entry), interfaceName: name });
  }
  return found;
}

/** Stops the wireguard-go process of an interface (if any) and removes its socket. */
export async function stopWireguardGo(interfaceName: string): Promise<void> {
  for (const { pid } of await findWireguardGo((name) => name === interfaceName)) {
    await terminate(pid);
  }
  await rm(socketPath(interfaceName), { force: true });
}

async function terminate(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50; i++) {
    await sleep(20);
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
