import { UserError } from '../../common/errors.js';
import { formatAddress, hostAddress, parseAddress, parsePrefix, prefixContains } from '../../common/prefix.js';
import type { RateLimit } from '../../native/isolation/config.js';
import { MAX_MBITS } from '../../registry/experiment-limits.js';
import type { Experiment } from '../../registry/model.js';

/**
 * Where a researcher's router meets the node: the link sits in the
 * experiment's own IPv4 allocation (so anti-spoofing lets the session
 * through and nothing of it touches production space), our side on the
 * allocation's first free host, theirs on the address they asked for.
 */

export interface AttachRequest {
  readonly experiment: string;
  readonly routerAddress: string;
  /** The researcher's namespace: a veth pair is made into it. */
  readonly netns?: string;
  /** A local interface the researcher's router is already on. */
  readonly iface?: string;
}

export interface AttachmentPlan {
  readonly experiment: string;
  /** Our interface toward the researcher's router. */
  readonly interface: string;
  /** The veth end moved into the researcher's namespace, when there is one. */
  readonly peerInterface?: string;
  readonly netns?: string;
  readonly allocation: string;
  readonly ourAddress: string;
  readonly theirAddress: string;
  readonly prefixLength: number;
  readonly ourAsn: number;
  readonly theirAsn: number;
  readonly maxPrefixes: number;
  readonly maxUpdatesPerMinute: number;
  /** Mbit/s the researcher's router may send into the mesh. */
  readonly maxMbits: number;
  /** The route daemon's peer name for the attachment. */
  readonly peerName: string;
}

export function peerNameOf(experiment: string): string {
  return `exp-${experiment}`;
}

export function planAttachment(experiment: Experiment, request: AttachRequest, node: { name: string; asn: number }): AttachmentPlan {
  const where = `experiment ${experiment.name}`;
  if (experiment.state !== 'active') throw new UserError(`${where} is ${experiment.state}`, { hint: 'create a new experiment in the registry' });
  if (experiment.node && experiment.node !== node.name) {
    throw new UserError(`${where} belongs to node ${experiment.node}, not to this node (${node.name})`, { hint: `attach it on ${experiment.node}` });
  }
  if ((request.netns === undefined) === (request.iface === undefined)) {
    throw new UserError('give exactly one of --netns and --iface', { hint: '--netns NS makes a veth into the namespace; --iface IF uses an existing interface' });
  }
  const v4 = experiment.prefixes.find((p) => !p.includes(':'));
  if (!v4) throw new UserError(`${where} has no IPv4 allocation`, { hint: 'recreate it in the registry' });
  const allocation = parsePrefix(v4);
  let router;
  try {
    router = parseAddress(request.routerAddress);
  } catch {
    throw new UserError(`--router-address ${request.routerAddress} is not an IP address`, { hint: `an address inside ${v4}` });
  }
  if (router.family !== 4 || !prefixContains(allocation, { family: 4, value: router.value, length: 32 })) {
    throw new UserError(`--router-address ${request.routerAddress} is outside ${where}'s allocation ${v4}`, { hint: `pick an address inside ${v4}, such as ${formatAddress(hostAddress(allocation, 2n))}` });
  }
  const first = hostAddress(allocation, 1n);
  const ours = first.value === router.value ? hostAddress(allocation, 2n) : first;
  const slot = String(experiment.slot);
  return {
    experiment: experiment.name,
    interface: request.iface ?? `gx${slot}a`,
    ...(request.netns !== undefined ? { netns: request.netns, peerInterface: `gx${slot}b` } : {}),
    allocation: v4,
    ourAddress: formatAddress(ours),
    theirAddress: formatAddress(router),
    prefixLength: allocation.length,
    ourAsn: node.asn,
    theirAsn: experiment.asn,
    maxPrefixes: experiment.maxPrefixes,
    maxUpdatesPerMinute: experiment.maxUpdatesPerMinute,
    // A registry older than the rate limit sends none (0): its default applies.
    maxMbits: experiment.maxMbits || MAX_MBITS.default,
    peerName: peerNameOf(experiment.name),
  };
}

/**
 * The attachment's policer: its experiment's rate. nftables' byte limit lets
 * at most one second of the rate plus the burst through at once; the burst
 * adds a tenth of a second, so a TCP flow can reach the rate while a flood
 * loses everything above it.
 */
export function attachmentRateLimit(maxMbits: number): RateLimit {
  const bytesPerSecond = maxMbits * 125_000;
  return { bytesPerSecond, burstBytes: Math.round(bytesPerSecond / 10) };
}

/** What the researcher configures, in words and as a BIRD 2 snippet. */
export function describeAttachment(plan: AttachmentPlan): string {
  return [
    `experiment ${plan.experiment} attached on ${plan.interface}${plan.netns ? ` (veth ${plan.peerInterface} in namespace ${plan.netns})` : ''}`,
    `  your router: ${plan.theirAddress}/${plan.prefixLength}, AS${plan.theirAsn}`,
    `  our router:  ${plan.ourAddress}, AS${plan.ourAsn}, port 179`,
    `  announce only ${plan.allocation} or inside it (up to ${plan.maxPrefixes} prefixes, ${plan.maxUpdatesPerMinute} updates a minute), originated by AS${plan.theirAsn}`,
    `  send at most ${plan.maxMbits} Mbit/s: more is dropped as it enters this node`,
    'BIRD 2:',
    birdSnippet(plan),
  ].join('\n');
}

export function birdSnippet(plan: AttachmentPlan): string {
  return `protocol static experiment_space { ipv4; route ${plan.allocation} unreachable; }
protocol bgp garagenet {
  local ${plan.theirAddress} as ${plan.theirAsn};
  neighbor ${plan.ourAddress} as ${plan.ourAsn};
  ipv4 { import all; export where net ~ [ ${plan.allocation}+ ]; };
}
`;
}
