import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix, prefixContains, prefixContainsAddress } from '../common/prefix.js';
import { RegistryClient } from './client.js';
import { decodeJoinString, encodeJoinString } from './join-string.js';
import { startLocalEtcd, startLocalRegistry, wgPublicKey, type LocalRegistry } from './local-registry.js';
import { KeyLayout } from './keys.js';
import { connectEtcd } from './store.js';
import { expectRefusal } from './test-support/harness.js';

// Every registry call against a real etcd and a real TLS gRPC server, with its refusals.

let etcd: Awaited<ReturnType<typeof startLocalEtcd>>;
let t: LocalRegistry;

beforeAll(async () => {
  etcd = await startLocalEtcd();
  t = await startLocalRegistry({ etcd: [etcd.url] });
  await t.admin.createOrganization({ name: 'uni-a', description: 'University A' });
  await t.admin.createOrganization({ name: 'lab-b' });
});

afterAll(async () => {
  await t?.close();
  await etcd?.close();
});

async function joinNode(org: string, name?: string): Promise<{ client: RegistryClient; res: Awaited<ReturnType<RegistryClient['join']>> }> {
  const { joinString } = await t.admin.createInvitation({ organization: org });
  const { client, invitation, secret } = await RegistryClient.fromJoinString(joinString);
  const res = await client.join({ invitation, secret, publicKey: wgPublicKey(), ...(name ? { name } : {}), endpoints: ['192.0.2.10:51820'] });
  return { client, res };
}

describe('credentials', () => {
  it('serves the public view only with a credential, and refuses admin calls without the admin credential', async () => {
    const view = await t.admin.publicView();
    expect(view.mesh.name).toBe('testmesh');
    expect(view.organizations.map((o) => o.name).sort()).toEqual(['lab-b', 'uni-a']);
    await expectRefusal(t.client().publicView(), status.UNAUTHENTICATED, /^GetPublicView needs a credential: a viewer's \(make one with `garagenet registry viewer add NAME --out FILE`\)/);
    await expectRefusal(t.client().listNodes(), status.UNAUTHENTICATED, /administrator credential/);
    await expectRefusal(t.client('gnadmin.forged').listNodes(), status.UNAUTHENTICATED, /administrator credential is not valid/);
    await expectRefusal(t.client('garbage').listNodes(), status.UNAUTHENTICATED, /malformed/);
    const { client } = await joinNode('uni-a');
    await expectRefusal(client.listNodes(), status.PERMISSION_DENIED, /may not make administrator calls/);
    await expectRefusal(client.createOrganization({ name: 'evil' }), status.PERMISSION_DENIED, /administrator/);
  });
});

describe('organizations and invitations', () => {
  it('creates organizations once, with valid names', async () => {
    await expectRefusal(t.admin.createOrganization({ name: 'uni-a' }), status.ALREADY_EXISTS, /organization "uni-a" already exists/);
    await expectRefusal(t.admin.createOrganization({ name: 'Bad_Name' }), status.INVALID_ARGUMENT, /^name: "Bad_Name"/);
    expect((await t.admin.listOrganizations()).find((o) => o.name === 'uni-a')?.description).toBe('University A');
  });

  it('invites only into existing organizations and never shows secrets', async () => {
    await expectRefusal(t.admin.createInvitation({ organization: 'nope' }), status.NOT_FOUND, /organization "nope" does not exist/);
    await expectRefusal(t.admin.createInvitation({ organization: 'uni-a', expiresInSeconds: 90 * 86_400 }), status.INVALID_ARGUMENT, /^expires_in_seconds/);
    const { invitation, joinString } = await t.admin.createInvitation({ organization: 'lab-b', expiresInSeconds: 3600 });
    const ticket = decodeJoinString(joinString);
    expect(ticket.registry).toBe(t.address);
    const listed = await t.admin.listInvitations();
    const mine = listed.find((i) => i.id === invitation.id);
    expect(mine?.organization).toBe('lab-b');
    expect(JSON.stringify(listed)).not.toContain(ticket.secret);
    expect(JSON.stringify(listed)).not.toMatch(/secretHash|[0-9a-f]{64}/);
  });
});

describe('join', () => {
  it('registers a node with loopbacks in both planes, an ASN, a garage prefix and a credential', async () => {
    const { client, res } = await joinNode('uni-a', 'garage-1');
    const mesh = res.mesh;
    expect(res.node.name).toBe('garage-1');
    expect(res.node.organization).toBe('uni-a');
    expect(prefixContainsAddress(parsePrefix(mesh.productionV4), parseAddress(res.node.productionLoopbackV4))).toBe(true);
    expect(prefixContainsAddress(parsePrefix(mesh.productionV6), parseAddress(res.node.productionLoopbackV6))).toBe(true);
    expect(prefixContainsAddress(parsePrefix(mesh.experimentalV4), parseAddress(res.node.experimentalLoopbackV4))).toBe(true);
    expect(prefixContainsAddress(parsePrefix(mesh.experimentalV6), parseAddress(res.node.experimentalLoopbackV6))).toBe(true);
    expect(res.node.asn).toBeGreaterThanOrEqual(mesh.asnFirst);
    expect(res.node.asn).toBeLessThanOrEqual(mesh.asnLast);
    const garage = res.allocations.filter((a) => a.purpose === 'garage');
    expect(garage.map((a) => a.plane)).toEqual(['production', 'production']);
    expect(prefixContains(parsePrefix(mesh.productionV4), parsePrefix(garage[0]!.prefix))).toBe(true);
    expect(res.authorizations.every((a) => a.originAsn === res.node.asn)).toBe(true);
    expect(res.credential).toMatch(/^gnnode\.garage-1\./);
    // The credential works for node calls, and the public view shows the node without secrets.
    const updated = await client.updateEndpoints(['198.51.100.7:51820']);
    expect(updated.endpoints).toEqual(['198.51.100.7:51820']);
    const view = await t.admin.publicView();
    const listed = view.nodes.find((n) => n.node.name === 'garage-1');
    expect(listed?.node.publicKey).toBe(res.node.publicKey);
    expect(JSON.stringify(view)).not.toContain(res.credential.split('.')[2]);
  });

  it('refuses a used, forged or expired join string', async () => {
    const { joinString } = await t.admin.createInvitation({ organization: 'uni-a' });
    const first = await RegistryClient.fromJoinString(joinString);
    await first.client.join({ invitation: first.invitation, secret: first.secret, publicKey: wgPublicKey() });
    const again = await RegistryClient.fromJoinString(joinString);
    await expectRefusal(again.client.join({ invitation: again.invitation, secret: again.secret, publicKey: wgPublicKey() }), status.PERMISSION_DENIED, /already used by node/);

    const forged = await t.admin.createInvitation({ organization: 'uni-a' });
    const ticket = decodeJoinString(forged.joinString);
    const f = await RegistryClient.fromJoinString(encodeJoinString({ ...ticket, secret: 'Z'.repeat(43) }));
    await expectRefusal(f.client.join({ invitation: f.invitation, secret: f.secret, publicKey: wgPublicKey() }), status.UNAUTHENTICATED, /not valid for this registry/);

    const short = await t.admin.createInvitation({ organization: 'uni-a', expiresInSeconds: 1 });
    await new Promise((r) => setTimeout(r, 1200));
    const s = await RegistryClient.fromJoinString(short.joinString);
    await expectRefusal(s.client.join({ invitation: s.invitation, secret: s.secret, publicKey: wgPublicKey() }), status.PERMISSION_DENIED, /expired at/);
  });

  it('refuses, before sending the secret, a registry whose certificate does not match the pin', async () => {
    const { joinString } = await t.admin.createInvitation({ organization: 'uni-a' });
    const ticket = decodeJoinString(joinString);
    const wrongPin = encodeJoinString({ ...ticket, pin: `sha256:${'x'.repeat(43)}` });
    await expect(RegistryClient.fromJoinString(wrongPin)).rejects.toThrow(/does not match the join string.*nothing was sent/);
    // The invitation is untouched and still redeemable with the right pin.
    const ok = await RegistryClient.fromJoinString(joinString);
    const res = await ok.client.join({ invitation: ok.invitation, secret: ok.secret, publicKey: wgPublicKey() });
    expect(res.node.organization).toBe('uni-a');
  });

  it('refuses bad fields by name and leaves nothing half-written (the invitation stays usable)', async () => {
    const { joinString } = await t.admin.createInvitation({ organization: 'lab-b' });
    const j = await RegistryClient.fromJoinString(joinString);
    const base = { invitation: j.invitation, secret: j.secret, publicKey: wgPublicKey() };
    await expectRefusal(j.client.join({ ...base, publicKey: 'not-a-key' }), status.INVALID_ARGUMENT, /^public_key:/);
    await expectRefusal(j.client.join({ ...base, endpoints: ['nowhere'] }), status.INVALID_ARGUMENT, /^endpoints\[0\]:/);
    await expectRefusal(j.client.join({ ...base, name: 'garage-1' }), status.ALREADY_EXISTS, /node "garage-1" already exists/);
    const before = (await t.admin.listAllocations()).length;
    const res = await j.client.join({ ...base, name: 'garage-2' });
    expect(res.node.name).toBe('garage-2');
    expect((await t.admin.listAllocations()).length).toBe(before + 6);
  });
});

describe('node calls', () => {
  it('lets a node change only its own records', async () => {
    const a = await joinNode('uni-a');
    const b = await joinNode('lab-b');
    // A's name with B's secret is not a credential.
    const mixed = `gnnode.${a.res.node.name}.${b.res.credential.split('.')[2]}`;
    await expectRefusal(t.client(mixed).updateEndpoints(['192.0.2.1:1']), status.UNAUTHENTICATED, /node credential/);
    await expectRefusal(t.admin.updateEndpoints(['192.0.2.1:1']), status.PERMISSION_DENIED, /node's own records/);
    await expectRefusal(a.client.updateEndpoints(['192.0.2.1:99999']), status.INVALID_ARGUMENT, /^endpoints\[0\]/);
    const newKey = wgPublicKey();
    const rotated = await a.client.rotateKey(newKey);
    expect(rotated.publicKey).toBe(newKey);
    expect(rotated.previousPublicKey).toBe(a.res.node.publicKey);
    await expectRefusal(a.client.rotateKey(newKey), status.INVALID_ARGUMENT, /^public_key: is the key the node already has/);
    const bNow = (await t.admin.listNodes()).find((n) => n.node.name === b.res.node.name)!;
    expect(bNow.node.publicKey).toBe(b.res.node.publicKey);
  });

  it('shows a node online while it keeps its lease alive', async () => {
    const { client, res } = await joinNode('uni-a');
    const online = async (): Promise<boolean> => (await t.admin.publicView()).nodes.find((n) => n.node.name === res.node.name)!.online;
    expect(await online()).toBe(false);
    const k = await client.keepAlive(5);
    expect(k.ttlSeconds).toBe(5);
    expect(await online()).toBe(true);
    const again = await client.keepAlive(5);
    expect(again.onlineSince).toBe(k.onlineSince);
    await expectRefusal(client.keepAlive(1), status.INVALID_ARGUMENT, /^ttl_seconds/);
  });

  it('releases everything on leave, and the credential stops working', async () => {
    const { client, res } = await joinNode('lab-b');
    await client.keepAlive(30);
    const released = await client.leave();
    expect(released.sort()).toEqual(res.allocations.map((a) => a.prefix).sort());
    const view = await t.admin.publicView();
    expect(view.nodes.some((n) => n.node.name === res.node.name)).toBe(false);
    expect(view.allocations.some((a) => a.holder === res.node.name)).toBe(false);
    expect(view.authorizations.some((a) => a.holder === res.node.name)).toBe(false);
    await expectRefusal(client.keepAlive(), status.UNAUTHENTICATED, /not valid/);
  });
});

describe('node removal by the administrator', () => {
  it('removes a node with everything it holds; its credential stops working', async () => {
    const { client, res } = await joinNode('uni-a');
    const released = await t.admin.removeNode(res.node.name);
    expect(released.sort()).toEqual(res.allocations.map((a) => a.prefix).sort());
    expect((await t.admin.listNodes()).some((n) => n.node.name === res.node.name)).toBe(false);
    await expectRefusal(client.updateEndpoints([]), status.UNAUTHENTICATED, /not valid/);
    await expectRefusal(t.admin.removeNode(res.node.name), status.NOT_FOUND, /does not exist/);
    await expectRefusal(t.admin.removeNode('Bad Name'), status.INVALID_ARGUMENT, /^name:/);
    await expectRefusal(client.removeNode('x'), status.UNAUTHENTICATED, /not valid/);
  });
});

describe('experiments and authorizations', () => {
  it('creates an experiment with its own experimental space, ASN, limits and authorizations', async () => {
    const host = await joinNode('uni-a');
    const exp = await t.admin.createExperiment({ name: 'bgp-fuzz', owner: 'uni-a', maxPrefixes: 5, maxUpdatesPerMinute: 30, durationSeconds: 3600, node: host.res.node.name });
    const mesh = await t.admin.getMesh();
    expect(exp.prefixes).toHaveLength(2);
    expect(prefixContains(parsePrefix(mesh.experimentalV4), parsePrefix(exp.prefixes[0]!))).toBe(true);
    expect(prefixContains(parsePrefix(mesh.experimentalV6), parsePrefix(exp.prefixes[1]!))).toBe(true);
    expect(exp).toMatchObject({ maxPrefixes: 5, maxUpdatesPerMinute: 30, maxMbits: 10, state: 'active', node: host.res.node.name });
    expect(Date.parse(exp.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    const nodeAsns = (await t.admin.listNodes()).map((n) => n.node.asn);
    expect(nodeAsns).not.toContain(exp.asn);
    const auths = (await t.admin.listAuthorizations()).filter((a) => a.holder === 'bgp-fuzz');
    expect(auths.map((a) => [a.prefix, a.plane, a.originAsn])).toEqual(exp.prefixes.map((p) => [p, 'experimental', exp.asn]));

    await expectRefusal(t.admin.createExperiment({ name: 'bgp-fuzz', owner: 'uni-a' }), status.ALREADY_EXISTS, /experiment "bgp-fuzz"/);
    await expectRefusal(t.admin.createExperiment({ name: 'x1', owner: 'ghost' }), status.NOT_FOUND, /organization "ghost"/);
    await expectRefusal(t.admin.createExperiment({ name: 'x2', owner: 'uni-a', node: 'ghost' }), status.NOT_FOUND, /node "ghost"/);
    await expectRefusal(t.admin.createExperiment({ name: 'x3', owner: 'uni-a', maxPrefixes: 1_000_000 }), status.INVALID_ARGUMENT, /^max_prefixes/);
    await expectRefusal(t.admin.createExperiment({ name: 'x4', owner: 'uni-a', prefixLength: 23 }), status.INVALID_ARGUMENT, /^prefix_length: 23 is outside 24..28/);
    const small = await t.admin.createExperiment({ name: 'x5', owner: 'uni-a', prefixLength: 27 });
    expect(small.prefixes[0]).toMatch(/\/27$/);
    expect(small.maxPrefixes).toBe(100);
    await expectRefusal(t.admin.createExperiment({ name: 'x6', owner: 'uni-a', maxMbits: 5000 }), status.INVALID_ARGUMENT, /^max_mbits: 5000 is outside 1..1000/);
    const slow = await t.admin.createExperiment({ name: 'x7', owner: 'uni-a', maxMbits: 2 });
    expect([slow.maxMbits, (await t.admin.publicView()).experiments.find((e) => e.name === 'x7')?.maxMbits]).toEqual([2, 2]);
    const smallAuth = (await t.admin.listAuthorizations()).find((a) => a.holder === 'x5' && a.prefix === small.prefixes[0]);
    expect(smallAuth).toMatchObject({ maxLength: 28, originAsn: small.asn });

    // The audit log: the hosting node may append, another node may not.
    const entry = await host.client.appendAuditLog({ experiment: 'bgp-fuzz', event: 'max-prefix.exceeded', detail: '6 > 5' });
    expect(entry.node).toBe(host.res.node.name);
    const other = await joinNode('lab-b');
    await expectRefusal(other.client.appendAuditLog({ experiment: 'bgp-fuzz', event: 'x' }), status.PERMISSION_DENIED, /does not host/);
    await expectRefusal(host.client.appendAuditLog({ experiment: 'bgp-fuzz', event: 'Bad Event' }), status.INVALID_ARGUMENT, /^event/);
    const log = await t.admin.listAuditLog('bgp-fuzz');
    expect(log.map((e) => [e.event, e.detail])).toEqual([['max-prefix.exceeded', '6 > 5']]);

    const stopped = await t.admin.setExperimentState('bgp-fuzz', 'stopped');
    expect(stopped.state).toBe('stopped');
    await expectRefusal(t.admin.setExperimentState('bgp-fuzz', 'paused'), status.INVALID_ARGUMENT, /^state: "paused"/);
    await expectRefusal(t.admin.setExperimentState('ghost', 'stopped'), status.NOT_FOUND, /experiment "ghost"/);
    expect((await t.admin.listExperiments()).find((e) => e.name === 'bgp-fuzz')?.state).toBe('stopped');
  });

  it('makes the attaching node the host: it alone may log, read the log and stop; everyone else is refused by name', async () => {
    const host = await joinNode('uni-a');
    const other = await joinNode('lab-b');
    const [h, o] = [host.res.node.name, other.res.node.name];
    await t.admin.createExperiment({ name: 'route-lab', owner: 'uni-a', durationSeconds: 3600 });
    // Before anyone attaches, no node hosts it.
    await expectRefusal(host.client.listAuditLog('route-lab'), status.PERMISSION_DENIED, new RegExp(`node "${h}" does not host experiment "route-lab" \\(no node has attached it\\)`));
    await expectRefusal(t.admin.attachExperiment('route-lab'), status.PERMISSION_DENIED, /only a node attaches experiment "route-lab"/);

    const attached = await host.client.attachExperiment('route-lab', 'router 10.96.0.2 on gx1a');
    expect(attached.node).toBe(h);
    expect((await t.admin.publicView()).experiments.find((e) => e.name === 'route-lab')?.node).toBe(h);
    await expectRefusal(other.client.attachExperiment('route-lab'), status.PERMISSION_DENIED, new RegExp(`node "${o}" may not attach experiment "route-lab": node "${h}" hosts it`));
    await host.client.appendAuditLog({ experiment: 'route-lab', event: 'import.accepted', detail: '10.96.0.0/24' });
    expect((await host.client.listAuditLog('route-lab')).map((e) => [e.node, e.event, e.detail])).toEqual([
      [h, 'attached', 'router 10.96.0.2 on gx1a'], [h, 'import.accepted', '10.96.0.0/24'],
    ]);

    const refusal = new RegExp(`node "${o}" does not host experiment "route-lab" \\(node "${h}" hosts it\\)`);
    await expectRefusal(other.client.listAuditLog('route-lab'), status.PERMISSION_DENIED, refusal);
    await expectRefusal(other.client.setExperimentState('route-lab', 'stopped'), status.PERMISSION_DENIED, refusal);
    await expectRefusal(other.client.appendAuditLog({ experiment: 'route-lab', event: 'x' }), status.PERMISSION_DENIED, refusal);
    await expectRefusal(host.client.setExperimentState('route-lab', 'active'), status.PERMISSION_DENIED, /may only stop experiment "route-lab"/);
    await expectRefusal(t.client().setExperimentState('route-lab', 'stopped'), status.UNAUTHENTICATED, /credential/);
    expect((await t.admin.listExperiments()).find((e) => e.name === 'route-lab')?.state).toBe('active');

    expect((await host.client.setExperimentState('route-lab', 'stopped')).state).toBe('stopped');
    expect((await t.admin.listExperiments()).find((e) => e.name === 'route-lab')?.state).toBe('stopped');
    // Stopped is final for the node: it cannot attach it again.
    await expectRefusal(host.client.attachExperiment('route-lab'), status.FAILED_PRECONDITION, /experiment "route-lab" is stopped; it cannot be attached/);
  });

  it("appends a node's batch of audit entries in order, at its decision times, all or none", async () => {
    const host = await joinNode('uni-a');
    const other = await joinNode('lab-b');
    await t.admin.createExperiment({ name: 'batched', owner: 'uni-a', durationSeconds: 3600 });
    await host.client.attachExperiment('batched', 'router');
    // Four decisions in one millisecond, then one later: the log keeps the batch's order.
    const at = new Date(Date.now() - 5000).toISOString();
    const events = ['a', 'b', 'c', 'd'].map((x) => ({ event: `import.rejected.${x}`, detail: x, at }));
    const entries = await host.client.appendAuditLogBatch('batched', events);
    expect(entries.map((e) => [e.event, e.at, e.node])).toEqual(events.map((e) => [e.event, at, host.res.node.name]));
    await host.client.appendAuditLogBatch('batched', [{ event: 'import.accepted', detail: 'e', at: new Date(Date.now() - 1000).toISOString() }]);
    const batchedDetails = async (): Promise<string[]> => (await t.admin.listAuditLog('batched')).filter((e) => e.event.startsWith('import.')).map((e) => e.detail);
    expect(await batchedDetails()).toEqual(['a', 'b', 'c', 'd', 'e']);

    const ok = { event: 'import.accepted', detail: 'x', at: new Date().toISOString() };
    const refused = (call: Promise<unknown>, code: number, message: RegExp) => expectRefusal(call, code, message);
    await refused(host.client.appendAuditLogBatch('batched', Array.from({ length: 101 }, () => ok)), status.INVALID_ARGUMENT, /^events: 101 entries; 1..100 a call/);
    await refused(host.client.appendAuditLogBatch('batched', []), status.INVALID_ARGUMENT, /^events: 0 entries/);
    await refused(host.client.appendAuditLogBatch('batched', [ok, { ...ok, at: 'yesterday' }]), status.INVALID_ARGUMENT, /^events\[1\]\.at: "yesterday" is not an ISO 8601 UTC time/);
    const ahead = new Date(Date.now() + 3_600_000).toISOString();
    await refused(host.client.appendAuditLogBatch('batched', [{ ...ok, at: ahead }]), status.INVALID_ARGUMENT, /^events\[0\]\.at: .* ahead of the registry's clock by more than 5 minutes/);
    await refused(host.client.appendAuditLogBatch('batched', [ok, ok, { ...ok, event: 'Bad' }]), status.INVALID_ARGUMENT, /^events\[2\]\.event: "Bad"/);
    await refused(other.client.appendAuditLogBatch('batched', [ok]), status.PERMISSION_DENIED, /does not host experiment "batched"/);
    await refused(host.client.appendAuditLogBatch('ghost', [ok]), status.NOT_FOUND, /experiment "ghost"/);
    expect(await batchedDetails()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('stops experiments past their expiry, with an audit entry, and will not restart them', async () => {
    await t.admin.createExperiment({ name: 'short', owner: 'lab-b', durationSeconds: 1 });
    expect(await t.registry.service.experiments.stopExpired()).not.toContain('short');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await t.registry.service.experiments.stopExpired()).toContain('short');
    expect((await t.admin.listExperiments()).find((e) => e.name === 'short')?.state).toBe('stopped');
    expect((await t.admin.listAuditLog('short')).map((e) => e.event)).toEqual(['expired']);
    expect(await t.registry.service.experiments.stopExpired()).not.toContain('short');
    await expectRefusal(t.admin.setExperimentState('short', 'active'), status.FAILED_PRECONDITION, /expired at/);
  });

  it('reads an experiment stored before max_mbits existed with the default rate, everywhere it is shown', async () => {
    await t.admin.createExperiment({ name: 'legacy', owner: 'lab-b', maxMbits: 7 });
    const etcdClient = connectEtcd([etcd.url]);
    try {
      const key = new KeyLayout().experiment('legacy');
      const stored = JSON.parse((await etcdClient.get(key).string())!) as Record<string, unknown>;
      delete stored.maxMbits;
      await etcdClient.put(key).value(JSON.stringify(stored));
    } finally {
      etcdClient.close();
    }
    expect((await t.admin.listExperiments()).find((e) => e.name === 'legacy')?.maxMbits).toBe(10);
    expect((await t.admin.publicView()).experiments.find((e) => e.name === 'legacy')?.maxMbits).toBe(10);
    expect((await t.admin.setExperimentState('legacy', 'stopped')).maxMbits).toBe(10);
  });

  it('adds authorizations only inside the pools of their plane', async () => {
    const mesh = await t.admin.getMesh();
    const added = await t.admin.addAuthorization({ prefix: '10.96.200.0/24', maxLength: 26, originAsn: 4_200_000_001, plane: 'experimental' });
    expect(added).toMatchObject({ prefix: '10.96.200.0/24', maxLength: 26, plane: 'experimental' });
    expect(mesh.experimentalV4).toBe('10.96.0.0/11');
    await expectRefusal(t.admin.addAuthorization({ prefix: '10.96.200.0/24', originAsn: 1, plane: 'production' }), status.INVALID_ARGUMENT, /^prefix: .*outside the production pool/);
    await expectRefusal(t.admin.addAuthorization({ prefix: '10.96.200.1/24', originAsn: 1, plane: 'experimental' }), status.INVALID_ARGUMENT, /^prefix: .*host bits/);
    await expectRefusal(t.admin.addAuthorization({ prefix: '10.96.200.0/24', maxLength: 20, originAsn: 1, plane: 'experimental' }), status.INVALID_ARGUMENT, /^max_length/);
    await expectRefusal(t.admin.addAuthorization({ prefix: '10.96.200.0/24', originAsn: 1, plane: 'both' }), status.INVALID_ARGUMENT, /^plane/);
  });
});

describe('metrics', () => {
  it('counts calls by method and status on /metrics', async () => {
    const { startMetricsServer } = await import('./metrics.js');
    const { freePort } = await import('../common/free-port.js');
    const listen = `127.0.0.1:${await freePort()}`;
    const server = await startMetricsServer(listen);
    try {
      await expectRefusal(t.admin.createOrganization({ name: 'uni-a' }), status.ALREADY_EXISTS, /already exists/);
      const text = await (await fetch(`http://${listen}/metrics`)).text();
      const count = (method: string, code: string): number =>
        Number(new RegExp(`garagenet_registry_calls_total\\{method="${method}",code="${code}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      expect(count('CreateOrganization', 'ALREADY_EXISTS')).toBeGreaterThanOrEqual(1);
      expect(count('Join', 'OK')).toBeGreaterThanOrEqual(5);
      expect(text).toMatch(/garagenet_registry_watch_batches_total \d+/);
      expect((await fetch(`http://${listen}/other`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
