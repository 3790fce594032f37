import { readFileSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../system/run.js';
import { cleanupByPrefix, namespacesWithPrefix } from '../test-support/topology.js';
import { WIREGUARD_SOCKET_DIR } from '../wireguard/userspace.js';

/**
 * What a demo leaves on the machine, and how to remove it even after the demo
 * process died: everything it makes is named with DEMO_PREFIX (namespaces,
 * the root-namespace veth, temporary directories), and the state file names
 * the processes outside its namespaces (the demo itself, the looking glass).
 */

export const DEMO_PREFIX = 'gndemo';
export const DEMO_STATE_FILE = '/run/garagenet-demo.json';

export interface DemoState {
  /** The topology id (DEMO_PREFIX + random hex). */
  id: string;
  /** The process running the demo. */
  pid: number;
  lookingGlassPid?: number;
}

export function readDemoState(): DemoState | undefined {
  try {
    return JSON.parse(readFileSync(DEMO_STATE_FILE, 'utf8')) as DemoState;
  } catch {
    return undefined;
  }
}

export async function writeDemoState(state: DemoState): Promise<void> {
  await writeFile(DEMO_STATE_FILE, `${JSON.stringify(state)}\n`, { mode: 0o600 });
}

/** True while `pid` runs; a zombie (killed, not yet reaped by its new parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // The state is the field after the parenthesized command name.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILL, then wait (bounded) until the process is gone, so callers may count on it. */
async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** True if `pid` is a garagenet process (its command line names the CLI and `word`), so a reused pid is never killed. */
export function isGaragenetProcess(pid: number, word: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.some((a) => a.endsWith('garagenet.js')) && cmdline.includes(word);
  } catch {
    return false;
  }
}

/** The wireguard-go interface names of the demo's agents (`gn<tag>`), read from their state directories. */
async function agentInterfaceTags(): Promise<string[]> {
  const tags: string[] = [];
  const temps = (await readdir(tmpdir()).catch(() => [] as string[])).filter((t) => t.startsWith(DEMO_PREFIX));
  for (const temp of temps) {
    const identity = await readFile(join(tmpdir(), temp, 'node.json'), 'utf8').catch(() => '');
    const tag = /"interfaceTag": "([a-z0-9]+)"/.exec(identity)?.[1];
    if (tag) tags.push(`gn${tag}`);
  }
  return tags;
}

/** The demo's interfaces in the root namespace (the uplink's end, `<id>-up`). */
async function rootLinksWithPrefix(): Promise<string[]> {
  const links = JSON.parse(await run('ip', ['-j', 'link', 'show'])) as { ifname: string }[];
  return links.map((l) => l.ifname).filter((name) => name.startsWith(DEMO_PREFIX));
}

/**
 * Removes every trace of any demo run: the looking glass named in the state
 * file, every process in a demo namespace (agents, wireguard-go, registry,
 * etcd), the namespaces (and with them the veths), wireguard-go sockets and
 * temporary directories, then the state file. Returns the namespaces removed.
 */
export async function removeDemoLeftovers(): Promise<string[]> {
  const state = readDemoState();
  if (state?.lookingGlassPid && isGaragenetProcess(state.lookingGlassPid, 'looking-glass')) await killAndWait(state.lookingGlassPid);
  const tags = await agentInterfaceTags();
  const namespaces = await namespacesWithPrefix(DEMO_PREFIX);
  await cleanupByPrefix(DEMO_PREFIX);
  // A namespace goes away only when its last process has; the uplink's root end is removed at once.
  for (const link of await rootLinksWithPrefix()) await run('ip', ['link', 'delete', link]).catch(() => undefined);
  const sockets = await readdir(WIREGUARD_SOCKET_DIR).catch(() => [] as string[]);
  for (const socket of sockets.filter((s) => tags.some((t) => s.startsWith(t)))) await rm(join(WIREGUARD_SOCKET_DIR, socket), { force: true });
  await rm(DEMO_STATE_FILE, { force: true });
  return namespaces;
}
