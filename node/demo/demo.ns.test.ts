import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../system/run.js';
import { namespacesWithPrefix } from '../test-support/topology.js';
import { WIREGUARD_SOCKET_DIR } from '../wireguard/userspace.js';
import { DEMO_PREFIX, DEMO_STATE_FILE, isAlive, readDemoState, removeDemoLeftovers } from './leftovers.js';
import { CLI, ROOT } from './mesh-lab.js';

/**
 * `garagenet demo` as a newcomer runs it: the built CLI as a child process,
 * its summary, the looking glass's JSON API, a ping across the mesh, the
 * printed commands, then Ctrl-C and nothing left behind.
 */

interface Summary {
  url: string;
  garages: { node: string; netns: string; labV4: string; labV6: string }[];
  tryCommands: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function parseSummary(stdout: string): Summary {
  const lines = stdout.split('\n');
  const garages = lines
    .map((l) => /^ {2}(\S+)\s+AS\d+\s+\S+\s+(?:\(NAT\))?\s*lab (\S+) (\S+)\s+\[(\S+)\]$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ node: m[1]!, labV4: m[2]!, labV6: m[3]!, netns: m[4]! }));
  const url = /^looking glass: (\S+)$/m.exec(stdout)?.[1] ?? '';
  const start = lines.indexOf('try:');
  const tryCommands = start < 0 ? [] : lines.slice(start + 1, start + 4).map((l) => l.trim());
  return { url, garages, tryCommands };
}

/** Runs one printed command line exactly as printed (words split on spaces; the demo prints no quoting). */
function runPrinted(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file, ...args] = line.split(' ');
  return new Promise((resolve) => {
    execFile(file!, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return (await response.json()) as T;
}

/** Pids of processes whose command line or namespace mentions `id` (the demo's namespaces are named with it). */
function processesMentioning(id: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(id)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('garagenet demo', () => {
  let demo: ChildProcess | undefined;
  let stdout = '';
  let stderr = '';
  let summary: Summary;
  let id = '';
  const agentTags: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'node', 'cli', 'main.js'))) throw new Error('build first: npm run build');
    const previous = readDemoState();
    if (previous && isAlive(previous.pid)) throw new Error(`a demo is already running (pid ${previous.pid}); the test would remove it`);
    const port = await freePort();
    demo = spawn(process.execPath, [CLI, 'demo', '--garages', '3', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    demo.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    demo.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 170_000;
    while (!stdout.includes('removes everything') && demo.exitCode === null && Date.now() < deadline) await sleep(250);
    if (!stdout.includes('removes everything')) throw new Error(`the demo did not come up: ${stderr}`);
    summary = parseSummary(stdout);
    id = readDemoState()!.id;
    for (const dir of readdirSync(tmpdir()).filter((d) => d.startsWith(`${id}-g`))) {
      const tag = /"interfaceTag": "([a-z0-9]+)"/.exec(readFileSync(join(tmpdir(), dir, 'node.json'), 'utf8'))?.[1];
      if (tag) agentTags.push(`gn${tag}`);
    }
  });

  afterAll(async () => {
    if (demo && demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
    await removeDemoLeftovers();
  });

  it('prints progress, then a summary of 3 garages, the looking-glass URL and three commands', () => {
    expect(stderr).toMatch(/garage 2: garagenet join \(behind NAT\)/);
    expect(stdout).toMatch(/^garagenet demo: 3 garages, 3 tunnels, 6\/6 BGP sessions established$/m);
    expect(summary.garages).toHaveLength(3);
    expect(summary.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(summary.tryCommands).toHaveLength(3);
    expect(agentTags).toHaveLength(3);
  });

  it('the looking glass shows every garage with its sessions, fed by the registry and the route daemons', async () => {
    const names = summary.garages.map((g) => g.node).sort();
    const nodes = await getJson<{ nodes: { name: string; online: boolean }[] }>(`${summary.url}/api/v1/nodes`);
    expect(nodes.nodes.map((n) => n.name).sort()).toEqual(names);
    expect(nodes.nodes.every((n) => n.online)).toBe(true);
    for (const name of names) {
      const sessions = await getJson<{ sessions: { plane: string; state: string; neighbor: string }[] }>(`${summary.url}/api/v1/nodes/${name}/sessions`);
      const established = sessions.sessions.filter((s) => s.state === 'established').map((s) => s.neighbor).sort();
      const others = names.filter((n) => n !== name);
      expect(established).toEqual(others.flatMap((n) => [`${n}.experimental`, `${n}.production`]).sort());
    }
  });

  it('a lab host reaches another garage\'s lab host across the mesh, over IPv4 and IPv6', async () => {
    const [, second, third] = summary.garages;
    const labOf = (netns: string): string => netns.replace(/-g(\d+)$/, '-lab$1');
    await run('ping', ['-n', '-c', '1', '-W', '2', third!.labV4], { netns: labOf(second!.netns) });
    await run('ping', ['-n', '-c', '1', '-W', '2', second!.labV6], { netns: labOf(third!.netns) });
  });

  it('the three printed commands work as printed: ping, route lookup, stopping the experiment', async () => {
    const [ping, lookup, stop] = summary.tryCommands.map((c) => c);
    const pinged = await runPrinted(ping!);
    expect(pinged.stdout).toMatch(/3 packets transmitted, 3 received/);
    const looked = await runPrinted(lookup!);
    expect(looked.code, looked.stderr).toBe(0);
    const target = lookup!.split(' ').at(-1)!;
    expect(looked.stdout).toMatch(new RegExp(`^${target.replace(/\.2$/, '.0').replaceAll('.', '\\.')}/24\\s+\\*>`, 'm'));
    const stopped = await runPrinted(stop!);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout.trim()).toBe('experiment demo-experiment stopped');
  });

  it('Ctrl-C removes every namespace, interface, wireguard socket, process and file it made', async () => {
    const lookingGlassPid = readDemoState()!.lookingGlassPid!;
    expect(isAlive(lookingGlassPid)).toBe(true);
    expect(await namespacesWithPrefix(id)).not.toEqual([]);
    const exited = new Promise<number | null>((resolve) => demo!.once('exit', (code) => resolve(code)));
    demo!.kill('SIGINT');
    const code = await Promise.race([exited, sleep(60_000).then(() => 'timeout' as const)]);
    expect(code).toBe(0);
    expect(await namespacesWithPrefix(DEMO_PREFIX)).toEqual([]);
    expect(await run('ip', ['-o', 'link', 'show'])).not.toContain(id);
    const sockets = existsSync(WIREGUARD_SOCKET_DIR) ? readdirSync(WIREGUARD_SOCKET_DIR) : [];
    expect(sockets.filter((s) => s.startsWith(DEMO_PREFIX) || agentTags.some((t) => s.startsWith(t)))).toEqual([]);
    expect(readdirSync(tmpdir()).filter((d) => d.startsWith(DEMO_PREFIX))).toEqual([]);
    expect(existsSync(DEMO_STATE_FILE)).toBe(false);
    expect(isAlive(lookingGlassPid)).toBe(false);
    expect(processesMentioning(id)).toEqual([]);
  });
});
