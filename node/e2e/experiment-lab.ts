import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress, formatPrefix, hostAddress, parsePrefix, subnet } from '../../common/prefix.js';
import type { AttachmentPlan } from '../experiments/attachment-plan.js';
import { cli, joinLabGarage, type MeshLab } from '../demo/mesh-lab.js';
import { run } from '../system/run.js';
import type { Garage } from '../test-support/topology.js';

/**
 * A researcher on the mesh lab, as the experiment end-to-end test and the
 * experiment flood benchmark need it: garages joined with the real CLI, and a
 * real BIRD 2 attached at one garage with `garagenet experiment attach`, with
 * a test host behind it. BIRD's config is the researcher's own (it exports
 * whatever its static protocols hold), so a test can make it misbehave by
 * enabling protocols with `birdc`.
 *
 * The experimental plane has no lab hosts of its own: DESIGN.md gives it the
 * experiment allocations and each node's experimental loopback, so a node's
 * experimental loopback is the "host in the experimental plane" of its garage,
 * and the researcher's test host sits in a sub-prefix of the allocation.
 */

export interface JoinedGarage {
  garage: Garage;
  name: string;
  asn: number;
  stateDir: string;
  productionLoopback: string;
  experimentalLoopback: string;
  /** The garage's production allocation (IPv4). */
  allocation: string;
  /** The production lab host's IPv4 address. */
  labHost: string;
}

export async function joinGarage(lab: MeshLab, garage: Garage): Promise<JoinedGarage> {
  const { identity, stateDir, allocation, labHost } = await joinLabGarage(lab, garage, { metrics: '127.0.0.1:9464' });
  return {
    garage, name: identity.node.name, asn: identity.node.asn, stateDir,
    productionLoopback: identity.node.productionLoopbackV4, experimentalLoopback: identity.node.experimentalLoopbackV4,
    allocation: allocation.v4, labHost: labHost.v4,
  };
}

export interface ExperimentRecord {
  name: string;
  asn: number;
  prefixes: string[];
  expiresAt: string;
  maxMbits: number;
}

export async function createExperiment(lab: MeshLab, options: {
  name: string; node: string; maxPrefixes: number; maxUpdates: number; duration: string; maxMbits?: number;
}): Promise<ExperimentRecord> {
  return JSON.parse(await lab.admin([
    'experiment', 'create', '--name', options.name, '--owner', 'garages', '--node', options.node,
    '--max-prefixes', String(options.maxPrefixes), '--max-updates-per-minute', String(options.maxUpdates), '--expires', options.duration,
    ...(options.maxMbits ? ['--max-mbits', String(options.maxMbits)] : []), '--json',
  ])) as ExperimentRecord;
}

export interface BirdResearcher {
  /** The namespace of the researcher's BIRD. */
  netns: string;
  /** The test host's namespace, behind BIRD. */
  hostNetns: string;
  /** The test host's address, in `hostPrefix`. */
  host: string;
  /** The researcher's router's address on the test host's link (the host's gateway). */
  hostGateway: string;
  /** The sub-prefix of the allocation behind BIRD, announced as a more-specific. */
  hostPrefix: string;
  plan: AttachmentPlan;
  birdc(args: string[]): Promise<string>;
}

/** Extra static protocols, each disabled until a test enables it with `birdc enable NAME`. */
export type StaticProtocols = Record<string, string[]>;

/**
 * Attaches a BIRD 2 for `experiment` at `garage`: the researcher's namespace
 * (`<topology>-<suffix>`), the test host (`<topology>-<suffix>h`) on a veth
 * behind it in the allocation's upper half, and BIRD announcing the
 * allocation and that half.
 */
export async function attachBird(lab: MeshLab, options: {
  experiment: ExperimentRecord; garage: JoinedGarage; suffix: string; protocols?: StaticProtocols;
}): Promise<BirdResearcher> {
  const id = lab.topology.id;
  const netns = `${id}-${options.suffix}`;
  const hostNetns = `${netns}h`;
  for (const ns of [netns, hostNetns]) {
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'set', 'lo', 'up'], { netns: ns });
  }
  await run('sysctl', ['-q', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'], { netns });
  const v4 = options.experiment.prefixes.find((p) => !p.includes(':'))!;
  const allocation = parsePrefix(v4);
  const half = subnet(allocation, allocation.length + 1, 1n);
  const hostPrefix = formatPrefix(half);
  const [gateway, host] = [formatAddress(hostAddress(half, 1n)), formatAddress(hostAddress(half, 2n))];
  await run('ip', ['link', 'add', 'rh0', 'netns', netns, 'type', 'veth', 'peer', 'name', 'th0', 'netns', hostNetns]);
  await run('ip', ['address', 'add', `${gateway}/${half.length}`, 'dev', 'rh0'], { netns });
  await run('ip', ['link', 'set', 'rh0', 'up'], { netns });
  await run('ip', ['address', 'add', `${host}/${half.length}`, 'dev', 'th0'], { netns: hostNetns });
  await run('ip', ['link', 'set', 'th0', 'up'], { netns: hostNetns });
  await run('ip', ['route', 'add', 'default', 'via', gateway], { netns: hostNetns });

  const attached = await cli(options.garage.garage.netns, [
    'experiment', 'attach', options.experiment.name, '--router-address', formatAddress(hostAddress(allocation, 2n)),
    '--netns', netns, '--state-dir', options.garage.stateDir, '--json',
  ]);
  if (attached.code !== 0) throw new Error(`experiment attach: ${attached.stderr.trim()}`);
  const plan = JSON.parse(attached.stdout) as AttachmentPlan;
  await run('ip', ['route', 'add', 'default', 'via', plan.ourAddress], { netns });

  const dir = await mkdtemp(join(tmpdir(), `${id}-${options.suffix}-bird-`));
  const socket = join(dir, 'bird.ctl');
  const extra = Object.entries(options.protocols ?? {}).map(([name, routes]) =>
    `protocol static ${name} { ipv4; disabled; ${routes.map((r) => `route ${r} unreachable;`).join(' ')} }`);
  const config = [
    `router id ${plan.theirAddress};`,
    'protocol device {}',
    `protocol static own { ipv4; route ${plan.allocation} unreachable; route ${hostPrefix} via "rh0"; }`,
    ...extra,
    'protocol bgp garagenet {',
    `  local ${plan.theirAddress} as ${plan.theirAsn};`,
    `  neighbor ${plan.ourAddress} as ${plan.ourAsn};`,
    // Quick to come back after the node ceases the session (max-prefix): BIRD would otherwise wait a minute.
    '  error wait time 1, 5; connect retry time 2; connect delay time 1;',
    '  ipv4 { import none; export all; };',
    '}',
  ].join('\n');
  await writeFile(join(dir, 'bird.conf'), `${config}\n`);
  await run('bird', ['-c', join(dir, 'bird.conf'), '-s', socket, '-P', join(dir, 'bird.pid')], { netns });
  return {
    netns, hostNetns, host, hostGateway: gateway, hostPrefix, plan,
    birdc: (args) => run('birdc', ['-s', socket, ...args]),
  };
}
