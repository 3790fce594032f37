import {
  Server, ServerCredentials, status, type Metadata, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { createLogger } from '../common/log.js';
import { parseCredential } from './credentials.js';
import { metrics } from './metrics.js';
import type { WatchResponse } from './model.js';
import { serviceClient } from '../common/grpc-service.js';
import { permissionDenied, toRpcError, unauthenticated } from './rpc-error.js';
import type { Caller, RegistryService } from './service.js';
import type { Store } from './store.js';
import { WatchHub } from './watch-hub.js';

/**
 * The gRPC front door: TLS, credentials from metadata, one handler per call
 * delegating to RegistryService, every failure mapped to its gRPC status.
 */

/**
 * Who may call: 'public' needs no credential (only Join, which carries the
 * invitation's single-use secret); 'reader' any credential, a viewer's too;
 * 'member' a node or the administrator; 'node' a node (an administrator is
 * refused by the handler); 'admin' the administrator.
 */
type Access = 'public' | 'reader' | 'member' | 'node' | 'admin';
type Handler = (request: any, caller: Caller) => Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Responses queued on one Watch stream before it is cut as too slow. */
const MAX_QUEUED_RESPONSES = 10_000;

export interface RunningServer {
  port: number;
  hub: WatchHub;
  close(): Promise<void>;
}

export async function startServer(
  service: RegistryService,
  options: { store: Store; listen: string; keyPem: string; certPem: string },
): Promise<RunningServer> {
  const log = createLogger('registry').child({ listen: options.listen });
  const definition = serviceClient('registry/Registry').service;
  const watchDef = definition.Watch!;
  const encodeWatch = (r: WatchResponse): Buffer => watchDef.responseSerialize(r);
  const hub = new WatchHub(options.store, encodeWatch);
  await hub.start();

  const needs: Record<Exclude<Access, 'public'>, string> = {
    reader: 'a credential: a viewer\'s (make one with `garagenet registry viewer add NAME --out FILE`), a node\'s or the administrator\'s',
    member: 'a node or administrator credential',
    node: 'a node credential',
    admin: 'the administrator credential',
  };

  async function identify(metadata: Metadata, call: string, access: Access): Promise<Caller> {
    if (access === 'public') return { kind: 'public' };
    const header = metadata.get('authorization')[0];
    const text = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!text) throw unauthenticated(`${call} needs ${needs[access]} (metadata "authorization: Bearer ...")`);
    const credential = parseCredential(text);
    if (!credential) throw unauthenticated('credential is malformed');
    switch (credential.kind) {
      case 'admin':
        // Admin on a node call: the handler refuses with PERMISSION_DENIED, since it changes a node's own records.
        await service.authenticateAdmin(credential.secret);
        return { kind: 'admin' };
      case 'node': {
        const node = await service.authenticateNode(credential.node, credential.secret);
        if (access === 'admin') throw permissionDenied(`node "${node}" may not make administrator calls`);
        return { kind: 'node', node };
      }
      case 'viewer': {
        const viewer = await service.viewers.authenticate(credential.viewer, credential.secret);
        if (access !== 'reader') throw permissionDenied(`viewer "${viewer}" may not call ${call}: a viewer credential reads only GetPublicView and ListAuditLog`);
        return { kind: 'viewer', viewer };
      }
    }
  }

  function unary(name: string, access: Access, handler: Handler) {
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
      identify(call.metadata, name, access)
        .then((caller) => handler(call.request, caller))
        .then((response) => {
          metrics.calls.inc({ method: name, code: 'OK' });
          callback(null, response);
        })
        .catch((err: unknown) => {
          const rpc = toRpcError(err);
          metrics.calls.inc({ method: name, code: status[rpc.code] });
          if (rpc.code === status.INTERNAL || rpc.code === status.UNAVAILABLE) log.error({ call: name, err }, 'call failed');
          callback({ code: rpc.code, details: rpc.message });
        });
    };
  }

  function watch(call: ServerWritableStream<{ fromRevision: number }, Buffer>): void {
    let unsubscribe: (() => void) | null = null;
    let ended = false;
    metrics.watchStreams.inc();
    const end = (): void => {
      if (ended) return;
      ended = true;
      metrics.watchStreams.dec();
      unsubscribe?.();
    };
    call.on('cancelled', end);
    call.on('close', end);
    const send = (bytes: Buffer): void => {
      if (ended) return;
      // A stream that stops reading must not hold the registry's memory: cut it; it resumes from its revision.
      if (call.writableLength > MAX_QUEUED_RESPONSES) {
        end();
        call.emit('error', { code: status.RESOURCE_EXHAUSTED, details: 'watch stream fell too far behind; watch again from your last revision' });
        return;
      }
      call.write(bytes);
    };
    identify(call.metadata, 'Watch', 'member')
      .then(() => hub.subscribe(call.request.fromRevision, send))
      .then((stop) => {
        unsubscribe = stop;
        if (ended) stop();
      })
      .catch((err: unknown) => {
        const rpc = toRpcError(err);
        call.emit('error', { code: rpc.code, details: rpc.message });
      });
  }

  const s = service;
  const implementation: UntypedServiceImplementation = {
    GetPublicView: unary('GetPublicView', 'reader', () => s.publicView()),
    Join: unary('Join', 'public', (r) => s.join(r)),
    Watch: watch,
    UpdateEndpoints: unary('UpdateEndpoints', 'node', (r, c) => s.updateEndpoints(c, r.endpoints)),
    RotateKey: unary('RotateKey', 'node', (r, c) => s.rotateKey(c, r.publicKey)),
    KeepAlive: unary('KeepAlive', 'node', (r, c) => s.keepAlive(c, r.ttlSeconds)),
    Leave: unary('Leave', 'node', async (_r, c) => ({ released: await s.leave(c) })),
    AppendAuditLog: unary('AppendAuditLog', 'member', (r, c) => s.experiments.appendAuditLog(c, r)),
    AppendAuditLogBatch: unary('AppendAuditLogBatch', 'member', async (r, c) => ({ entries: await s.experiments.appendAuditLogBatch(c, r) })),
    AttachExperiment: unary('AttachExperiment', 'member', (r, c) => s.experiments.attach(c, r)),
    SetExperimentState: unary('SetExperimentState', 'member', (r, c) => s.experiments.setState(c, r)),
    ListAuditLog: unary('ListAuditLog', 'reader', (r, c) => s.experiments.listAuditLog(c, r)),
    GetMesh: unary('GetMesh', 'admin', async () => s.mesh),
    CreateOrganization: unary('CreateOrganization', 'admin', (r) => s.createOrganization(r)),
    ListOrganizations: unary('ListOrganizations', 'admin', async () => ({ organizations: await s.listOrganizations() })),
    CreateInvitation: unary('CreateInvitation', 'admin', (r) => s.createInvitation(r)),
    ListInvitations: unary('ListInvitations', 'admin', async () => ({ invitations: await s.listInvitations() })),
    ListNodes: unary('ListNodes', 'admin', async () => ({ nodes: await s.listNodes() })),
    ListAllocations: unary('ListAllocations', 'admin', async () => ({ allocations: await s.listAllocations() })),
    ListAuthorizations: unary('ListAuthorizations', 'admin', async () => ({ authorizations: await s.listAuthorizations() })),
    RemoveNode: unary('RemoveNode', 'admin', async (r) => ({ released: await s.removeNode(r.name) })),
    AddAuthorization: unary('AddAuthorization', 'admin', (r) => s.addAuthorization(r)),
    CreateExperiment: unary('CreateExperiment', 'admin', (r) => s.experiments.create(r)),
    ListExperiments: unary('ListExperiments', 'admin', async () => ({ experiments: await s.experiments.list() })),
    CreateViewer: unary('CreateViewer', 'admin', (r) => s.viewers.create(r.name)),
    ListViewers: unary('ListViewers', 'admin', async () => ({ viewers: await s.viewers.list() })),
    RemoveViewer: unary('RemoveViewer', 'admin', (r) => s.viewers.remove(r.name)),
  };

  // Watch responses are encoded once by the hub; the stream writes those bytes as they are.
  const serviceDef = { ...definition, Watch: { ...watchDef, responseSerialize: (bytes: Buffer) => bytes } };
  const server = new Server({ 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_permit_without_calls': 1, 'grpc.max_receive_message_length': 1024 * 1024 });
  server.addService(serviceDef, implementation);
  const credentials = ServerCredentials.createSsl(null, [{ private_key: Buffer.from(options.keyPem), cert_chain: Buffer.from(options.certPem) }], false);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.listen, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  log.info({ port }, 'registry serving');
  return {
    port,
    hub,
    async close(): Promise<void> {
      service.presence.close();
      await hub.close();
      // Watch streams never end on their own: cut them rather than wait.
      server.forceShutdown();
    },
  };
}
