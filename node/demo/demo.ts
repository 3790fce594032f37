import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { UserError } from '../../common/errors.js';
import type { NodeStatus } from '../agent/status.js';
import { run } from '../system/run.js';
import type { Garage } from '../test-support/topology.js';
import { DEMO_PREFIX, isAlive, readDemoState, removeDemoLeftovers, writeDemoState } from './leftovers.js';
import { attachResearcher } from './researcher.js';
import { buildMeshLab, cli, CLI, joinLabGarage, REGISTRY_ADDRESS, REGISTRY_PORT, type MeshLab } from './mesh-lab.js';

/**
 * `garagenet demo`: the whole mesh on one machine, assembled from the same
 * commands an operator types (registry init/serve/invite/viewer add, join,
 * experiment create, looking-glass serve), each run inside its garage's namespace.
 * The looking glass runs in the root namespace (so a browser reaches it on
 * localhost) and reaches the registry over one veth into the "internet".
 */

export interface DemoOptions {
  garages: number;
  nat: boolean;
  experiment: boolean;
  port: number;
  progress(line: string): void;
}

export interface DemoGarage {
  netns: string;
  labNetns: string;
  node: string;
  asn: number;
  publicAddress: string;
  natted: boolean;
  stateDir: string;
  lab: { v4: string; v6: string };
}

export interface RunningDemo {
  garages: DemoGarage[];
  tunnels: number;
  sessions: { established: number; total: number };
  url: string;
  metrics: string[];
  experiment: { name: string; asn: number; prefixes: string[]; node: string; researcherNetns?: string; routerAddress?: string } | undefined;
  tryCommands: string[];
  stop(): Promise<void>;
}

export const EXPERIMENT_NAME = 'demo-experiment';
const REGISTRY_METRICS_PORT = 9400;
/** Where `garagenet join` has each agent serve its metrics, inside its garage (the route daemon's are on the next port). */
const AGENT_METRICS = '127.0.0.1:9464';
/** The veth between the root namespace and the "internet", for the looking glass and the admin commands. */
const UPLINK = { root: '198.18.254.1', internet: '198.18.254.2', length: 30 };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How to call this CLI in the printed commands: `garagenet` if it is on the PATH, else through node. */
function cliInvocation(): string {
  const found = spawnSync('sh', ['-c', 'command -v garagenet'], { encoding: 'utf8' });
  return found.status === 0 ? 'garagenet' : `${process.execPath} ${CLI}`;
}

async function addUplink(lab: MeshLab): Promise<void> {
  const rootEnd = `${lab.topology.id}-up`;
  await run('ip', ['link', 'add', rootEnd, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', lab.topology.internet]);
  await run('ip', ['address', 'add', `${UPLINK.root}/${UPLINK.length}`, 'dev', rootEnd]);
  await run('ip', ['link', 'set', rootEnd, 'up']);
  await run('ip', ['address', 'add', `${UPLINK.internet}/${UPLINK.length}`, 'dev', 'uplink'], { netns: lab.topology.internet });
  await run('ip', ['link', 'set', 'uplink', 'up'], { netns: lab.topology.internet });
  // Only the registry's own address goes through the uplink: the demo never routes the host's traffic.
  await run('ip', ['route', 'add', `${REGISTRY_ADDRESS}/32`, 'via', UPLINK.internet, 'dev', rootEnd]);
}

async function joinGarage(lab: MeshLab, garage: Garage): Promise<DemoGarage> {
  const member = await joinLabGarage(lab, garage, { metrics: AGENT_METRICS });
  return {
    netns: garage.netns,
    labNetns: garage.lab!.netns,
    node: member.identity.node.name,
    asn: member.identity.node.asn,
    publicAddress: garage.publicAddress,
    natted: garage.natted,
    stateDir: member.stateDir,
    lab: member.labHost,
  };
}

async function nodeStatus(garage: DemoGarage): Promise<NodeStatus> {
  const result = await cli(garage.netns, ['status', '--json', '--state-dir', garage.stateDir]);
  if (result.code !== 0) throw new Error(`status of ${garage.node}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as NodeStatus;
}

/** Counts BGP sessions (both ends, both planes) until all are Established or `timeoutMs` passes. */
async function waitForSessions(garages: DemoGarage[], timeoutMs: number): Promise<{ established: number; total: number; tunnels: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let established = 0;
    let total = 0;
    let tunnels = 0;
    for (const garage of garages) {
      const status = await nodeStatus(garage);
      for (const peer of status.peers) {
        if (peer.handshakeAgeSeconds !== null) tunnels++;
        for (const state of [peer.bgp.production, peer.bgp.experimental]) {
          total++;
          if (state === 'Established') established++;
        }
      }
    }
    const expected = garages.length * (garages.length - 1) * 2;
    // Every tunnel and session is counted from both of its ends.
    const result = { established: established / 2, total: expected / 2, tunnels: tunnels / 2 };
    if ((total === expected && established === expected) || Date.now() > deadline) return result;
    await sleep(500);
  }
}

async function createExperiment(lab: MeshLab, host: DemoGarage): Promise<NonNullable<RunningDemo['experiment']>> {
  const created = await lab.admin([
    'experiment', 'create', '--name', EXPERIMENT_NAME,
    '--owner', 'garages', '--node', host.node, '--description', 'the demo researcher router', '--expires', '1d', '--json',
  ]);
  const experiment = JSON.parse(created) as { asn: number; prefixes: string[] };
  return { name: EXPERIMENT_NAME, asn: experiment.asn, prefixes: experiment.prefixes, node: host.node };
}

/** A read-only viewer credential for the looking glass, written to a file of mode 0600 in the registry's directory. */
async function createViewerCredential(lab: MeshLab): Promise<string> {
  const file = join(lab.registryDir, 'looking-glass.credential');
  await lab.admin(['viewer', 'add', 'looking-glass', '--out', file]);
  return file;
}

/** `garagenet looking-glass serve` in the root namespace, fed by the registry (as a viewer) and every node's route daemon and agent API sockets. */
async function startLookingGlass(lab: MeshLab, garages: DemoGarage[], port: number): Promise<{ child: ChildProcess; url: string }> {
  const args = [
    CLI, 'looking-glass', 'serve', '--listen', `127.0.0.1:${port}`, '--refresh', '2',
    '--registry', `${REGISTRY_ADDRESS}:${REGISTRY_PORT}`, '--registry-cert', join(lab.registryDir, 'state', 'tls.crt'),
    '--registry-credential', await createViewerCredential(lab),
    ...garages.flatMap((g) => ['--routed', `${g.node}=unix:${join(g.stateDir, 'routed.sock')}`, '--agent', `${g.node}=unix:${join(g.stateDir, 'agent-api.sock')}`]),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the looking glass did not start: ${output}`)), 30_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      const m = /looking glass on (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the looking glass exited with ${code}: ${output.trim()}`));
    });
  });
  return { child, url };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Fails at once, before anything is built, if the looking glass could not listen on `port`. */
function checkPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new UserError(`port ${port} on 127.0.0.1 is taken (${err.code ?? err.message}): the looking glass needs it`, { hint: 'choose another with --port' })));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** Builds the demo; on any failure removes what it made, then throws. */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  if (process.getuid?.() !== 0) throw new UserError('garagenet demo needs root (it creates network namespaces)', { hint: 'run it with sudo' });
  await checkPortFree(options.port);
  const previous = readDemoState();
  if (previous && previous.pid !== process.pid && isAlive(previous.pid)) {
    throw new UserError(`a demo is already running (pid ${previous.pid})`, { hint: 'stop it with `garagenet demo --down`' });
  }
  const { progress } = options;
  if (previous) {
    progress('removing what an earlier demo left behind');
    await removeDemoLeftovers();
  }
  const started = Date.now();
  const lastIndex = options.garages - 1;
  progress(`building the internet, ${options.garages} garages${options.nat ? ` (garage ${lastIndex} behind NAT)` : ''} and their lab hosts; starting the registry`);
  const lab = await buildMeshLab({
    garages: options.garages, natted: options.nat ? [lastIndex] : [], prefix: DEMO_PREFIX, meshName: 'demo', registryMetricsPort: REGISTRY_METRICS_PORT,
  });
  const state = { id: lab.topology.id, pid: process.pid } as { id: string; pid: number; lookingGlassPid?: number };
  let lookingGlass: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (lookingGlass) await stopChild(lookingGlass);
    // Nothing of the demo outlives it (etcd's data included), so its processes are killed
    // rather than stopped gracefully: the registry alone would wait out its clients' streams.
    await removeDemoLeftovers();
  };
  try {
    await writeDemoState(state);
    await addUplink(lab);
    const garages: DemoGarage[] = [];
    for (const garage of lab.topology.garages) {
      progress(`garage ${garage.index}: garagenet join${garage.natted ? ' (behind NAT)' : ''}`);
      const joined = await joinGarage(lab, garage);
      garages.push(joined);
      progress(`garage ${garage.index}: node ${joined.node}, AS${joined.asn}, lab host ${joined.lab.v4} ${joined.lab.v6}`);
    }
    let experiment: RunningDemo['experiment'];
    if (options.experiment) {
      experiment = await createExperiment(lab, garages[0]!);
      progress(`experiment ${experiment.name}: AS${experiment.asn}, ${experiment.prefixes.join(' ')} on node ${experiment.node}`);
    }
    progress('waiting for every tunnel and BGP session');
    const sessions = await waitForSessions(garages, 60_000);
    if (experiment) {
      const researcher = await attachResearcher({ topologyId: lab.topology.id, experiment, garage: garages[0]! });
      experiment = { ...experiment, researcherNetns: researcher.netns, routerAddress: researcher.plan.theirAddress };
      progress(`experiment ${experiment.name}: BIRD 2 in ${researcher.netns} at ${researcher.plan.theirAddress} attached to ${experiment.node} (garagenet experiment attach)`);
    }
    progress('starting the looking glass');
    const lg = await startLookingGlass(lab, garages, options.port);
    lookingGlass = lg.child;
    state.lookingGlassPid = lg.child.pid!;
    await writeDemoState(state);
    progress(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const garagenet = cliInvocation();
    const [first, , ...rest] = garages;
    const far = rest.at(-1) ?? garages[1]!;
    const tryCommands = [
      `ip netns exec ${first!.labNetns} ping -c 3 ${far.lab.v4}`,
      `${garagenet} bgp --socket unix:${join(first!.stateDir, 'routed.sock')} routes ${far.lab.v4}`,
      experiment
        ? `ip netns exec ${first!.netns} ${garagenet} experiment stop ${experiment.name} --state-dir ${first!.stateDir}`
        : `ip netns exec ${first!.netns} ${garagenet} status --state-dir ${first!.stateDir}`,
    ];
    return {
      garages,
      tunnels: sessions.tunnels,
      sessions: { established: sessions.established, total: sessions.total },
      url: lg.url,
      metrics: [
        `${lg.url}/metrics (looking glass)`,
        `http://${REGISTRY_ADDRESS}:${REGISTRY_METRICS_PORT}/metrics (registry)`,
        `ip netns exec ${first!.netns} curl -s http://${AGENT_METRICS}/metrics (agent of garage 0; route daemon on the next port; same in every garage)`,
      ],
      experiment,
      tryCommands,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** The summary printed once the demo is up. */
export function describeDemo(demo: RunningDemo): string {
  const lines = [`garagenet demo: ${demo.garages.length} garages, ${demo.tunnels} tunnels, ${demo.sessions.established}/${demo.sessions.total} BGP sessions established`];
  for (const g of demo.garages) {
    lines.push(`  ${g.node.padEnd(16)} AS${g.asn}  ${g.publicAddress.padEnd(12)}${g.natted ? ' (NAT)' : '      '}  lab ${g.lab.v4} ${g.lab.v6}  [${g.netns}]`);
  }
  if (demo.experiment) {
    const e = demo.experiment;
    lines.push(`  experiment ${e.name}: AS${e.asn} ${e.prefixes.join(' ')} at ${e.node}${e.researcherNetns ? `, BIRD 2 at ${e.routerAddress} [${e.researcherNetns}]` : ''}`);
  }
  lines.push(`looking glass: ${demo.url}`, 'metrics:', ...demo.metrics.map((m) => `  ${m}`), 'try:');
  for (const command of demo.tryCommands) lines.push(`  ${command}`);
  lines.push('Ctrl-C (or `garagenet demo --down`) removes everything.');
  return `${lines.join('\n')}\n`;
}
