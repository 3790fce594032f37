import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPrefix, parseAddress, parsePrefix, subnet } from '../common/prefix.js';
import { RegistryClient } from '../registry/client.js';
import { startLocalEtcd, startLocalRegistry, wgPublicKey, type LocalEtcd, type LocalRegistry } from '../registry/local-registry.js';
import { experimentAuditEntry, type ExperimentAuditEntry } from './experiment-audit.js';
import { routeAuthorizations } from './registry-authorizations.js';
import type { RouteAttributes } from './routing/attributes.js';
import { createRoutingInstance } from './routing/plane-instance.js';

/**
 * The experiment guard rails driven by what a real registry (real etcd,
 * TLS gRPC) publishes: its experiment's allocation, ASN and prefix limit;
 * and the audit entries they produce, forwarded as the node agent will, are
 * taken by the registry's AppendAuditLog and listed back in order.
 */

let etcd: LocalEtcd | undefined;
let registry: LocalRegistry | undefined;

beforeAll(async () => {
  etcd = await startLocalEtcd();
  registry = await startLocalRegistry({ etcd: [etcd.url] });
});

afterAll(async () => {
  await registry?.close();
  await etcd?.close();
});

describe('experiment audit entries in the registry', () => {
  it('records what the experiment\'s guard rails accepted and refused', async () => {
    const t = registry!;
    await t.admin.createOrganization({ name: 'uni-a' });
    const { joinString } = await t.admin.createInvitation({ organization: 'uni-a' });
    const { client, invitation, secret } = await RegistryClient.fromJoinString(joinString);
    const { node } = await client.join({ invitation, secret, publicKey: wgPublicKey(), endpoints: ['192.0.2.10:51820'] });
    const experiment = await t.admin.createExperiment({ name: 'bgp-fuzz', owner: 'uni-a', maxPrefixes: 3, node: node.name });
    const mesh = await t.admin.getMesh();
    const { authorizations, refused } = routeAuthorizations((await client.publicView()).authorizations);
    expect(refused).toEqual([]);

    const forwarded: ExperimentAuditEntry[] = [];
    const instance = createRoutingInstance({
      plane: 'experimental',
      localAsn: node.asn,
      pools: [parsePrefix(mesh.experimentalV4), parsePrefix(mesh.experimentalV6)],
      bogons: { maxLengthIpv4: 32 },
      authorizations,
      audit: (event) => {
        const entry = experimentAuditEntry(event);
        if (entry) forwarded.push(entry);
      },
    });
    try {
      const peerAddress = parseAddress('10.255.0.2');
      instance.peerUp(
        { name: 'exp-bgp-fuzz', address: peerAddress, asn: experiment.asn, experiment: experiment.name, maxPrefixes: experiment.maxPrefixes },
        { session: { routerId: 1, families: ['ipv4-unicast'], localAddress: parseAddress('10.255.0.1'), routeRefresh: false }, onExportReady: () => {} },
      );
      const allocation = parsePrefix(experiment.prefixes[0]!);
      const from = (asns: number[]): RouteAttributes => ({ origin: 'igp', asPath: [{ type: 'sequence', asns }], nextHop: peerAddress });
      const tooSpecific = subnet(allocation, 29, 1n);
      const relayed = subnet(allocation, 28, 0n);
      const production = parsePrefix(mesh.productionV4);
      const result = instance.receive('exp-bgp-fuzz', {
        withdrawn: [],
        announced: [
          { attributes: from([experiment.asn]), prefixes: [allocation, tooSpecific, production] },
          // Inside the allocation, but originated by an AS the registry never authorized there.
          { attributes: from([experiment.asn, 64512]), prefixes: [relayed] },
        ],
      });
      expect(result).toMatchObject({ accepted: 1, rejected: 3 });

      for (const entry of forwarded) await client.appendAuditLog(entry);
      // Entries appended within one millisecond may list in any order: compare as sets.
      const log = await t.admin.listAuditLog(experiment.name);
      expect(log.map((e) => [e.node, e.event, e.detail.split(': ')[0]]).sort()).toEqual([
        [node.name, 'import.accepted', experiment.prefixes[0]],
        [node.name, 'import.rejected.origin-validation', formatPrefix(relayed)],
        [node.name, 'import.rejected.origin-validation', formatPrefix(tooSpecific)],
        [node.name, 'import.rejected.plane-pool', mesh.productionV4],
      ].sort());
      expect(log.find((e) => e.event === 'import.rejected.origin-validation')?.detail).toContain(`not authorized (covered by ${experiment.prefixes[0]} max /28 AS${experiment.asn})`);
    } finally {
      instance.close();
    }
  });
});
