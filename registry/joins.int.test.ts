import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RegistryClient } from './client.js';
import { startLocalEtcd, startLocalRegistry, wgPublicKey } from './local-registry.js';
import { expectRefusal } from './test-support/harness.js';

// Concurrent joins against one real etcd: transactional allocation, no duplicates, clear exhaustion.

let etcd: Awaited<ReturnType<typeof startLocalEtcd>>;

beforeAll(async () => {
  etcd = await startLocalEtcd();
});

afterAll(async () => {
  await etcd?.close();
});

it('gives 50 concurrent joiners distinct addresses, prefixes and ASNs', async () => {
  const t = await startLocalRegistry({ etcd: [etcd.url], keyPrefix: '/mesh-many/' });
  try {
    await t.admin.createOrganization({ name: 'uni-a' });
    const invitations = await Promise.all(Array.from({ length: 50 }, () => t.admin.createInvitation({ organization: 'uni-a' })));
    const results = await Promise.all(
      invitations.map(async ({ joinString }) => {
        const { client, invitation, secret } = await RegistryClient.fromJoinString(joinString);
        try {
          return await client.join({ invitation, secret, publicKey: wgPublicKey() });
        } finally {
          client.close();
        }
      }),
    );
    expect(results).toHaveLength(50);
    const distinct = (values: (string | number)[]): number => new Set(values).size;
    expect(distinct(results.map((r) => r.node.name))).toBe(50);
    expect(distinct(results.map((r) => r.node.asn))).toBe(50);
    expect(distinct(results.map((r) => r.node.productionLoopbackV4))).toBe(50);
    expect(distinct(results.map((r) => r.node.experimentalLoopbackV6))).toBe(50);
    const prefixes = results.flatMap((r) => r.allocations.map((a) => a.prefix));
    expect(distinct(prefixes)).toBe(50 * 6);
    // What etcd holds agrees with what the joiners were told.
    const view = await t.admin.publicView();
    expect(view.nodes).toHaveLength(50);
    expect(view.allocations.map((a) => a.prefix).sort()).toEqual([...prefixes].sort());
  } finally {
    await t.close();
  }
});

it('says which pool ran out, and leaves the invitation unused', async () => {
  const t = await startLocalRegistry({
    etcd: [etcd.url],
    keyPrefix: '/mesh-tiny/',
    pools: {
      productionV4: '10.1.0.0/20',
      productionV6: 'fd00:1::/56',
      experimentalV4: '10.2.0.0/20',
      experimentalV6: 'fd00:2::/56',
      asnFirst: 4_200_000_000,
      asnLast: 4_200_000_003,
    },
  });
  try {
    await t.admin.createOrganization({ name: 'uni-a' });
    const join = async (): Promise<unknown> => {
      const { joinString } = await t.admin.createInvitation({ organization: 'uni-a' });
      const j = await RegistryClient.fromJoinString(joinString);
      try {
        return await j.client.join({ invitation: j.invitation, secret: j.secret, publicKey: wgPublicKey() });
      } finally {
        j.client.close();
      }
    };
    // Three nodes and one experiment take all four ASNs, concurrently.
    await Promise.all([join(), join(), join(), t.admin.createExperiment({ name: 'e1', owner: 'uni-a' })]);
    await expectRefusal(join(), status.RESOURCE_EXHAUSTED, /ASN pool 4200000000-4200000003 is exhausted: all 4 asn slots are taken/);
    await expectRefusal(t.admin.createExperiment({ name: 'e2', owner: 'uni-a' }), status.RESOURCE_EXHAUSTED, /ASN pool/);
    const view = await t.admin.publicView();
    expect(view.nodes).toHaveLength(3);
    expect(view.experiments.map((e) => e.name)).toEqual(['e1']);
    expect(new Set([...view.nodes.map((n) => n.node.asn), view.experiments[0]!.asn]).size).toBe(4);
    const unused = (await t.admin.listInvitations()).filter((i) => !i.usedBy);
    expect(unused).toHaveLength(1);
  } finally {
    await t.close();
  }
});
