import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../system/run.js';
import { namespacesWithPrefix } from '../test-support/topology.js';
import { WIREGUARD_SOCKET_DIR } from '../wireguard/userspace.js';
import { DEMO_PREFIX, DEMO_STATE_FILE, isAlive, readDemoState, removeDemoLeftovers } from './leftovers.js';
import { CLI, ROOT } from './mesh-lab.js';
import { attachResearcher } from './researcher.js';
import { freePort } from '../../common/free-port.js';

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

interface Launched {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  summary: Summary;
  id: string;
  lookingGlassPid: number;
  /** The agents' wireguard-go interface name starts (`gn<tag>`), read from their state directories. */
  agentTags: string[];
}

/** Runs the built `garagenet demo` with `args` and waits (bounded) for its summary. */
async function launchDemo(args: string[], running: ChildProcess[]): Promise<Launched> {
  const child = spawn(process.execPath, [CLI, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const deadline = Date.now() + 150_000;
  while (!output.stdout.includes('removes everything') && child.exitCode === null && Date.now() < deadline) await sleep(250);
  if (!output.stdout.includes('removes everything')) throw new Error(`the demo did not come up: ${output.stderr}`);
  const state = readDemoState()!;
  const agentTags: string[] = [];
  for (const dir of readdirSync(tmpdir()).filter((d) => d.startsWith(`${state.id}-g`))) {
    const tag = /"interfaceTag": "([a-z0-9]+)"/.exec(readFileSync(join(tmpdir(), dir, 'node.json'), 'utf8'))?.[1];
    if (tag) agentTags.push(`gn${tag}`);
  }
  return { child, output, summary: parseSummary(output.stdout), id: state.id, lookingGlassPid: state.lookingGlassPid!, agentTags };
}

async function expectNothingLeft(demo: Launched): Promise<void> {
  expect(await namespacesWithPrefix(DEMO_PREFIX)).toEqual([]);
  expect(await run('ip', ['-o', 'link', 'show'])).not.toContain(demo.id);
  const sockets = existsSync(WIREGUARD_SOCKET_DIR) ? readdirSync(WIREGUARD_SOCKET_DIR) : [];
  expect(sockets.filter((s) => s.startsWith(DEMO_PREFIX) || demo.agentTags.some((t) => s.startsWith(t)))).toEqual([]);
  expect(readdirSync(tmpdir()).filter((d) => d.startsWith(DEMO_PREFIX))).toEqual([]);
  expect(existsSync(DEMO_STATE_FILE)).toBe(false);
  expect(isAlive(demo.lookingGlassPid)).toBe(false);
  expect(processesMentioning(demo.id)).toEqual([]);
}

function exitOf(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return Promise.race([exited, sleep(60_000).then(() => 'timeout')]);
}

describe('garagenet demo', () => {
  const running: ChildProcess[] = [];

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'node', 'cli', 'main.js'))) throw new Error('build first: npm run build');
    const previous = readDemoState();
    if (previous && isAlive(previous.pid)) throw new Error(`a demo is already running (pid ${previous.pid}); the test would remove it`);
  });

  afterAll(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await removeDemoLeftovers();
  });

  describe('three garages, until Ctrl-C', () => {
    let demo: Launched;

    beforeAll(async () => {
      demo = await launchDemo(['--garages', '3', '--port', String(await freePort())], running);
    });

    it('prints progress, then a summary of 3 garages, the looking-glass URL and three commands', () => {
      expect(demo.output.stderr).toMatch(/garage 2: garagenet join \(behind NAT\)/);
      expect(demo.output.stdout).toMatch(/^garagenet demo: 3 garages, 3 tunnels, 6\/6 BGP sessions established$/m);
      expect(demo.summary.garages).toHaveLength(3);
      expect(demo.summary.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(demo.summary.tryCommands).toHaveLength(3);
      expect(demo.agentTags).toHaveLength(3);
    });

    it('the looking glass shows every garage with its sessions, and the experiment, fed by the registry and the route daemons', async () => {
      const { url } = demo.summary;
      const names = demo.summary.garages.map((g) => g.node).sort();
      const nodes = await getJson<{ nodes: { name: string; online: boolean }[] }>(`${url}/api/v1/nodes`);
      expect(nodes.nodes.map((n) => n.name).sort()).toEqual(names);
      expect(nodes.nodes.every((n) => n.online)).toBe(true);
      for (const name of names) {
        const sessions = await getJson<{ sessions: { plane: string; state: string; neighbor: string }[] }>(`${url}/api/v1/nodes/${name}/sessions`);
        const established = sessions.sessions.filter((s) => s.state === 'established').map((s) => s.neighbor).sort();
        const others = names.filter((n) => n !== name);
        expect(established).toEqual(others.flatMap((n) => [`${n}.experimental`, `${n}.production`]).sort());
      }
      const experiments = await getJson<{ experiments: { name: string; state: string; attachedAt: string[] }[] }>(`${url}/api/v1/experiments`);
      expect(experiments.experiments.map((e) => [e.name, e.state, e.attachedAt])).toEqual([['demo-experiment', 'active', [demo.summary.garages[0]!.node]]]);
    });

    it('a lab host reaches another garage\'s lab host across the mesh, over IPv4 and IPv6', async () => {
      const [, second, third] = demo.summary.garages;
      const labOf = (netns: string): string => netns.replace(/-g(\d+)$/, '-lab$1');
      await run('ping', ['-n', '-c', '1', '-W', '2', third!.labV4], { netns: labOf(second!.netns) });
      await run('ping', ['-n', '-c', '1', '-W', '2', second!.labV6], { netns: labOf(third!.netns) });
    });

    it('the three printed commands work as printed: ping, route lookup, stopping the experiment', async () => {
      const [ping, lookup, stop] = demo.summary.tryCommands;
      const pinged = await runPrinted(ping!);
      expect(pinged.stdout).toMatch(/3 packets transmitted, 3 received/);
      const looked = await runPrinted(lookup!);
      expect(looked.code, looked.stderr).toBe(0);
      const target = lookup!.split(' ').at(-1)!;
      expect(looked.stdout).toMatch(new RegExp(`^${target.replace(/\.2$/, '.0').replaceAll('.', '\\.')}/24\\s+\\*>`, 'm'));
      // The researcher's BIRD (attached to garage 0 by the demo) announces the experiment's space: another garage learns it.
      const allocation = /experiment demo-experiment: AS(\d+) (\S+)/.exec(demo.output.stdout);
      expect(allocation, demo.output.stdout).not.toBeNull();
      const [, asn, prefix] = allocation!;
      const otherState = readdirSync(tmpdir()).find((d) => d.startsWith(`${demo.id}-g1-`));
      expect(otherState).toBeDefined();
      const experimentalRoute = async (): Promise<{ code: number; stdout: string }> =>
        runPrinted(`${process.execPath} ${CLI} bgp --socket unix:${join(tmpdir(), otherState!, 'routed.sock')} routes ${prefix} --plane experimental --exact`);
      let before = await experimentalRoute();
      for (const deadline = Date.now() + 30_000; before.code !== 0 && Date.now() < deadline; before = await experimentalRoute()) await sleep(500);
      expect(before.code, before.stdout).toBe(0);
      expect(before.stdout).toContain(prefix!);
      expect(before.stdout).toContain(asn!);
      const stateDir = stop!.split(' ').at(-1)!;
      const status = await runPrinted(`ip netns exec ${demo.summary.garages[0]!.netns} ${process.execPath} ${CLI} experiment status demo-experiment --json --state-dir ${stateDir}`);
      expect(status.code, status.stderr).toBe(0);
      const s = JSON.parse(status.stdout) as { experiment: { state: string; asn: number }; session: string; accepted: number; rejected: number; attachment: { interface: string; theirAsn: number } };
      expect([s.experiment.state, s.session, s.accepted, s.rejected, s.attachment.theirAsn]).toEqual(['active', 'Established', 1, 0, Number(asn)]);
      const stopped = await runPrinted(stop!);
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stdout.trim()).toBe("experiment demo-experiment stopped; its router is cut off");
      let after = await experimentalRoute();
      for (const deadline = Date.now() + 15_000; after.code === 0 && Date.now() < deadline; after = await experimentalRoute()) await sleep(500);
      expect(after.code, after.stdout).not.toBe(0);
      expect(after.stdout).toContain(`no route for ${prefix!}`);
      // The attachment's link is gone from garage 0 with it.
      const links = await run('ip', ['-j', 'link', 'show'], { netns: demo.summary.garages[0]!.netns });
      expect((JSON.parse(links) as { ifname: string }[]).map((l) => l.ifname)).not.toContain(s.attachment.interface);
      // A node may not change the registry's record; the administrator does, and the looking glass follows.
      const registryDir = readdirSync(tmpdir()).find((d) => d.startsWith(`${demo.id}-registry-`));
      expect(registryDir).toBeDefined();
      const marked = await runPrinted(`ip netns exec ${demo.id}-inet ${process.execPath} ${CLI} registry --state ${join(tmpdir(), registryDir!, 'state')} experiment stop demo-experiment`);
      expect(marked.code, marked.stderr).toBe(0);
      // The looking glass polls the registry every 2 s.
      const states = async (): Promise<string[]> =>
        (await getJson<{ experiments: { state: string }[] }>(`${demo.summary.url}/api/v1/experiments`)).experiments.map((e) => e.state);
      const deadline = Date.now() + 15_000;
      while ((await states())[0] !== 'stopped' && Date.now() < deadline) await sleep(500);
      expect(await states()).toEqual(['stopped']);
    });

    it('an experiment the registry stops is cut by the agent by itself (the watch stream): its route leaves the other garages', async () => {
      const [first, second] = demo.summary.garages;
      const stateOf = (start: string): string => join(tmpdir(), readdirSync(tmpdir()).find((d) => d.startsWith(start))!);
      const registry = `ip netns exec ${demo.id}-inet ${process.execPath} ${CLI} registry --state ${join(stateOf(`${demo.id}-registry-`), 'state')} experiment`;
      const created = await runPrinted(`${registry} create --name demo-watch --owner garages --node ${first!.node} --expires 1d --json`);
      expect(created.code, created.stderr).toBe(0);
      const experiment = JSON.parse(created.stdout) as { name: string; prefixes: string[] };
      const researcher = await attachResearcher({ topologyId: demo.id, suffix: 'exp2', experiment, garage: { netns: first!.netns, stateDir: stateOf(`${demo.id}-g0-`) } });
      const prefix = researcher.plan.allocation;
      const route = (): Promise<{ code: number; stdout: string }> =>
        runPrinted(`${process.execPath} ${CLI} bgp --socket unix:${join(stateOf(`${demo.id}-g1-`), 'routed.sock')} routes ${prefix} --plane experimental --exact`);
      let before = await route();
      for (const deadline = Date.now() + 30_000; before.code !== 0 && Date.now() < deadline; before = await route()) await sleep(500);
      expect(before.code, `${second!.node}: ${before.stdout}`).toBe(0);
      // While attached, the attachment only sends from its allocation.
      const ruleset = await run('nft', ['list', 'ruleset'], { netns: first!.netns });
      expect(ruleset).toMatch(new RegExp(`iifname "${researcher.plan.interface}" ip saddr != \\{? ?${prefix.replaceAll('.', '\\.')}.*drop`));
      const stopped = await runPrinted(`${registry} stop demo-watch`);
      expect(stopped.code, stopped.stderr).toBe(0);
      let after = await route();
      for (const deadline = Date.now() + 20_000; after.code === 0 && Date.now() < deadline; after = await route()) await sleep(500);
      expect(after.stdout).toContain(`no route for ${prefix}`);
      const links = await run('ip', ['-j', 'link', 'show'], { netns: first!.netns });
      expect((JSON.parse(links) as { ifname: string }[]).map((l) => l.ifname)).not.toContain(researcher.plan.interface);
      // The agent recorded the attachment, the accepted route and the cut in the experiment's audit log.
      const log = await runPrinted(`${registry} log demo-watch --json`);
      expect(log.code, log.stderr).toBe(0);
      const events = (JSON.parse(log.stdout) as { node: string; event: string; detail: string }[]).filter((e) => e.node === first!.node);
      expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['attached', 'import.accepted', 'session.removed', 'stopped']));
      expect(events.find((e) => e.event === 'import.accepted')!.detail).toContain(prefix);
    });

    it('Ctrl-C removes every namespace, interface, wireguard socket, process and file it made', async () => {
      expect(isAlive(demo.lookingGlassPid)).toBe(true);
      expect(await namespacesWithPrefix(demo.id)).not.toEqual([]);
      demo.child.kill('SIGINT');
      expect(await exitOf(demo.child)).toBe(0);
      await expectNothingLeft(demo);
    });
  });

  it('after a crash (SIGKILL), `garagenet demo --down` removes what the run left; --no-nat --no-experiment are honoured', async () => {
    const demo = await launchDemo(['--garages', '2', '--no-nat', '--no-experiment', '--port', String(await freePort())], running);
    expect(demo.output.stdout).toMatch(/^garagenet demo: 2 garages, 1 tunnels, 2\/2 BGP sessions established$/m);
    expect(demo.output.stdout).not.toContain('(NAT)');
    expect(demo.output.stdout).not.toContain('experiment');
    demo.child.kill('SIGKILL');
    expect(await exitOf(demo.child)).toBe('SIGKILL');
    expect(await namespacesWithPrefix(demo.id)).not.toEqual([]);
    expect(isAlive(demo.lookingGlassPid)).toBe(true);
    const down = await runPrinted(`${process.execPath} ${CLI} demo --down`);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/^removed \d+ demo namespaces/m);
    await expectNothingLeft(demo);
  });
});
