import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISOLATION_PROTOCOL, ROUTE_DAEMON_PROTOCOL } from '../owners.js';
import { Rtnetlink, type Route } from '../rtnetlink.js';
import { Lab } from '../test-support/netns.js';
import type { IsolationConfig } from './config.js';
import { killExperiment } from './kill-switch.js';
import { readCounters, type Counters } from './nftables.js';
import { registerIsolationMetrics } from './metrics.js';
import { applyIsolation, removeIsolation } from './plane-isolation.js';

/**
 * Five namespaces: the node R, a production host P (lan0), two experiments'
 * routers E (attachment att0) and F (att1), and a remote node T behind the
 * shared tunnel (tun0) that holds a production address 10.2.0.1 and an
 * experimental one 100.96.9.1. Real packets (ping, UDP) decide every case.
 */
const PROD = 1100;
const EXP = 1101;
const lab = new Lab();
let r: string;
let p: string;
let e: string;
let f: string;
let t: string;
let rt: Rtnetlink;

const config: IsolationConfig = {
  productionTable: PROD,
  experimentalTable: EXP,
  productionPools: ['10.0.0.0/8', 'fd00:1::/32'],
  experimentalPools: ['100.96.0.0/12', 'fd00:e::/32'],
  attachments: [
    { interface: 'att0', experiment: 'exp1', allocations: ['100.96.1.0/24', 'fd00:e:1::/48'], rateLimit: { bytesPerSecond: 20_000, burstBytes: 8_000 } },
    { interface: 'att1', experiment: 'exp2', allocations: ['100.96.2.0/24'], rateLimit: { bytesPerSecond: 20_000, burstBytes: 8_000 } },
  ],
};

function ping(ns: string, target: string, options: { from?: string; count?: number; interval?: string; size?: number } = {}): number {
  const args = ['-n', '-q', '-c', String(options.count ?? 2), '-W', '1', '-i', options.interval ?? '0.2'];
  if (options.from) args.push('-I', options.from);
  if (options.size) args.push('-s', String(options.size));
  let out: string;
  try {
    out = lab.exec(ns, 'ping', [...args, target]);
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? '');
  }
  const received = /(\d+) received/.exec(out);
  return received ? Number(received[1]) : 0;
}

/** Sends `count` UDP datagrams (of `size` bytes) from `source` to `target` (T's experimental address), port 9999. */
function udpProbe(ns: string, source: string, count: number, options: { target?: string; size?: number } = {}): void {
  const script =
    'import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind((sys.argv[1],0))\n' +
    'for i in range(int(sys.argv[2])): s.sendto(b"p"*int(sys.argv[4]),(sys.argv[3],9999))\n';
  lab.exec(ns, 'python3', ['-c', script, source, String(count), options.target ?? '100.96.9.1', String(options.size ?? 5)]);
}

/** Packets T's probe counters saw per source address. */
function probeCount(name: string): number {
  const out = lab.exec(t, 'nft', ['-j', 'list', 'counter', 'inet', 'probe', name]);
  const json = JSON.parse(out) as { nftables: Array<{ counter?: { packets: number } }> };
  return json.nftables.find((x) => x.counter)!.counter!.packets;
}

async function counters(): Promise<Counters> {
  return readCounters({ netns: r });
}

beforeAll(async () => {
  r = lab.namespace('R');
  p = lab.namespace('P');
  e = lab.namespace('E');
  f = lab.namespace('F');
  t = lab.namespace('T');
  lab.sysctl(r, {
    'net.ipv4.ip_forward': '1',
    'net.ipv6.conf.all.forwarding': '1',
    'net.ipv4.conf.all.rp_filter': '0',
    'net.ipv4.conf.default.rp_filter': '0',
  });
  lab.veth({ ns: r, name: 'lan0', addresses: ['10.1.0.1/24', 'fd00:1:1::1/64'] }, { ns: p, name: 'eth0', addresses: ['10.1.0.2/24', 'fd00:1:1::2/64'] });
  lab.veth({ ns: r, name: 'att0', addresses: ['100.96.1.1/24', 'fd00:e:1::1/64'] }, { ns: e, name: 'eth0', addresses: ['100.96.1.2/24', 'fd00:e:1::2/64'] });
  lab.veth({ ns: r, name: 'att1', addresses: ['100.96.2.1/24'] }, { ns: f, name: 'eth0', addresses: ['100.96.2.2/24'] });
  lab.veth({ ns: r, name: 'tun0', addresses: ['10.255.0.1/30'] }, { ns: t, name: 'tun0', addresses: ['10.255.0.2/30'] });
  for (const a of ['10.2.0.1/32', '100.96.9.1/32']) lab.exec(t, 'ip', ['addr', 'add', a, 'dev', 'lo']);
  lab.exec(p, 'ip', ['route', 'add', 'default', 'via', '10.1.0.1']);
  lab.exec(p, 'ip', ['-6', 'route', 'add', 'default', 'via', 'fd00:1:1::1']);
  lab.exec(e, 'ip', ['route', 'add', 'default', 'via', '100.96.1.1']);
  lab.exec(e, 'ip', ['-6', 'route', 'add', 'default', 'via', 'fd00:e:1::1']);
  lab.exec(f, 'ip', ['route', 'add', 'default', 'via', '100.96.2.1']);
  lab.exec(t, 'ip', ['route', 'add', 'default', 'via', '10.255.0.1']);
  // T counts what reaches it, by source, for the UDP probes.
  lab.exec(t, 'nft', ['-f', '-'], {
    input:
      'table inet probe {\n counter legit {}\n counter spoofed_exp {}\n counter spoofed_prod {}\n' +
      ' chain in { type filter hook prerouting priority 0; policy accept;\n' +
      '  udp dport 9999 ip saddr 100.96.1.2 counter name legit\n' +
      '  udp dport 9999 ip saddr 100.97.0.5 counter name spoofed_exp\n' +
      '  udp dport 9999 ip saddr 10.1.0.99 counter name spoofed_prod\n }\n}\n',
  });
  // E counts packets for the production address it hijacks (10.2.0.1), and UDP probes sent to it.
  lab.exec(e, 'ip', ['addr', 'add', '10.2.0.1/32', 'dev', 'lo']);
  lab.exec(e, 'nft', ['-f', '-'], {
    input:
      'table inet probe {\n counter hijacked {}\n counter inbound {}\n chain in { type filter hook prerouting priority 0;\n' +
      '  ip daddr 10.2.0.1 counter name hijacked\n  udp dport 9999 counter name inbound\n }\n}\n',
  });
  for (const a of ['100.97.0.5/32', '10.1.0.99/32']) lab.exec(e, 'ip', ['addr', 'add', a, 'dev', 'eth0']);

  rt = Rtnetlink.open({ netns: r });
  const owner = (table: number) => ({ table, protocol: ROUTE_DAEMON_PROTOCOL });
  const production: Route[] = [{ prefix: '10.2.0.0/16', gateway: '10.255.0.2' }, { prefix: '10.1.0.0/24', device: 'lan0' }];
  const experimental: Route[] = [
    { prefix: '100.96.1.0/24', device: 'att0' },
    { prefix: 'fd00:e:1::/48', device: 'att0' },
    { prefix: '100.96.2.0/24', device: 'att1' },
    { prefix: '100.96.9.0/24', gateway: '10.255.0.2' },
  ];
  expect((await rt.applyRoutes(production.map((route) => ({ op: 'add', route })), owner(PROD))).failed).toEqual([]);
  expect((await rt.applyRoutes(experimental.map((route) => ({ op: 'add', route })), owner(EXP))).failed).toEqual([]);
  await applyIsolation(rt, config);
});

afterAll(() => {
  rt?.close();
  lab.cleanup();
});

describe('plane isolation with real traffic', () => {
  it('sets up rules, the unreachable default and the nftables table, idempotently', async () => {
    const rules = () => rt.listRules().then((all) => all.filter((x) => x.protocol === ISOLATION_PROTOCOL).length);
    const before = await rules();
    expect(before).toBe(2 + 2 + 2 + 2 + 2);
    await applyIsolation(rt, config);
    expect(await rules()).toBe(before);
    expect(lab.exec(r, 'ip', ['rule', 'show'])).toMatch(/1000:\s+from all iif att0 lookup 1101 proto 202/);
    const defaults = (await rt.listRoutes(EXP)).filter((x) => x.protocol === ISOLATION_PROTOCOL);
    expect(defaults.map((x) => `${x.prefix} ${x.type}`).sort()).toEqual(['0.0.0.0/0 unreachable', '::/0 unreachable']);
    expect(lab.exec(r, 'nft', ['list', 'tables'])).toContain('table inet garagenet');
  });

  it('forwards within each plane', () => {
    expect(ping(e, '100.96.9.1')).toBe(2);
    expect(ping(p, '10.2.0.1')).toBe(2);
    expect(ping(p, 'fd00:1:1::1')).toBe(2);
  });

  it('an experimental host cannot reach a production address even when the experimental table has a route to it', async () => {
    const leak = [{ prefix: '10.1.0.0/24', device: 'lan0' }, { prefix: 'fd00:1:1::/64', device: 'lan0' }].map((route) => ({ op: 'add' as const, route }));
    expect((await rt.applyRoutes(leak, { table: EXP, protocol: ROUTE_DAEMON_PROTOCOL })).failed).toEqual([]);
    const before = (await counters()).cross_plane.packets;
    expect(ping(e, '10.1.0.2', { count: 3 })).toBe(0);
    expect(ping(e, 'fd00:1:1::2', { count: 3 })).toBe(0);
    expect((await counters()).cross_plane.packets - before).toBeGreaterThanOrEqual(6);
    // Nothing falls through the experimental table into main, which has T's default here.
    lab.exec(r, 'ip', ['route', 'add', 'default', 'via', '10.255.0.2']);
    let lookup = '';
    try {
      lookup = lab.exec(r, 'ip', ['route', 'get', '198.51.100.1', 'from', '100.96.1.2', 'iif', 'att0']);
    } catch (err) {
      lookup = String((err as { stderr?: string }).stderr);
    }
    expect(lookup).toMatch(/No route to host/);
    expect(lab.exec(r, 'ip', ['route', 'get', '198.51.100.1', 'from', '10.1.0.2', 'iif', 'lan0'])).toContain('via 10.255.0.2 dev tun0');
    lab.exec(r, 'ip', ['route', 'del', 'default', 'via', '10.255.0.2']);
  });

  it('production traffic never leaves through the attachment, even when it announces a more-specific', async () => {
    const hijack = { op: 'add' as const, route: { prefix: '10.2.0.1/32', gateway: '100.96.1.2' } };
    expect((await rt.applyRoutes([hijack], { table: EXP, protocol: ROUTE_DAEMON_PROTOCOL })).failed).toEqual([]);
    expect(ping(p, '10.2.0.1', { count: 3 })).toBe(3);
    const hijacked = () => Number(/packets (\d+)/.exec(lab.exec(e, 'nft', ['list', 'counter', 'inet', 'probe', 'hijacked']))![1]);
    expect(hijacked()).toBe(0);
    // Even if the more-specific reached the production table (a control-plane
    // failure), nftables keeps production packets off the attachment.
    expect((await rt.applyRoutes([{ op: 'add', route: { prefix: '10.2.0.1/32', device: 'att0', gateway: '100.96.1.2' } }], { table: PROD, protocol: ROUTE_DAEMON_PROTOCOL })).failed).toEqual([]);
    const before = (await counters()).cross_plane.packets;
    expect(ping(p, '10.2.0.1', { count: 3 })).toBe(0);
    expect(hijacked()).toBe(0);
    expect((await counters()).cross_plane.packets - before).toBeGreaterThanOrEqual(3);
    await rt.applyRoutes([{ op: 'delete', route: { prefix: '10.2.0.1/32' } }], { table: PROD, protocol: ROUTE_DAEMON_PROTOCOL });
    expect(ping(p, '10.2.0.1')).toBe(2);
  });

  it('drops spoofed sources from the attachment (counters and UDP/ping probes)', async () => {
    const before = (await counters()).spoofed.packets;
    udpProbe(e, '100.96.1.2', 5);
    udpProbe(e, '100.97.0.5', 5);
    udpProbe(e, '10.1.0.99', 5);
    expect(ping(e, '100.96.9.1', { from: '100.97.0.5' })).toBe(0);
    expect(ping(e, '100.96.9.1', { from: '100.96.1.2' })).toBe(2);
    expect(probeCount('legit')).toBe(5);
    expect(probeCount('spoofed_exp')).toBe(0);
    expect(probeCount('spoofed_prod')).toBe(0);
    const after = (await counters()).spoofed.packets;
    expect(after - before).toBe(12);
    const registry = new Registry();
    registerIsolationMetrics(registry, { netns: r });
    expect(await registry.metrics()).toContain(`garagenet_isolation_packets{rule="spoofed"} ${after}`);
  });

  it("polices each attachment by its own rate as it enters: not production, not another experiment, not traffic toward it or to the node itself", async () => {
    const before = await counters();
    const experimental = ping(e, '100.96.9.1', { count: 100, interval: '0.005', size: 1000 });
    const flooded = await counters();
    // E's bucket is empty now, yet what E sends to the node itself (its BGP session) still passes.
    const toNode = ping(e, '100.96.1.1', { count: 5, interval: '0.005', size: 1000 });
    // F's own budget (8 kB of burst) is untouched by E's flood just before: 5 pings of 1 kB all pass.
    const other = ping(f, '100.96.9.1', { count: 5, interval: '0.005', size: 1000 });
    const production = ping(p, '10.2.0.1', { count: 100, interval: '0.005', size: 1000 });
    // 100 datagrams of 1 kB from T toward E, more than three times all E's bucket holds: not E's to pay for.
    const inbound = (): number => Number(/packets (\d+)/.exec(lab.exec(e, 'nft', ['list', 'counter', 'inet', 'probe', 'inbound']))![1]);
    const inboundBefore = inbound();
    udpProbe(t, '100.96.9.1', 100, { target: '100.96.1.2', size: 1000 });
    const after = await counters();
    expect(experimental).toBeLessThan(60);
    expect(flooded.experimental_over_limit.packets - before.experimental_over_limit.packets).toBeGreaterThan(40);
    expect([toNode, other, production, inbound() - inboundBefore]).toEqual([5, 5, 100, 100]);
    expect(after.experimental_over_limit.packets).toBe(flooded.experimental_over_limit.packets);
    expect(after.experimental_forwarded.packets - before.experimental_forwarded.packets).toBeGreaterThan(100);
  });

  it('the kill switch removes the experiment routes and cuts the attachment at once', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1000)); // let the rate limiter's bucket refill
    expect(ping(e, '100.96.9.1')).toBe(2);
    const { config: killed, routesRemoved } = await killExperiment(rt, { config, experiment: 'exp1' });
    expect(killed.killed).toEqual(['exp1']);
    expect(routesRemoved).toBe(3);
    const left = (await rt.listRoutes(EXP)).filter((x) => x.protocol === ROUTE_DAEMON_PROTOCOL).map((x) => x.prefix).sort();
    expect(left).toEqual(['10.1.0.0/24', '100.96.2.0/24', '100.96.9.0/24', 'fd00:1:1::/64']);
    expect((await rt.listLinks()).find((l) => l.name === 'att0')?.up).toBe(false);
    expect(ping(e, '100.96.9.1')).toBe(0);
    lab.exec(r, 'ip', ['link', 'set', 'att0', 'up']);
    const cut = (await counters()).killed.packets;
    expect(ping(e, '100.96.1.1')).toBe(0);
    expect((await counters()).killed.packets).toBeGreaterThan(cut);
    await expect(killExperiment(rt, { config, experiment: 'nope' })).rejects.toThrow(/no attachment for experiment "nope"/);
  });

  it('removes everything it set up, and only that, when the node leaves', async () => {
    await removeIsolation(rt, config);
    expect((await rt.listRules()).filter((x) => x.protocol === ISOLATION_PROTOCOL)).toEqual([]);
    expect((await rt.listRoutes(EXP)).filter((x) => x.protocol === ISOLATION_PROTOCOL)).toEqual([]);
    expect(lab.exec(r, 'nft', ['list', 'tables'])).not.toContain('garagenet');
    expect((await rt.listRoutes(EXP)).some((x) => x.prefix === '100.96.9.0/24' && x.protocol === ROUTE_DAEMON_PROTOCOL)).toBe(true);
    expect(lab.exec(r, 'ip', ['rule', 'show'])).toContain('32766:\tfrom all lookup main');
  });
});
