import { status as grpcStatus } from '@grpc/grpc-js';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAddress, hostAddress, parsePrefix } from '../../../common/prefix.js';
import { buildMeshLab, cli, ROOT, type MeshLab } from '../../demo/mesh-lab.js';
import { run } from '../../system/run.js';
import { ApiError } from './api-error.js';
import { AgentApiClient } from './client.js';
import { eventually } from '../../../common/test-support/eventually.js';

/**
 * The agent API served by real agents: three garages joined with the real
 * CLI (namespaces, wireguard-go, BFD, the route daemon, the kernel tables),
 * asked over the unix socket in each state directory.
 */

interface Joined {
  name: string;
  netns: string;
  stateDir: string;
  loopbacks: { production: string; experimental: string; productionV6: string };
  /** Host 1 of the garage's IPv4 space, on its LAN interface: routed by BGP, unlike the loopbacks. */
  lanGateway: string;
  client: AgentApiClient;
}

const TCP_PORT = 7480;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function refusal(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('the call was not refused');
}

let lab: MeshLab;
const joined: Joined[] = [];

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'node', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  lab = await buildMeshLab({ garages: 3, prefix: 'gnapi' });
  for (const garage of lab.topology.garages) {
    const stateDir = lab.stateDir(garage);
    // The first garage also serves the API on TCP, inside its namespace.
    if (garage.index === 0) writeFileSync(join(stateDir, 'agent-api.json'), JSON.stringify({ listen: `127.0.0.1:${TCP_PORT}` }));
    const result = await cli(garage.netns, ['join', await lab.invite(), '--state-dir', stateDir, '--lan', 'lan']);
    if (result.code !== 0) throw new Error(`join: ${result.stderr}`);
    const { node, allocations } = JSON.parse(readFileSync(join(stateDir, 'node.json'), 'utf8')) as {
      node: { name: string; productionLoopbackV4: string; productionLoopbackV6: string; experimentalLoopbackV4: string };
      allocations: { id: string; prefix: string }[];
    };
    const garageV4 = parsePrefix(allocations.find((x) => x.id.endsWith('garage-v4'))!.prefix);
    joined.push({
      name: node.name, netns: garage.netns, stateDir,
      loopbacks: { production: node.productionLoopbackV4, experimental: node.experimentalLoopbackV4, productionV6: node.productionLoopbackV6 },
      lanGateway: formatAddress(hostAddress(garageV4, 1n)),
      client: new AgentApiClient(`unix:${join(stateDir, 'agent-api.sock')}`, { timeoutMs: 5000 }),
    });
  }
  // Every tunnel up (BFD) with at least two answered link probes.
  const ready = await eventually(async () => {
    for (const j of joined) {
      const { tunnels } = await j.client.listTunnels();
      if (tunnels.length !== 2 || !tunnels.every((t) => t.state === 'up' && t.hasLatency && t.probes >= 2)) return false;
    }
    return true;
  }, 60_000);
  if (!ready) throw new Error('the mesh did not come up');
}, 240_000);

afterAll(async () => {
  for (const j of joined) j.client.close();
  await lab?.teardown();
}, 120_000);

describe('the agent API of a real node', () => {
  it('listens on agent-api.sock in the state directory, mode 0600', () => {
    const mode = statSync(join(joined[0]!.stateDir, 'agent-api.sock')).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('also answers on the TCP address agent-api.json names', async () => {
    // A client inside the garage's namespace, where 127.0.0.1:${TCP_PORT} is.
    const client = join(ROOT, 'dist', 'node', 'agent', 'api', 'client.js');
    const script = `import(${JSON.stringify(client)}).then(async ({ AgentApiClient }) => { const c = new AgentApiClient('127.0.0.1:${TCP_PORT}'); process.stdout.write(JSON.stringify(await c.listTunnels())); c.close(); })`;
    const answer = JSON.parse(await run(process.execPath, ['-e', script], { netns: joined[0]!.netns })) as { node: string; tunnels: unknown[] };
    expect(answer.node).toBe(joined[0]!.name);
    expect(answer.tunnels).toHaveLength(2);
  });

  it('ListTunnels: every peer up, with a handshake, bytes, latency from its probes, and no key or endpoint', async () => {
    const [a, ...others] = joined;
    const answer = await a!.client.listTunnels();
    expect(answer.node).toBe(a!.name);
    expect(answer.tunnels.map((t) => t.peer).sort()).toEqual(others.map((o) => o.name).sort());
    const now = Date.now() / 1000;
    for (const t of answer.tunnels) {
      expect(t.state).toBe('up');
      expect(t.bfd).toBe('Up');
      expect(t.lastHandshakeUnix).toBeGreaterThan(now - 200);
      expect(t.rxBytes).toBeGreaterThan(0);
      expect(t.txBytes).toBeGreaterThan(0);
      expect(t.latencyMs).toBeGreaterThan(0);
      expect(t.loss).toBeGreaterThanOrEqual(0);
      expect(t.loss).toBeLessThan(1);
    }
    const text = JSON.stringify(answer);
    expect(text).not.toMatch(/endpoint|[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=/);
    for (const g of lab.topology.garages) expect(text).not.toContain(g.publicAddress);
  });

  it('Ping another garage\'s loopbacks in both planes, from this node\'s LAN gateway or experimental loopback', async () => {
    const [a, b] = joined;
    const production = await a!.client.ping({ target: b!.loopbacks.production, count: 3 });
    expect(production).toMatchObject({ plane: 'production', source: a!.lanGateway, sent: 3, received: 3 });
    expect(production.rttMs).toHaveLength(3);
    const experimental = await a!.client.ping({ target: b!.loopbacks.experimental, count: 2 });
    expect(experimental).toMatchObject({ plane: 'experimental', source: a!.loopbacks.experimental, sent: 2, received: 2 });
    const v6 = await a!.client.ping({ target: b!.loopbacks.productionV6, count: 1 });
    expect(v6.received).toBe(1);
  });

  it('refuses targets outside the pools and malformed ones with INVALID_ARGUMENT, too many echoes with RESOURCE_EXHAUSTED', async () => {
    const a = joined[0]!;
    const outside = await refusal(a.client.ping({ target: lab.topology.garages[1]!.publicAddress }));
    expect(outside.code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(outside.message).toMatch(/is outside the mesh's pools/);
    for (const bad of ['; reboot', 'localhost', '']) expect((await refusal(a.client.ping({ target: bad }))).code, bad).toBe(grpcStatus.INVALID_ARGUMENT);
    expect((await refusal(a.client.traceroute({ target: '127.0.0.1' }))).code).toBe(grpcStatus.INVALID_ARGUMENT);
    const many = await refusal(a.client.ping({ target: joined[1]!.loopbacks.production, count: 11 }));
    expect(many.code).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    expect(many.message).toMatch(/"count" 11 is above the limit of 10/);
    expect((await refusal(a.client.compareRibFib({ plane: 'both' }))).code).toBe(grpcStatus.INVALID_ARGUMENT);
  });

  it('runs two probes at once and refuses a third with RESOURCE_EXHAUSTED', async () => {
    const [a, b, c] = joined;
    const slow = (to: Joined) => a!.client.ping({ target: to.loopbacks.production, count: 10 });
    const first = slow(b!);
    const second = slow(c!);
    await sleep(300);
    const third = await refusal(a!.client.ping({ target: b!.loopbacks.production, count: 1 }));
    expect(third.code).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    expect((await first).received).toBe(10);
    expect((await second).received).toBe(10);
    // Slots come back: one more goes through.
    expect((await a!.client.ping({ target: b!.loopbacks.production, count: 1 })).received).toBe(1);
  });

  it('CompareRibFib: the kernel agrees with the route daemon; a route taken out or slipped in shows up', async () => {
    const [a, b] = joined;
    expect(await eventually(async () => {
      const cmp = await a!.client.compareRibFib({ plane: 'production' });
      return cmp.missingInKernelCount + cmp.extraInKernelCount + cmp.nextHopMismatchCount === 0 && cmp.agreed > 0;
    }, 30_000)).toBe(true);
    const agreed = await a!.client.compareRibFib({ plane: 'production' });
    expect(agreed).toMatchObject({ plane: 'production', table: 64, missingInKernel: [], extraInKernel: [], nextHopMismatch: [] });
    expect(agreed.ribRoutes).toBe(agreed.kernelRoutes);
    expect(agreed.agreed).toBe(agreed.ribRoutes);
    const experimental = await a!.client.compareRibFib({ plane: 'experimental' });
    expect(experimental.table).toBe(96);
    expect(experimental.agreed).toBeGreaterThan(0);

    // Take the route daemon's route to b's loopback out of the kernel, and slip in one it never chose.
    const loopback = `${b!.loopbacks.production}/32`;
    const theirs = JSON.parse(await run('ip', ['-j', 'route', 'show', loopback, 'table', '64', 'proto', '201'], { netns: a!.netns })) as { gateway?: string; dev?: string }[];
    expect(theirs).toHaveLength(1);
    await run('ip', ['route', 'del', loopback, 'table', '64', 'proto', '201', 'metric', '100'], { netns: a!.netns });
    await run('ip', ['route', 'add', 'blackhole', '10.127.255.0/24', 'table', '64', 'proto', '201', 'metric', '100'], { netns: a!.netns });
    try {
      const cmp = await a!.client.compareRibFib({ plane: 'production' });
      expect(cmp.missingInKernel).toEqual([{ prefix: loopback, ribNextHop: theirs[0]!.gateway, kernelNextHop: '' }]);
      expect(cmp.extraInKernel).toEqual([{ prefix: '10.127.255.0/24', ribNextHop: '', kernelNextHop: '' }]);
      expect(cmp.agreed).toBe(agreed.agreed - 1);
    } finally {
      await run('ip', ['route', 'del', 'blackhole', '10.127.255.0/24', 'table', '64', 'proto', '201', 'metric', '100'], { netns: a!.netns });
      await run('ip', ['route', 'add', loopback, 'via', theirs[0]!.gateway!, 'table', '64', 'proto', '201', 'metric', '100', 'onlink'], { netns: a!.netns }).catch(() => undefined);
    }
  });

  it('Traceroute: one hop to a direct peer; to a garage whose line is cut, through the third garage', async () => {
    const [a, b, c] = joined;
    const direct = await a!.client.traceroute({ target: b!.loopbacks.production });
    expect(direct.reached).toBe(true);
    expect(direct.hops.map((h) => [h.ttl, h.address, h.node])).toEqual([[1, b!.loopbacks.production, b!.name]]);
    expect(direct.hops[0]!.hasRtt).toBe(true);

    // Loopbacks stay on their own tunnel (the sessions run over it); the garage's LAN follows BGP around the cut.
    await lab.topology.cutPath(0, 1);
    try {
      const around = await eventually(async () => {
        const trace = await a!.client.traceroute({ target: b!.lanGateway, maxHops: 4 });
        return trace.reached && trace.hops.length === 2;
      }, 20_000);
      expect(around).toBe(true);
      const trace = await a!.client.traceroute({ target: b!.lanGateway, maxHops: 4 });
      expect(trace.hops.map((h) => [h.ttl, h.address, h.node])).toEqual([[1, c!.loopbacks.production, c!.name], [2, b!.lanGateway, '']]);
      expect(trace.hops[0]!.hasRtt).toBe(false);
      expect(trace.hops[1]!.hasRtt).toBe(true);
    } finally {
      await lab.topology.restorePath(0, 1);
    }
    expect(await eventually(async () => (await a!.client.traceroute({ target: b!.lanGateway, maxHops: 4 })).hops.length === 1, 30_000)).toBe(true);
  });
});
