import { writeFile } from 'node:fs/promises';
import { formatAddress, hostAddress, parsePrefix } from '../../common/prefix.js';
import type { Attachment, IsolationConfig } from '../../native/isolation/config.js';
import { applyIsolation } from '../../native/isolation/plane-isolation.js';
import { removeRuleset } from '../../native/isolation/nftables.js';
import { ISOLATION_PROTOCOL } from '../../native/owners.js';
import type { Rtnetlink } from '../../native/rtnetlink.js';
import { CommandError, run } from '../system/run.js';
import { PLANE_TABLES } from './routing.js';
import { AGENT_ROUTE_PROTOCOL, SESSION_TABLE } from './tunnels.js';
import type { Identity } from '../state/layout.js';

/**
 * What a node has before any tunnel: forwarding on, its loopbacks on a dummy
 * interface, the first address of its garage space on the LAN interface (if
 * named), and plane isolation (a table per plane, policy rules, nftables).
 */

/** The loopbacks live on `lo`: it takes any address, and kernels without the dummy module have it too. */
const LOOPBACK_INTERFACE = 'lo';

/**
 * BGP (TCP 179, either end) and BFD (UDP 3784) look up the session table
 * first, ahead of plane isolation (priority 1010 and on): sessions between
 * loopbacks stay on the peer's own tunnel whatever the data routes say.
 */
const SESSION_RULES: readonly { priority: number; match: string[] }[] = [
  { priority: 1000, match: ['ipproto', 'tcp', 'dport', '179'] },
  { priority: 1001, match: ['ipproto', 'tcp', 'sport', '179'] },
  { priority: 1002, match: ['ipproto', 'udp', 'dport', '3784'] },
];

function sessionRule(verb: 'add' | 'del', rule: { priority: number; match: string[] }): string[] {
  return ['-4', 'rule', verb, 'priority', String(rule.priority), ...rule.match, 'lookup', String(SESSION_TABLE), 'proto', String(AGENT_ROUTE_PROTOCOL)];
}

function loopbackAddresses(identity: Identity): string[] {
  const n = identity.node;
  return [`${n.productionLoopbackV4}/32`, `${n.productionLoopbackV6}/128`, `${n.experimentalLoopbackV4}/32`, `${n.experimentalLoopbackV6}/128`];
}

/** The garage gateway addresses: host 1 of each garage allocation, with the allocation's length. */
export function lanAddresses(identity: Identity): string[] {
  return identity.allocations
    .filter((a) => a.purpose === 'garage')
    .map((a) => {
      const prefix = parsePrefix(a.prefix);
      return `${formatAddress(hostAddress(prefix, 1n))}/${prefix.length}`;
    });
}

async function ip(args: string[]): Promise<string> {
  return run('ip', args);
}

/** `ip ... add` that is fine with "already there" (a restart finds its own work). */
async function ipAdd(args: string[]): Promise<void> {
  try {
    await ip(args);
  } catch (err) {
    if (!(err instanceof CommandError) || !/File exists|already exists|already assigned/.test(err.stderr)) throw err;
  }
}

export async function setUpBasePlane(identity: Identity, rt: Rtnetlink): Promise<void> {
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
  await writeFile('/proc/sys/net/ipv6/conf/all/forwarding', '1');
  for (const address of loopbackAddresses(identity)) {
    await ipAdd(address.includes(':') ? ['-6', 'address', 'add', address, 'dev', LOOPBACK_INTERFACE, 'nodad'] : ['address', 'add', address, 'dev', LOOPBACK_INTERFACE]);
  }
  await ip(['link', 'set', LOOPBACK_INTERFACE, 'up']);
  if (identity.lanInterface) {
    for (const address of lanAddresses(identity)) {
      await ipAdd(address.includes(':') ? ['-6', 'address', 'add', address, 'dev', identity.lanInterface, 'nodad'] : ['address', 'add', address, 'dev', identity.lanInterface]);
    }
  }
  await applyIsolation(rt, isolationConfig(identity, [], []));
  for (const rule of SESSION_RULES) await ipAdd(sessionRule('add', rule));
}

/** The node's plane isolation, with the experiment routers attached to it and the experiments cut. */
export function isolationConfig(identity: Identity, attachments: readonly Attachment[], killed: readonly string[]): IsolationConfig {
  const mesh = identity.mesh;
  return {
    productionTable: PLANE_TABLES.production,
    experimentalTable: PLANE_TABLES.experimental,
    productionPools: [mesh.productionV4, mesh.productionV6],
    experimentalPools: [mesh.experimentalV4, mesh.experimentalV6],
    attachments,
    killed,
  };
}

/** Removes everything setUpBasePlane made (tunnels go first, elsewhere). */
export async function tearDownBasePlane(identity: Identity, rt: Rtnetlink): Promise<void> {
  for (const address of loopbackAddresses(identity)) await ip(['address', 'del', address, 'dev', LOOPBACK_INTERFACE]).catch(() => undefined);
  if (identity.lanInterface) {
    for (const address of lanAddresses(identity)) await ip(['address', 'del', address, 'dev', identity.lanInterface]).catch(() => undefined);
  }
  for (const rule of await rt.listRules()) {
    if (rule.protocol === ISOLATION_PROTOCOL) await rt.deleteRule({ ...rule, action: rule.action === 'unreachable' ? 'unreachable' : 'lookup' });
  }
  for (const rule of SESSION_RULES) await ip(sessionRule('del', rule)).catch(() => undefined);
  for (const table of [...Object.values(PLANE_TABLES), SESSION_TABLE]) {
    for (const family of ['-4', '-6']) await ip([family, 'route', 'flush', 'table', String(table)]).catch(() => undefined);
  }
  await removeRuleset().catch(() => undefined);
}
