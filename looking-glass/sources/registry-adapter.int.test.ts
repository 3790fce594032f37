import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../registry/client.js';
import { decodeJoinString } from '../../registry/join-string.js';
import { startLocalEtcd, startLocalRegistry, wgPublicKey, type LocalRegistry } from '../../registry/local-registry.js';
import { createLookingGlass, type LookingGlass } from '../server/server.js';
import { RegistryPublicViewSource } from './registry-adapter.js';

// The looking glass fed by a real registry (real etcd, real TLS gRPC) through
// its typed client, holding a viewer credential as `looking-glass serve
// --registry-credential` does. No node answers here: the members, map nodes
// and experiments come from the registry alone.

let etcd: Awaited<ReturnType<typeof startLocalEtcd>>;
let t: LocalRegistry;
let lg: LookingGlass;
let base: string;
let nodeCredential: string;
let otherNodeCredential: string;
let viewerCredential: string;
const secrets: string[] = [];
const bodies: string[] = [];

async function get(path: string): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path);
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, json: JSON.parse(text) };
}

beforeAll(async () => {
  etcd = await startLocalEtcd();
  t = await startLocalRegistry({ etcd: [etcd.url] });
  await t.admin.createOrganization({ name: 'uni-a', description: 'University A' });
  await t.admin.createOrganization({ name: 'lab-b', description: 'Lab B' });
  secrets.push(t.state.adminCredential);
  for (const [org, name] of [['uni-a', 'garage-a'], ['lab-b', 'garage-b']] as const) {
    const { joinString } = await t.admin.createInvitation({ organization: org });
    const { client, invitation, secret } = await RegistryClient.fromJoinString(joinString);
    secrets.push(secret, decodeJoinString(joinString).secret);
    const res = await client.join({ invitation, secret, publicKey: wgPublicKey(), name, endpoints: ['192.0.2.77:51820'] });
    secrets.push(res.credential);
    if (name === 'garage-a') {
      await client.keepAlive(30);
      nodeCredential = res.credential;
    } else {
      otherNodeCredential = res.credential;
    }
    client.close();
  }
  // An unused invitation: its secret exists only in the join string.
  secrets.push(decodeJoinString((await t.admin.createInvitation({ organization: 'lab-b' })).joinString).secret);
  await t.admin.createExperiment({ name: 'anycast-test', owner: 'uni-a', description: 'anycast catchment', maxPrefixes: 4, maxUpdatesPerMinute: 60, maxMbits: 25, node: 'garage-a' });
  viewerCredential = (await t.admin.createViewer('looking-glass')).credential;
  secrets.push(viewerCredential);
  lg = createLookingGlass({
    source: { registry: new RegistryPublicViewSource(t.client(viewerCredential)), node: () => undefined },
    rateLimit: { burst: 10_000, perSecond: 10_000 },
    cache: { refreshIntervalMs: 200 },
  });
  base = await lg.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await lg?.close();
  await t?.close();
  await etcd?.close();
});

describe('the looking glass on a real registry', () => {
  it('lists the members, nodes, allocations and experiments the registry holds', async () => {
    const members = await get('/api/v1/members');
    expect(members.status).toBe(200);
    expect(members.json.organizations).toEqual(expect.arrayContaining([{ name: 'uni-a', description: 'University A', nodes: ['garage-a'] }]));
    const a = members.json.nodes.find((n: any) => n.name === 'garage-a');
    const view = await t.admin.publicView();
    const source = view.nodes.find((n) => n.node.name === 'garage-a')!.node;
    expect(a).toMatchObject({ asn: source.asn, online: true, loopbacks: { production: source.productionLoopbackV4, experimental: source.experimentalLoopbackV4 } });
    expect(members.json.nodes.find((n: any) => n.name === 'garage-b').online).toBe(false);
    expect(members.json.allocations.filter((x: any) => x.holder.name === 'garage-a').length).toBeGreaterThan(1);
    expect(members.json.pools).toContainEqual({ plane: 'experimental', prefix: view.mesh.experimentalV4 });
    const experiments = await get('/api/v1/experiments');
    expect(experiments.json.experiments).toEqual([expect.objectContaining({ name: 'anycast-test', owner: 'uni-a', state: 'active', attachedAt: ['garage-a'], limits: { maxPrefixes: 4, maxUpdatesPerMinute: 60, bandwidthMbit: 25 } })]);
  });

  it('shows the map with both garages, and says plainly that no node answers yet', async () => {
    const mesh = await get('/api/v1/mesh');
    expect(mesh.json.nodes.map((n: any) => n.name).sort()).toEqual(['garage-a', 'garage-b']);
    expect(mesh.json.nodes.every((n: any) => n.reporting === false)).toBe(true);
    const sessions = await get('/api/v1/nodes/garage-a/sessions');
    expect(sessions.status).toBe(503);
    expect(sessions.json.error.message).toMatch(/no fresh data from node garage-a \(no source for node garage-a\)/);
  });

  it('refuses probes outside the pools the registry publishes', async () => {
    const outside = await get('/api/v1/ping?node=garage-a&plane=production&target=192.0.2.77');
    expect(outside.status).toBe(400);
    expect(outside.json.error.hint).toContain((await t.admin.publicView()).mesh.productionV4);
  });

  it('shows an experiment\'s refusals from its audit log, read with the viewer credential', async () => {
    // What the node hosting the attachment records (node/experiments through AppendAuditLog).
    const node = t.client(nodeCredential);
    await node.appendAuditLog({ experiment: 'anycast-test', event: 'import.accepted', detail: '10.200.0.0/24: valid (peer anycast-test, experimental plane)' });
    await node.appendAuditLog({ experiment: 'anycast-test', event: 'import.rejected.origin-validation', detail: '10.201.0.0/24: invalid: AS65001 not authorized (peer anycast-test, experimental plane)' });
    await node.appendAuditLog({ experiment: 'anycast-test', event: 'session.ceased.max-prefix', detail: '5 prefixes, the limit is 4 (peer anycast-test, experimental plane)' });

    // The page's own API, once its cache has refreshed from the registry (bounded wait).
    let audit: any[] = [];
    for (const deadline = Date.now() + 10_000; audit.length < 2 && Date.now() < deadline;) {
      audit = (await get('/api/v1/experiments/anycast-test')).json.audit;
      if (audit.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    // The accepted route is not a refusal: two entries.
    expect(audit).toHaveLength(2);
    expect(audit.map((a) => [a.kind, a.node, a.prefix])).toEqual(expect.arrayContaining([
      ['max-prefix', 'garage-a', undefined],
      ['unauthorized-prefix', 'garage-a', '10.201.0.0/24'],
    ]));
    expect(audit.find((a) => a.kind === 'unauthorized-prefix')!.detail).toContain('not authorized');
    for (const a of audit) expect(Date.parse(a.time)).toBeGreaterThan(Date.now() - 60_000);
    const listed = (await get('/api/v1/experiments')).json.experiments.find((e: any) => e.name === 'anycast-test');
    expect(listed.audit).toEqual(audit);

    // A refusal recorded later comes in on a later refresh (read after the newest entry seen), newest first.
    await node.appendAuditLog({ experiment: 'anycast-test', event: 'import.rejected.bogon', detail: '192.168.0.0/16: bogon (peer anycast-test, experimental plane)' });
    let later: any[] = audit;
    for (const deadline = Date.now() + 10_000; later.length < 3 && Date.now() < deadline;) {
      later = (await get('/api/v1/experiments/anycast-test')).json.audit;
      if (later.length < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(later.map((a) => a.prefix)).toEqual(['192.168.0.0/16', ...audit.map((a) => a.prefix)]);
  });

  it('serves the view without audit logs when the registry refuses them, and nothing without a credential', async () => {
    // A node that does not host the experiment may read the view but not its log: no log, no failure.
    const refused = await new RegistryPublicViewSource(t.client(otherNodeCredential)).publicView();
    expect(refused.experiments.map((e) => [e.name, e.audit])).toEqual([['anycast-test', []]]);
    const anonymous = await new RegistryPublicViewSource(t.client()).publicView().then(() => null, (err: { code?: number; message: string }) => err);
    expect(anonymous).toMatchObject({ code: status.UNAUTHENTICATED, message: expect.stringMatching(/garagenet registry viewer add/) });
  });

  it('never shows a credential, an invitation secret or an underlay endpoint', async () => {
    for (const path of ['/api/v1', '/api/v1/nodes', '/api/v1/nodes/garage-a', '/api/v1/changes', '/api/v1/experiments/anycast-test']) await get(path);
    const everything = bodies.join('\n');
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toContain('192.0.2.77');
  });
});
