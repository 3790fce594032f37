import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatAddress, hostAddress, parsePrefix } from '../../common/prefix.js';
import { run } from '../system/run.js';
import { buildTopology, type Garage, type Topology } from '../test-support/topology.js';
import { WIREGUARD_SOCKET_DIR } from '../wireguard/userspace.js';

/**
 * The end-to-end lab: the namespace topology, a registry served from the
 * "internet" namespace by the real CLI (managed etcd inside), and one state
 * directory per garage. Everything runs through the built CLI exactly as an
 * operator or administrator would type it (`npm run build` first).
 */

export const REGISTRY_ADDRESS = '198.18.255.1';
export const REGISTRY_PORT = 7443;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'bin', 'garagenet.js'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the garagenet repository root');
    dir = parent;
  }
  return dir;
}

export const ROOT = repoRoot();
export const CLI = join(ROOT, 'bin', 'garagenet.js');

/** Agents log (to agent.log in their state directory) when the run keeps logs; vitest would silence them. */
function cliEnvironment(): NodeJS.ProcessEnv {
  return process.env.GARAGENET_E2E_LOGS ? { ...process.env, GARAGENET_LOG: 'info' } : process.env;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the command, ms. */
  ms: number;
}

/** Runs the built CLI inside `netns` and collects its output (never throws on a non-zero exit). */
export function cli(netns: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...cliEnvironment(), ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export interface MeshLab {
  topology: Topology;
  registryDir: string;
  stateDir(garage: Garage): string;
  /** `garagenet registry ARGS` as the administrator, in the internet namespace; its stdout, or an error with its stderr. */
  admin(args: string[]): Promise<string>;
  /** A fresh single-use join string for organization "garages". */
  invite(): Promise<string>;
  startRegistry(): Promise<void>;
  stopRegistry(): Promise<void>;
  teardown(): Promise<void>;
}

export interface MeshLabOptions {
  garages: number;
  natted?: number[];
  /** Start of every namespace, interface and temporary directory name (see buildTopology). */
  prefix?: string;
  /** The mesh's name, given to `registry init`. */
  meshName?: string;
  /** Where the registry serves Prometheus metrics, inside the internet namespace (none if absent). */
  registryMetricsPort?: number;
}

export async function buildMeshLab(options: MeshLabOptions): Promise<MeshLab> {
  const topology = await buildTopology({ prefix: options.prefix ?? 'gne', garages: options.garages, natted: options.natted ?? [], labs: true });
  // Temporary directories carry the topology id, so its teardown removes them even after a crash.
  const registryDir = await mkdtemp(join(tmpdir(), `${topology.id}-registry-`));
  const stateDirs = new Map<number, string>();
  for (const garage of topology.garages) stateDirs.set(garage.index, await mkdtemp(join(tmpdir(), `${topology.id}-g${garage.index}-`)));
  let registry: ChildProcess | undefined;
  const metrics = options.registryMetricsPort ? ['--metrics', `${REGISTRY_ADDRESS}:${options.registryMetricsPort}`] : [];
  const admin = async (args: string[]): Promise<string> => {
    const result = await cli(topology.internet, ['registry', '--state', join(registryDir, 'state'), ...args]);
    if (result.code !== 0) throw new Error(`registry ${args.join(' ')}: ${result.stderr.trim()}`);
    return result.stdout;
  };

  const lab: MeshLab = {
    topology,
    registryDir,
    stateDir: (garage) => stateDirs.get(garage.index)!,
    admin,
    async invite(): Promise<string> {
      const out = JSON.parse(await admin(['invite', '--org', 'garages', '--json'])) as { joinString: string };
      return out.joinString;
    },
    async startRegistry(): Promise<void> {
      const child = spawn('ip', ['netns', 'exec', topology.internet, process.execPath, CLI, 'registry', '--state', join(registryDir, 'state'), 'serve', ...metrics], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      registry = child;
      let err = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`registry did not start: ${err}`)), 60_000);
        child.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
          if (/serving on/.test(err)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`registry exited with ${code}: ${err}`));
        });
      });
    },
    async stopRegistry(): Promise<void> {
      const child = registry;
      registry = undefined;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    async teardown(): Promise<void> {
      // The agents' wireguard-go sockets carry each node's interface tag, not the topology id.
      const tags: string[] = [];
      for (const dir of stateDirs.values()) {
        const identity = await readFile(join(dir, 'node.json'), 'utf8').catch(() => '');
        const tag = /"interfaceTag": "([a-z0-9]+)"/.exec(identity)?.[1];
        if (tag) tags.push(`gn${tag}`);
      }
      await lab.stopRegistry().catch(() => undefined);
      const keep = process.env.GARAGENET_E2E_LOGS;
      if (keep) {
        for (const [index, dir] of stateDirs) await cp(join(dir, 'agent.log'), join(keep, `${topology.id}-g${index}.log`)).catch(() => undefined);
      }
      await topology.teardown();
      const sockets = await readdir(WIREGUARD_SOCKET_DIR).catch(() => [] as string[]);
      for (const socket of sockets.filter((s) => tags.some((t) => s.startsWith(t)))) await rm(join(WIREGUARD_SOCKET_DIR, socket), { force: true });
      for (const dir of [registryDir, ...stateDirs.values()]) await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await run('ip', ['address', 'add', `${REGISTRY_ADDRESS}/32`, 'dev', 'lo'], { netns: topology.internet });
    await admin(['init', '--name', options.meshName ?? 'e2e', '--address', `${REGISTRY_ADDRESS}:${REGISTRY_PORT}`]);
    await lab.startRegistry();
    await admin(['org', 'add', 'garages']);
  } catch (err) {
    await lab.teardown();
    throw err;
  }
  return lab;
}

/** What a joined node's node.json says, as far as the lab needs it. */
export interface LabIdentity {
  node: { name: string; asn: number; productionLoopbackV4: string; experimentalLoopbackV4: string };
  interfaceTag: string;
  allocations: { id: string; prefix: string }[];
}

export interface LabMember {
  garage: Garage;
  stateDir: string;
  identity: LabIdentity;
  /** The garage's production allocation. */
  allocation: { v4: string; v6: string };
  /** The lab host's addresses, host 2 of the allocation. */
  labHost: { v4: string; v6: string };
  /** What `garagenet join` printed. */
  joined: CliResult;
}

/**
 * Joins `garage` to the lab's mesh with the real `garagenet join` (its LAN is
 * the lab link) and numbers its lab host; a failed join throws with the CLI's
 * last line.
 */
export async function joinLabGarage(lab: MeshLab, garage: Garage, options: { metrics?: string } = {}): Promise<LabMember> {
  const stateDir = lab.stateDir(garage);
  const metrics = options.metrics === undefined ? [] : ['--metrics', options.metrics];
  const joined = await cli(garage.netns, ['join', await lab.invite(), '--state-dir', stateDir, '--lan', 'lan', ...metrics], { timeoutMs: 90_000 });
  if (joined.code !== 0) throw new Error(`garagenet join in ${garage.netns}: ${joined.stderr.trim().split('\n').pop()}`);
  const identity = JSON.parse(await readFile(join(stateDir, 'node.json'), 'utf8')) as LabIdentity;
  const prefix = (suffix: string): string => identity.allocations.find((a) => a.id.endsWith(suffix))!.prefix;
  const allocation = { v4: prefix('garage-v4'), v6: prefix('garage-v6') };
  return { garage, stateDir, identity, allocation, labHost: await numberLabHost(garage, allocation), joined };
}

/** Gives the lab host of `garage` an address in the garage's allocation (host 2) and routes through host 1 (the node). */
export async function numberLabHost(garage: Garage, allocation: { v4: string; v6: string }): Promise<{ v4: string; v6: string }> {
  const lab = garage.lab!;
  const host = (prefix: string, n: bigint): string => formatAddress(hostAddress(parsePrefix(prefix), n));
  const length = (prefix: string): string => prefix.split('/')[1]!;
  const addresses = { v4: host(allocation.v4, 2n), v6: host(allocation.v6, 2n) };
  await run('ip', ['address', 'add', `${addresses.v4}/${length(allocation.v4)}`, 'dev', 'lan'], { netns: lab.netns });
  await run('ip', ['-6', 'address', 'add', `${addresses.v6}/${length(allocation.v6)}`, 'dev', 'lan', 'nodad'], { netns: lab.netns });
  await run('ip', ['route', 'replace', 'default', 'via', host(allocation.v4, 1n)], { netns: lab.netns });
  await run('ip', ['-6', 'route', 'replace', 'default', 'via', host(allocation.v6, 1n)], { netns: lab.netns });
  return addresses;
}
