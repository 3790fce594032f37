import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress, hostAddress, parsePrefix } from '../../common/prefix.js';
import { run } from '../system/run.js';
import { findWireguardGo, WIREGUARD_SOCKET_DIR } from '../wireguard/userspace.js';

/**
 * A mesh of garages on one machine, made of network namespaces:
 *
 *   lab<i> --lan-- g<i> --line-- inet --line-- g<j> --lan-- lab<j>
 *                      (or: g<k> --- nat<k> --line-- inet, masqueraded)
 *
 * "inet" routes between the ordinary lines (198.18.<i>.0/24); a garage
 * behind NAT sits on 198.19.<k>.0/24 behind its NAT namespace. Every name
 * starts with the topology's id (prefix + random hex), so that several runs
 * can share the machine and a crashed run can be cleaned up by prefix.
 */
export interface TopologyOptions {
  /** Start of every namespace and interface name this topology makes (letters and digits, short). */
  prefix?: string;
  garages: number;
  /** Indexes of garages placed behind a NAT namespace. */
  natted?: number[];
  /** Give each garage a lab host namespace on its LAN. */
  labs?: boolean;
  /** The LAN of garage i (IPv4 /24 and IPv6 /64 given as text); defaults to 172.16.<i>.0/24 and fd00:0:0:<i>::/64. */
  lan?: (index: number) => { v4: string; v6: string };
}

export interface LabHost {
  netns: string;
  address: string;
  address6: string;
}

export interface Garage {
  index: number;
  netns: string;
  /** The garage's own address on its line (private if behind NAT). */
  lineAddress: string;
  /** The address the rest of the internet sees (the NAT's, if behind one). */
  publicAddress: string;
  natted: boolean;
  natNetns: string | undefined;
  lan: { v4: string; v6: string; gateway: string; gateway6: string };
  lab: LabHost | undefined;
}

export interface Topology {
  id: string;
  internet: string;
  garages: Garage[];
  /** An interface name unique on this machine (wireguard-go sockets are shared by all namespaces). */
  interfaceName(tag: string): string;
  /** Drops everything on garage i's line in the internet namespace (as a failed line would). */
  cutLine(index: number): Promise<void>;
  restoreLine(index: number): Promise<void>;
  /** Drops only what garages a and b send each other (a routing failure between two sites; both still reach the rest). */
  cutPath(a: number, b: number): Promise<void>;
  restorePath(a: number, b: number): Promise<void>;
  /** Removes everything this topology made: processes in its namespaces, namespaces, wireguard-go sockets. */
  teardown(): Promise<void>;
}

const CUT_TABLE = 'gn_lines';

function ipIn(netns: string, args: string[]): Promise<string> {
  return run('ip', args, { netns });
}

async function sysctl(netns: string, settings: Record<string, string>): Promise<void> {
  await run('sysctl', ['-q', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)], { netns });
}

async function addNamespace(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await ipIn(name, ['link', 'set', 'lo', 'up']);
  await sysctl(name, {
    'net.ipv4.ip_forward': '1',
    'net.ipv6.conf.all.forwarding': '1',
    'net.ipv4.conf.all.rp_filter': '0',
    'net.ipv4.conf.default.rp_filter': '0',
  });
}

/** A veth pair whose two ends are created directly inside their namespaces (no name clash in the root namespace). */
async function addVeth(a: { netns: string; name: string }, b: { netns: string; name: string }): Promise<void> {
  await run('ip', ['link', 'add', a.name, 'netns', a.netns, 'type', 'veth', 'peer', 'name', b.name, 'netns', b.netns]);
  await ipIn(a.netns, ['link', 'set', a.name, 'up']);
  await ipIn(b.netns, ['link', 'set', b.name, 'up']);
}

async function addAddress(netns: string, dev: string, address: string): Promise<void> {
  const args = address.includes(':') ? ['-6', 'address', 'add', address, 'dev', dev, 'nodad'] : ['address', 'add', address, 'dev', dev];
  await ipIn(netns, args);
}

function defaultLan(index: number): { v4: string; v6: string } {
  return { v4: `172.16.${index}.0/24`, v6: `fd00:0:0:${index}::/64` };
}

/** Both directions between the public addresses of garages a and b, as nftables set elements. */
function pathElements(a: number, b: number): string {
  const [pa, pb] = [`198.18.${a}.2`, `198.18.${b}.2`];
  return `{ ${pa} . ${pb}, ${pb} . ${pa} }`;
}

function hostIn(prefix: string, host: number): string {
  return formatAddress(hostAddress(parsePrefix(prefix), BigInt(host)));
}

/** Builds the namespaces, lines, NATs and labs. On failure it removes what it made, then throws. */
export async function buildTopology(options: TopologyOptions): Promise<Topology> {
  const prefix = options.prefix ?? 'gnt';
  if (!/^[a-z][a-z0-9]{0,5}$/.test(prefix)) throw new Error(`topology prefix must be 1-6 lowercase letters or digits: ${prefix}`);
  const id = `${prefix}${randomBytes(2).toString('hex')}`;
  const internet = `${id}-inet`;
  const natted = new Set(options.natted ?? []);
  const garages: Garage[] = [];
  const topology: Topology = {
    id,
    internet,
    garages,
    interfaceName(tag: string): string {
      const name = `${id}${tag}`;
      if (name.length > 15) throw new Error(`interface name ${name} is longer than 15 characters`);
      return name;
    },
    async cutLine(index: number): Promise<void> {
      await run('nft', ['add', 'element', 'inet', CUT_TABLE, 'cut', `{ line${index} }`], { netns: internet });
    },
    async restoreLine(index: number): Promise<void> {
      await run('nft', ['delete', 'element', 'inet', CUT_TABLE, 'cut', `{ line${index} }`], { netns: internet });
    },
    async cutPath(a: number, b: number): Promise<void> {
      await run('nft', ['add', 'element', 'inet', CUT_TABLE, 'cutpaths', pathElements(a, b)], { netns: internet });
    },
    async restorePath(a: number, b: number): Promise<void> {
      await run('nft', ['delete', 'element', 'inet', CUT_TABLE, 'cutpaths', pathElements(a, b)], { netns: internet });
    },
    teardown: () => cleanupByPrefix(id),
  };
  try {
    await addNamespace(internet);
    await run('nft', ['-f', '-'], {
      netns: internet,
      input: `table inet ${CUT_TABLE} {
        set cut { type ifname; }
        set cutpaths { type ipv4_addr . ipv4_addr; }
        chain forward { type filter hook forward priority -10; policy accept;
          iifname @cut drop; oifname @cut drop; ip saddr . ip daddr @cutpaths drop; }
      }\n`,
    });
    for (let i = 0; i < options.garages; i++) {
      const netns = `${id}-g${i}`;
      const isNatted = natted.has(i);
      const lan = (options.lan ?? defaultLan)(i);
      await addNamespace(netns);
      const line = `198.18.${i}`;
      let natNetns: string | undefined;
      let lineAddress = `${line}.2`;
      if (isNatted) {
        natNetns = `${id}-nat${i}`;
        await addNamespace(natNetns);
        await addVeth({ netns: internet, name: `line${i}` }, { netns: natNetns, name: 'line' });
        await addAddress(internet, `line${i}`, `${line}.1/24`);
        await addAddress(natNetns, 'line', `${line}.2/24`);
        await ipIn(natNetns, ['route', 'add', 'default', 'via', `${line}.1`]);
        const inside = `198.19.${i}`;
        await addVeth({ netns: natNetns, name: 'inside' }, { netns, name: 'line' });
        await addAddress(natNetns, 'inside', `${inside}.1/24`);
        await addAddress(netns, 'line', `${inside}.2/24`);
        await ipIn(netns, ['route', 'add', 'default', 'via', `${inside}.1`]);
        await run('nft', ['-f', '-'], {
          netns: natNetns,
          input: `table ip gn_nat {
            chain postrouting { type nat hook postrouting priority 100; oifname "line" masquerade; }
            chain forward { type filter hook forward priority 0; policy drop;
              ct state established,related accept; iifname "inside" oifname "line" accept; }
          }\n`,
        });
        lineAddress = `${inside}.2`;
      } else {
        await addVeth({ netns: internet, name: `line${i}` }, { netns, name: 'line' });
        await addAddress(internet, `line${i}`, `${line}.1/24`);
        await addAddress(netns, 'line', `${line}.2/24`);
        await ipIn(netns, ['route', 'add', 'default', 'via', `${line}.1`]);
      }
      const gateway = hostIn(lan.v4, 1);
      const gateway6 = hostIn(lan.v6, 1);
      let lab: LabHost | undefined;
      if (options.labs) {
        const labNetns = `${id}-lab${i}`;
        await addNamespace(labNetns);
        await addVeth({ netns, name: 'lan' }, { netns: labNetns, name: 'lan' });
        const lengths = { v4: lan.v4.split('/')[1], v6: lan.v6.split('/')[1] };
        await addAddress(netns, 'lan', `${gateway}/${lengths.v4}`);
        await addAddress(netns, 'lan', `${gateway6}/${lengths.v6}`);
        lab = { netns: labNetns, address: hostIn(lan.v4, 2), address6: hostIn(lan.v6, 2) };
        await addAddress(labNetns, 'lan', `${lab.address}/${lengths.v4}`);
        await addAddress(labNetns, 'lan', `${lab.address6}/${lengths.v6}`);
        await ipIn(labNetns, ['route', 'add', 'default', 'via', gateway]);
        await ipIn(labNetns, ['-6', 'route', 'add', 'default', 'via', gateway6]);
      }
      garages.push({
        index: i,
        netns,
        lineAddress,
        publicAddress: `${line}.2`,
        natted: isNatted,
        natNetns,
        lan: { ...lan, gateway, gateway6 },
        lab,
      });
    }
  } catch (err) {
    await cleanupByPrefix(id);
    throw err;
  }
  return topology;
}

/**
 * Removes every namespace whose name starts with `prefix` (after stopping the
 * processes running inside it: wireguard-go, agents, probes), then any
 * wireguard-go process, socket or temporary directory (keys, state) left
 * with that prefix. Also cleans the
 * leftovers of a crashed earlier run.
 */
export async function cleanupByPrefix(prefix: string): Promise<void> {
  if (prefix.length < 3) throw new Error(`refusing to clean up by a prefix this short: ${JSON.stringify(prefix)}`);
  const namespaces = await namespacesWithPrefix(prefix);
  for (const netns of namespaces) {
    const pids = (await run('ip', ['netns', 'pids', netns]).catch(() => ''))
      .split('\n')
      .filter((p) => /^\d+$/.test(p))
      .map(Number);
    for (const pid of pids) killQuietly(pid, 'SIGKILL');
  }
  for (const { pid } of await findWireguardGo((name) => name.startsWith(prefix))) killQuietly(pid, 'SIGKILL');
  for (const netns of namespaces) await run('ip', ['netns', 'delete', netns]).catch(() => undefined);
  const sockets = await readdir(WIREGUARD_SOCKET_DIR).catch(() => [] as string[]);
  for (const socket of sockets.filter((s) => s.startsWith(prefix) && s.endsWith('.sock'))) {
    await rm(`${WIREGUARD_SOCKET_DIR}/${socket}`, { force: true });
  }
  const temps = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const temp of temps.filter((t) => t.startsWith(prefix))) await rm(join(tmpdir(), temp), { recursive: true, force: true });
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Names of the namespaces that currently exist with this prefix (for tests of teardown). */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  return (await run('ip', ['netns', 'list']))
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}
