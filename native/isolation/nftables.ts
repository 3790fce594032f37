import { spawn } from 'node:child_process';
import { UserError } from '../../common/errors.js';
import { netnsPath } from '../rtnetlink.js';
import { DEFAULT_EXPERIMENTAL_MARK, familyOf, type IsolationConfig } from './config.js';

/**
 * The nftables half of plane isolation: one table, `inet garagenet`, owned by
 * garagenet and replaced as a whole in one `nft -f` transaction.
 *   prerouting (raw priority, before conntrack): anti-spoofing on attachments,
 *     each attachment's own rate limit (before routing: its excess never
 *     reaches a shared tunnel), then the experimental mark;
 *   forward: cross-plane drops, killed attachments.
 * Traffic only passing through (another node's experiments) is policed where
 * it entered the mesh, not again here.
 * Named counters make every drop visible to metrics.
 */

export const NFT_TABLE = 'garagenet';

export const COUNTERS = ['spoofed', 'cross_plane', 'killed', 'experimental_forwarded', 'experimental_over_limit'] as const;
export type CounterName = (typeof COUNTERS)[number];

function elements(list: readonly string[]): string {
  return list.length === 0 ? '' : ` elements = { ${list.join(', ')} };`;
}

function quoted(name: string): string {
  return `"${name}"`;
}

/** The whole ruleset text (pure), ready for `nft -f`. */
export function renderRuleset(config: IsolationConfig): string {
  const mark = `0x${(config.experimentalMark ?? DEFAULT_EXPERIMENTAL_MARK).toString(16)}`;
  const pools = (list: readonly string[], family: 4 | 6): string[] => list.filter((p) => familyOf(p) === family);
  const killed = new Set(config.killed ?? []);
  const live = config.attachments.filter((a) => !killed.has(a.experiment));
  const dead = config.attachments.filter((a) => killed.has(a.experiment));
  const lines: string[] = [];
  const add = (line: string): void => {
    lines.push(line);
  };

  // Create-then-delete makes the delete succeed on a fresh machine; the three
  // statements form one transaction, so the old rules stay until the new ones are in.
  add(`table inet ${NFT_TABLE}`);
  add(`delete table inet ${NFT_TABLE}`);
  add(`table inet ${NFT_TABLE} {`);
  for (const c of COUNTERS) add(`  counter ${c} {}`);
  add(`  set production4 { type ipv4_addr; flags interval;${elements(pools(config.productionPools, 4))} }`);
  add(`  set production6 { type ipv6_addr; flags interval;${elements(pools(config.productionPools, 6))} }`);
  add(`  set experimental4 { type ipv4_addr; flags interval;${elements(pools(config.experimentalPools, 4))} }`);
  add(`  set experimental6 { type ipv6_addr; flags interval;${elements(pools(config.experimentalPools, 6))} }`);
  add(`  set attachments { type ifname;${elements(live.map((a) => quoted(a.interface)))} }`);
  add(`  set killed { type ifname;${elements(dead.map((a) => quoted(a.interface)))} }`);

  add('  chain prerouting {');
  // At raw priority, before connection tracking: a spoofed or over-limit packet costs the node no conntrack lookup.
  add('    type filter hook prerouting priority raw; policy accept;');
  add('    iifname @killed counter name killed drop');
  for (const a of live) {
    const iif = `iifname ${quoted(a.interface)}`;
    const v4 = a.allocations.filter((p) => familyOf(p) === 4);
    const v6 = a.allocations.filter((p) => familyOf(p) === 6);
    add(v4.length ? `    ${iif} ip saddr != { ${v4.join(', ')} } counter name spoofed drop` : `    ${iif} meta nfproto ipv4 counter name spoofed drop`);
    // Link-local and unspecified sources carry neighbour discovery and MLD, and never leave the link.
    add(`    ${iif} ip6 saddr { ::, fe80::/10 } return`);
    add(v6.length ? `    ${iif} ip6 saddr != { ${v6.join(', ')} } counter name spoofed drop` : `    ${iif} meta nfproto ipv6 counter name spoofed drop`);
    // Each rule's limit keeps its own token bucket: one experiment's flood spends only its own budget.
    // What is addressed to the node itself (the researcher's BGP session) never reaches a tunnel and is
    // not policed, so a flood cannot starve the session that would withdraw it.
    if (a.rateLimit) {
      const { bytesPerSecond, burstBytes } = a.rateLimit;
      add(`    ${iif} fib daddr type != local limit rate over ${bytesPerSecond} bytes/second burst ${burstBytes} bytes counter name experimental_over_limit drop`);
    }
  }
  add(`    iifname @attachments meta mark set meta mark | ${mark}`);
  add(`    ip saddr @experimental4 meta mark set meta mark | ${mark}`);
  add(`    ip daddr @experimental4 meta mark set meta mark | ${mark}`);
  add(`    ip6 saddr @experimental6 meta mark set meta mark | ${mark}`);
  add(`    ip6 daddr @experimental6 meta mark set meta mark | ${mark}`);
  add('  }');

  add('  chain forward {');
  add('    type filter hook forward priority filter; policy accept;');
  add('    oifname @killed counter name killed drop');
  add('    ip saddr @experimental4 ip daddr @production4 counter name cross_plane drop');
  add('    ip saddr @production4 ip daddr @experimental4 counter name cross_plane drop');
  add('    ip6 saddr @experimental6 ip6 daddr @production6 counter name cross_plane drop');
  add('    ip6 saddr @production6 ip6 daddr @experimental6 counter name cross_plane drop');
  // Whatever an attachment sends stays in the experimental plane, and nothing
  // but experimental traffic ever leaves through one.
  add('    iifname @attachments ip daddr != @experimental4 counter name cross_plane drop');
  add('    iifname @attachments ip6 daddr != @experimental6 counter name cross_plane drop');
  add('    oifname @attachments ip saddr != @experimental4 counter name cross_plane drop');
  add('    oifname @attachments ip6 saddr != @experimental6 counter name cross_plane drop');
  add(`    meta mark & ${mark} == ${mark} counter name experimental_forwarded`);
  add('  }');
  add('}');
  return `${lines.join('\n')}\n`;
}

function nft(netns: string | undefined, args: string[], input?: string): Promise<string> {
  const argv = netns === undefined ? ['nft', ...args] : ['nsenter', `--net=${netnsPath(netns)}`, 'nft', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new UserError(`cannot run nft: ${e.message}`, { hint: 'install nftables' })));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new UserError(`nft ${args.join(' ')} failed: ${err.trim().split('\n')[0] ?? `exit ${code}`}`));
    });
    if (input !== undefined) {
      // nft may exit before reading everything (a parse error): its exit status reports that.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(input);
    }
  });
}

/** Replaces the garagenet table atomically (in `netns`, a name or path, or here). */
export async function applyRuleset(config: IsolationConfig, options: { netns?: string } = {}): Promise<void> {
  await nft(options.netns, ['-f', '-'], renderRuleset(config));
}

export async function removeRuleset(options: { netns?: string } = {}): Promise<void> {
  await nft(options.netns, ['-f', '-'], `table inet ${NFT_TABLE}\ndelete table inet ${NFT_TABLE}\n`);
}

export type Counters = Record<CounterName, { packets: number; bytes: number }>;

/** Reads the named counters (for metrics and tests). */
export async function readCounters(options: { netns?: string } = {}): Promise<Counters> {
  const listing = await nft(options.netns, ['-j', 'list', 'counters', 'table', 'inet', NFT_TABLE]).catch((err: unknown) => {
    if (!/No such file or directory/.test((err as Error).message)) throw err;
    throw new UserError(`plane isolation is not set up${options.netns ? ` in ${options.netns}` : ''}: no nftables table inet ${NFT_TABLE}`, {
      hint: 'the node agent installs it when it starts',
    });
  });
  const json = JSON.parse(listing) as {
    nftables: Array<{ counter?: { name: string; packets: number; bytes: number } }>;
  };
  const out = Object.fromEntries(COUNTERS.map((c) => [c, { packets: 0, bytes: 0 }])) as Counters;
  for (const item of json.nftables) {
    const c = item.counter;
    if (c && (COUNTERS as readonly string[]).includes(c.name)) out[c.name as CounterName] = { packets: c.packets, bytes: c.bytes };
  }
  return out;
}
