import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress, hostAddress, parseAddress, parsePrefix } from '../../common/prefix.js';
import { RegistryClient } from '../../registry/client.js';
import { startLocalEtcd, startLocalRegistry, wgPublicKey } from '../../registry/local-registry.js';
import { RoutedClient } from '../../route-daemon/control/client.js';
import type { NeighborSource, NeighborState } from '../../route-daemon/control/neighbors.js';
import { startControlServer } from '../../route-daemon/control/server.js';
import type { Plane } from '../../route-daemon/routing/instance.js';
import { createRoutingInstance, type PlaneInstance } from '../../route-daemon/routing/plane-instance.js';
import { createLookingGlass } from '../server/server.js';
import { RegistryPublicViewSource } from '../sources/registry-adapter.js';
import { AGENT_NOT_GIVEN, RouteDaemonControlSource } from '../sources/routed-adapter.js';

/**
 * A looking glass on real components, on loopback: a registry (real etcd,
 * TLS gRPC) where two garages joined with the operator's join call and one
 * experiment is registered, and garage-a's route daemon control API over real
 * routing instances holding garage-b's garage prefix, checked against the
 * registry's authorizations. No BGP session runs between them (the peering
 * layer reports garage-b's session); garage-b has no daemon reachable.
 */
export async function startRealComponents(): Promise<{
  url: string;
  /** garage-b's garage prefix, as garage-a holds it, and an address inside it. */
  prefix: string;
  target: string;
  peerAsn: number;
  close(): Promise<void>;
}> {
  const cleanup: (() => Promise<void> | void)[] = [];
  const close = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    const etcd = await startLocalEtcd();
    cleanup.push(() => etcd.close());
    const registry = await startLocalRegistry({ etcd: [etcd.url] });
    cleanup.push(() => registry.close());
    await registry.admin.createOrganization({ name: 'uni-a', description: 'University A' });
    await registry.admin.createOrganization({ name: 'lab-b', description: 'Lab B' });
    for (const [org, name] of [['uni-a', 'garage-a'], ['lab-b', 'garage-b']] as const) {
      const { joinString } = await registry.admin.createInvitation({ organization: org });
      const { client, invitation, secret } = await RegistryClient.fromJoinString(joinString);
      await client.join({ invitation, secret, publicKey: wgPublicKey(), name, endpoints: ['192.0.2.10:51820'] });
      await client.keepAlive(60);
      client.close();
    }
    await registry.admin.createExperiment({ name: 'anycast-test', owner: 'uni-a', description: 'anycast catchment', maxPrefixes: 4, maxUpdatesPerMinute: 60, node: 'garage-a' });
    const view = await registry.admin.publicView();
    const a = view.nodes.find((n) => n.node.name === 'garage-a')!.node;
    const b = view.nodes.find((n) => n.node.name === 'garage-b')!.node;
    const garageB = view.allocations.find((x) => x.holder === 'garage-b' && x.plane === 'production' && x.purpose === 'garage')!;

    const instances = new Map<Plane, PlaneInstance>();
    for (const plane of ['production', 'experimental'] as const) {
      instances.set(plane, createRoutingInstance({
        plane,
        localAsn: a.asn,
        pools: [parsePrefix(plane === 'production' ? view.mesh.productionV4 : view.mesh.experimentalV4)],
        authorizations: view.authorizations.filter((x) => x.plane === plane).map((x) => ({ prefix: parsePrefix(x.prefix), maxLength: x.maxLength, originAsn: x.originAsn, plane })),
      }));
    }
    const production = instances.get('production')!;
    const peer = parseAddress(b.productionLoopbackV4);
    production.peerUp({ name: 'garage-b', asn: b.asn, address: peer }, {
      session: { routerId: Number(peer.value), families: ['ipv4-unicast'], localAddress: parseAddress(a.productionLoopbackV4), routeRefresh: true },
      onExportReady: () => {},
    });
    production.receive('garage-b', {
      withdrawn: [],
      announced: [{ attributes: { origin: 'igp', asPath: [{ type: 'sequence', asns: [b.asn] }], nextHop: peer }, prefixes: [parsePrefix(garageB.prefix), parsePrefix(`${b.productionLoopbackV4}/32`)] }],
    });
    const session: NeighborState = {
      name: 'garage-b', plane: 'production', address: b.productionLoopbackV4, asn: b.asn, passive: false, state: 'established',
      establishedAt: Date.now() - 600_000, holdTime: 9, families: ['ipv4-unicast'], received: {}, sent: {}, prefixes: { rejected: 0 }, flaps: 0,
    };
    const neighbors: NeighborSource = { listNeighbors: () => [session], requestRefresh: () => {} };
    const dir = await mkdtemp(join(tmpdir(), 'lg-real-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const control = await startControlServer({ instances, neighbors, localAsn: a.asn, address: `unix:${join(dir, 'routed.sock')}` });
    cleanup.push(() => control.close());
    const routed = new RoutedClient({ address: control.address, timeoutMs: 3000 });
    cleanup.push(() => routed.close());
    const registryClient = registry.client((await registry.admin.createViewer('looking-glass')).credential);
    const lg = createLookingGlass({
      source: {
        registry: new RegistryPublicViewSource(registryClient),
        node: (name) => (name === 'garage-a' ? { routeDaemon: new RouteDaemonControlSource(routed, { node: 'garage-a' }), agent: AGENT_NOT_GIVEN } : undefined),
      },
    });
    const url = await lg.listen({ port: 0, host: '127.0.0.1' });
    cleanup.push(() => lg.close());
    return { url, prefix: garageB.prefix, target: formatAddress(hostAddress(parsePrefix(garageB.prefix), 5n)), peerAsn: b.asn, close };
  } catch (err) {
    await close();
    throw err;
  }
}
