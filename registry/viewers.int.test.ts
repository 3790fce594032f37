import { credentials as grpcCredentials, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from './client.js';
import { parseCredential } from './credentials.js';
import { startLocalEtcd, startLocalRegistry, wgPublicKey, type LocalRegistry } from './local-registry.js';
import { serviceClient } from '../common/grpc-service.js';
import { expectRefusal } from './test-support/harness.js';

// Viewer credentials against a real etcd and a real TLS gRPC server: they
// read the public view and every experiment's audit log, and nothing else.

let etcd: Awaited<ReturnType<typeof startLocalEtcd>>;
let t: LocalRegistry;
let host: RegistryClient;
let hostName: string;

beforeAll(async () => {
  etcd = await startLocalEtcd();
  t = await startLocalRegistry({ etcd: [etcd.url] });
  await t.admin.createOrganization({ name: 'uni-a' });
  const { joinString } = await t.admin.createInvitation({ organization: 'uni-a' });
  const joined = await RegistryClient.fromJoinString(joinString);
  hostName = (await joined.client.join({ invitation: joined.invitation, secret: joined.secret, publicKey: wgPublicKey() })).node.name;
  host = joined.client;
  await t.admin.createExperiment({ name: 'hosted', owner: 'uni-a', durationSeconds: 3600 });
  await t.admin.createExperiment({ name: 'unattached', owner: 'uni-a', durationSeconds: 3600 });
  await host.attachExperiment('hosted', 'router 10.96.0.2');
  await host.appendAuditLog({ experiment: 'hosted', event: 'import.rejected.bogon', detail: '10.0.0.0/8: bogon' });
});

afterAll(async () => {
  host?.close();
  await t?.close();
  await etcd?.close();
});

/** Makes `method` with `credential` on a bare gRPC stub (every call of the service, also those the typed client has no method for); resolves to the status it ended with. */
function rawCall(method: string, credential: string): Promise<{ code: number; details: string }> {
  const Ctor = serviceClient('registry/Registry');
  const channel = grpcCredentials.createSsl(Buffer.from(t.state.certPem), null, null, { checkServerIdentity: () => undefined });
  const stub = new Ctor(t.address, channel, { 'grpc.ssl_target_name_override': 'registry.garagenet' }) as Client & Record<string, Function>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  const md = new Metadata();
  md.set('authorization', `Bearer ${credential}`);
  const done = (err: ServiceError | null): { code: number; details: string } => {
    stub.close();
    return { code: err?.code ?? status.OK, details: err?.details ?? '' };
  };
  return new Promise((resolve) => {
    if (serviceClient('registry/Registry').service[method]!.responseStream) {
      const stream = stub[method]!({}, md) as NodeJS.EventEmitter & { cancel(): void };
      stream.on('error', (err: ServiceError) => resolve(done(err)));
      stream.on('data', () => { stream.cancel(); resolve(done(null)); });
    } else {
      stub[method]!({}, md, { deadline: Date.now() + 8000 }, (err: ServiceError | null) => resolve(done(err)));
    }
  });
}

describe('viewer credentials', () => {
  let credential: string;

  it('are made by the administrator only, shown once, listed without their secret', async () => {
    const created = await t.admin.createViewer('lg');
    credential = created.credential;
    expect(parseCredential(credential)).toEqual({ kind: 'viewer', viewer: 'lg', secret: expect.any(String) });
    expect(created.viewer.name).toBe('lg');
    const listed = await t.admin.listViewers();
    expect(listed).toEqual([{ name: 'lg', createdAt: created.viewer.createdAt }]);
    expect(JSON.stringify(listed)).not.toContain(parseCredential(credential)!.secret);
    await expectRefusal(t.admin.createViewer('lg'), status.ALREADY_EXISTS, /viewer "lg" already exists/);
    await expectRefusal(t.admin.createViewer('Bad_Name'), status.INVALID_ARGUMENT, /^name: "Bad_Name"/);
    await expectRefusal(host.createViewer('mine'), status.PERMISSION_DENIED, /may not make administrator calls/);
    await expectRefusal(t.client(credential).createViewer('another'), status.PERMISSION_DENIED, /^viewer "lg" may not call CreateViewer/);
    expect((await t.admin.listViewers()).map((v) => v.name)).toEqual(['lg']);
  });

  it('read the public view and the audit log of any experiment, hosted or not', async () => {
    const viewer = t.client(credential);
    const view = await viewer.publicView();
    expect(view.experiments.map((e) => [e.name, e.node]).sort()).toEqual([['hosted', hostName], ['unattached', '']]);
    expect((await viewer.listAuditLog('hosted')).map((e) => [e.node, e.event])).toEqual([[hostName, 'attached'], [hostName, 'import.rejected.bogon']]);
    expect(await viewer.listAuditLog('unattached')).toEqual([]);
    await expectRefusal(viewer.listAuditLog('ghost'), status.NOT_FOUND, /experiment "ghost" does not exist/);
    // Nodes and the administrator keep what they had.
    expect((await host.publicView()).revision).toBeGreaterThan(0);
    await expectRefusal(host.listAuditLog('unattached'), status.PERMISSION_DENIED, /does not host experiment "unattached"/);
    expect(await t.admin.listAuditLog('unattached')).toEqual([]);
  });

  it('are refused every other call, by the call\'s name', async () => {
    // Join takes no credential at all: it is authenticated by the invitation's secret in the request.
    const others = Object.keys(serviceClient('registry/Registry').service).filter((m) => !['GetPublicView', 'ListAuditLog', 'Join'].includes(m));
    expect(others).toEqual(expect.arrayContaining(['Watch', 'AppendAuditLog', 'SetExperimentState', 'KeepAlive', 'ListNodes', 'ListInvitations', 'RemoveViewer']));
    for (const method of others) {
      expect({ method, ...(await rawCall(method, credential)) }).toEqual({
        method, code: status.PERMISSION_DENIED,
        details: `viewer "lg" may not call ${method}: a viewer credential reads only GetPublicView and ListAuditLog`,
      });
    }
    expect(await rawCall('GetPublicView', credential)).toEqual({ code: status.OK, details: '' });
  });

  it('leave GetPublicView refused without a credential or with a forged one', async () => {
    await expectRefusal(t.client().publicView(), status.UNAUTHENTICATED, /GetPublicView needs a credential: a viewer's \(make one with `garagenet registry viewer add NAME --out FILE`\)/);
    await expectRefusal(t.client().listAuditLog('hosted'), status.UNAUTHENTICATED, /ListAuditLog needs a credential/);
    await expectRefusal(t.client('gnviewer.lg.forged').publicView(), status.UNAUTHENTICATED, /viewer credential for "lg" is not valid/);
    await expectRefusal(t.client('gnviewer.nobody.x').publicView(), status.UNAUTHENTICATED, /viewer credential for "nobody" is not valid/);
  });

  it('once removed, are refused', async () => {
    const viewer = t.client(credential);
    expect((await viewer.publicView()).experiments).toHaveLength(2);
    expect(await t.admin.removeViewer('lg')).toMatchObject({ name: 'lg' });
    await expectRefusal(viewer.publicView(), status.UNAUTHENTICATED, /viewer credential for "lg" is not valid \(the viewer may have been removed\)/);
    await expectRefusal(viewer.listAuditLog('hosted'), status.UNAUTHENTICATED, /viewer credential for "lg" is not valid/);
    await expectRefusal(t.admin.removeViewer('lg'), status.NOT_FOUND, /viewer "lg" does not exist/);
    expect(await t.admin.listViewers()).toEqual([]);
    // The same name may be made again, with a new secret: the old credential stays refused.
    const again = await t.admin.createViewer('lg');
    expect(again.credential).not.toBe(credential);
    await expectRefusal(viewer.publicView(), status.UNAUTHENTICATED, /not valid/);
    expect((await t.client(again.credential).publicView()).experiments).toHaveLength(2);
  });
});
