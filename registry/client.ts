import { connect as tlsConnect } from 'node:tls';
import {
  credentials as grpcCredentials, Metadata, status, type Client, type ClientReadableStream, type ServiceError,
} from '@grpc/grpc-js';
import { UserError } from '../common/errors.js';
import { decodeJoinString } from './join-string.js';
import { AUDIT_PAGE_MAX } from './experiment-limits.js';
import type {
  Allocation, AuditEntry, AuditPage, AuditPageRequest, Authorization, Experiment, Invitation, JoinResponse, Mesh, Node, NodeView, Organization,
  Presence, PublicView, Viewer, WatchResponse,
} from './model.js';
import { serviceClient } from '../common/grpc-service.js';
import { certPin, derToPem } from './tls.js';

/**
 * The typed registry client used by the node agent, the looking glass and the
 * CLI. It trusts exactly one certificate: the registry's own, either given as
 * PEM (the administrator's state directory) or fetched and checked against
 * the pin of a join string before anything secret is sent.
 */

/** A refusal from the registry: the gRPC status code and the registry's message. */
export class RegistryCallError extends Error {
  constructor(readonly code: number, readonly details: string, readonly method: string) {
    super(details);
    this.name = 'RegistryCallError';
  }
}

function splitAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address);
  if (!m) throw new UserError(`registry address "${address}" is not host:port`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

/**
 * Fetches the certificate the registry presents (plain TLS, no trust yet) and
 * returns it as PEM if its pin matches; otherwise refuses, before any secret is sent.
 */
export async function fetchPinnedCert(address: string, pin: string, timeoutMs = 5000): Promise<string> {
  const { host, port } = splitAddress(address);
  const der = await new Promise<Buffer>((resolve, reject) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, servername: 'registry.garagenet', ALPNProtocols: ['h2'], timeout: timeoutMs }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      if (!cert?.raw) reject(new UserError(`registry at ${address} presented no certificate`));
      else resolve(cert.raw);
    });
    socket.on('timeout', () => socket.destroy(new UserError(`registry at ${address} did not answer within ${timeoutMs} ms`)));
    socket.on('error', (err) => reject(err instanceof UserError ? err : new UserError(`cannot reach the registry at ${address}: ${err.message}`)));
  });
  const actual = certPin(der);
  if (actual !== pin) {
    throw new UserError(`registry at ${address} presents a certificate (pin ${actual}) that does not match the join string (pin ${pin}); nothing was sent`, {
      hint: 'check the address, or ask the registry administrator for a new join string',
    });
  }
  return derToPem(der);
}

export interface ConnectOptions {
  /** The registry certificate (PEM) to trust. */
  certPem: string;
  /** Admin, node or viewer credential, sent on every call. */
  credential?: string;
  /** Per-call deadline for unary calls. */
  timeoutMs?: number;
}

export class RegistryClient {
  private readonly stub: Client & Record<string, Function>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  private credential: string | undefined;
  private readonly timeoutMs: number;

  constructor(readonly address: string, options: ConnectOptions) {
    const Ctor = serviceClient('registry/Registry');
    // The pin (or the PEM from the state directory) is the identity check: the
    // certificate need not name the host the node dialled.
    const channel = grpcCredentials.createSsl(Buffer.from(options.certPem), null, null, { checkServerIdentity: () => undefined });
    this.stub = new Ctor(address, channel, {
      'grpc.use_local_subchannel_pool': 1,
      // The public view and Watch snapshots of a large mesh exceed gRPC's 4 MB default.
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      // A fixed TLS server name: the address may be an IP, which SNI must not carry.
      'grpc.ssl_target_name_override': 'registry.garagenet',
    }) as Client & Record<string, Function>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    this.credential = options.credential;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Connects using a join string's address and pin (verified first). */
  static async fromJoinString(joinString: string): Promise<{ client: RegistryClient; invitation: string; secret: string }> {
    const ticket = decodeJoinString(joinString);
    const certPem = await fetchPinnedCert(ticket.registry, ticket.pin);
    return { client: new RegistryClient(ticket.registry, { certPem }), invitation: ticket.invitation, secret: ticket.secret };
  }

  setCredential(credential: string): void {
    this.credential = credential;
  }

  private metadata(): Metadata {
    const md = new Metadata();
    if (this.credential) md.set('authorization', `Bearer ${this.credential}`);
    return md;
  }

  private call<T>(method: string, request: object): Promise<T> {
    return new Promise((resolve, reject) => {
      this.stub[method]!(request, this.metadata(), { deadline: Date.now() + this.timeoutMs }, (err: ServiceError | null, res: T) =>
        err ? reject(this.callError(err, method)) : resolve(res),
      );
    });
  }

  /** The registry's own refusals pass through as they are; transport failures say which registry could not be reached. */
  private callError(err: ServiceError, method: string): RegistryCallError {
    const details = err.details || err.message;
    const transport = (err.code === status.UNAVAILABLE && !details.startsWith("the registry's store")) || err.code === status.DEADLINE_EXCEEDED;
    return new RegistryCallError(err.code, transport ? `cannot reach the registry at ${this.address}: ${details}` : details, method);
  }

  // any credential (a viewer's too)
  publicView(): Promise<PublicView> { return this.call('GetPublicView', {}); }

  /** Redeems an invitation; on success this client carries the new node credential. */
  async join(req: { invitation: string; secret: string; publicKey: string; name?: string; endpoints?: string[] }): Promise<JoinResponse> {
    const res = await this.call<JoinResponse>('Join', { ...req, name: req.name ?? '', endpoints: req.endpoints ?? [] });
    this.credential = res.credential;
    return res;
  }

  /** Every change after `fromRevision` (0: a snapshot first). The caller ends it with `cancel()`. */
  watch(fromRevision: number, onResponse: (response: WatchResponse) => void, onEnd: (err: RegistryCallError | null) => void): { cancel(): void } {
    const stream = this.stub.Watch!({ fromRevision }, this.metadata()) as ClientReadableStream<WatchResponse>;
    let done = false;
    const finish = (err: RegistryCallError | null): void => {
      if (!done) { done = true; onEnd(err); }
    };
    stream.on('data', onResponse);
    stream.on('error', (err: ServiceError) => finish(this.callError(err, 'Watch')));
    stream.on('end', () => finish(null));
    return { cancel: () => { done = true; stream.cancel(); } };
  }

  /**
   * Follows the registry for as long as the caller wants: re-opens the watch
   * after any failure (registry restarted, network gone) from the last
   * revision received, so changes arrive without gaps or repeats. A response
   * with `snapshot` set replaces the whole state.
   */
  follow(fromRevision: number, onResponse: (response: WatchResponse) => void, onRetry?: (err: RegistryCallError | null, delayMs: number) => void): { cancel(): void } {
    let last = fromRevision;
    let failures = 0;
    let current: { cancel(): void } | null = null;
    let timer: NodeJS.Timeout | null = null;
    let cancelled = false;
    const open = (): void => {
      current = this.watch(
        last,
        (response) => {
          failures = 0;
          last = response.revision;
          onResponse(response);
        },
        (err) => {
          if (cancelled) return;
          const delay = Math.min(5000, 100 * 2 ** failures++);
          onRetry?.(err, delay);
          timer = setTimeout(open, delay);
        },
      );
    };
    open();
    return {
      cancel: () => {
        cancelled = true;
        if (timer) clearTimeout(timer);
        current?.cancel();
      },
    };
  }

  // node
  updateEndpoints(endpoints: string[]): Promise<Node> { return this.call('UpdateEndpoints', { endpoints }); }
  rotateKey(publicKey: string): Promise<Node> { return this.call('RotateKey', { publicKey }); }
  keepAlive(ttlSeconds = 0): Promise<Pick<Presence, 'ttlSeconds' | 'onlineSince'>> { return this.call('KeepAlive', { ttlSeconds }); }
  async leave(): Promise<string[]> { return (await this.call<{ released: string[] }>('Leave', {})).released; }
  appendAuditLog(req: { experiment: string; event: string; detail?: string }): Promise<AuditEntry> {
    return this.call('AppendAuditLog', { detail: '', ...req });
  }
  async appendAuditLogBatch(experiment: string, events: readonly { event: string; detail: string; at: string }[]): Promise<AuditEntry[]> {
    return (await this.call<{ entries: AuditEntry[] }>('AppendAuditLogBatch', { experiment, events })).entries;
  }
  attachExperiment(experiment: string, detail = ''): Promise<Experiment> { return this.call('AttachExperiment', { experiment, detail }); }

  // admin, or the node hosting the experiment (and any viewer for the audit log)
  setExperimentState(name: string, state: string): Promise<Experiment> { return this.call('SetExperimentState', { name, state }); }
  /** One page of the log: the newest `limit` entries (0: 100), or those before or after a cursor. */
  auditLogPage(experiment: string, page: Partial<AuditPageRequest> = {}): Promise<AuditPage> {
    return this.call('ListAuditLog', { experiment, limit: 0, ...page });
  }
  /** The newest `limit` entries, or the whole log a page at a time; oldest first. */
  async listAuditLog(experiment: string, options: { limit?: number } = {}): Promise<AuditEntry[]> {
    if (options.limit !== undefined) return (await this.auditLogPage(experiment, { limit: options.limit })).entries;
    const pages: AuditEntry[][] = [];
    let page = await this.auditLogPage(experiment, { limit: AUDIT_PAGE_MAX });
    for (pages.push(page.entries); page.more; pages.push(page.entries)) {
      page = await this.auditLogPage(experiment, { limit: AUDIT_PAGE_MAX, before: page.first });
    }
    return pages.reverse().flat();
  }

  // admin
  getMesh(): Promise<Mesh> { return this.call('GetMesh', {}); }
  createOrganization(req: { name: string; description?: string }): Promise<Organization> {
    return this.call('CreateOrganization', { description: '', ...req });
  }
  async listOrganizations(): Promise<Organization[]> { return (await this.call<{ organizations: Organization[] }>('ListOrganizations', {})).organizations; }
  createInvitation(req: { organization: string; expiresInSeconds?: number }): Promise<{ invitation: Invitation; joinString: string }> {
    return this.call('CreateInvitation', { expiresInSeconds: 0, ...req });
  }
  async listInvitations(): Promise<Invitation[]> { return (await this.call<{ invitations: Invitation[] }>('ListInvitations', {})).invitations; }
  async listNodes(): Promise<NodeView[]> { return (await this.call<{ nodes: NodeView[] }>('ListNodes', {})).nodes; }
  async listAllocations(): Promise<Allocation[]> { return (await this.call<{ allocations: Allocation[] }>('ListAllocations', {})).allocations; }
  async listAuthorizations(): Promise<Authorization[]> {
    return (await this.call<{ authorizations: Authorization[] }>('ListAuthorizations', {})).authorizations;
  }
  async removeNode(name: string): Promise<string[]> { return (await this.call<{ released: string[] }>('RemoveNode', { name })).released; }
  addAuthorization(req: { prefix: string; maxLength?: number; originAsn: number; plane: string }): Promise<Authorization> {
    return this.call('AddAuthorization', { maxLength: 0, ...req });
  }
  createExperiment(req: {
    name: string; owner: string; description?: string; maxPrefixes?: number; maxUpdatesPerMinute?: number; maxMbits?: number; durationSeconds?: number; node?: string;
    prefixLength?: number;
  }): Promise<Experiment> {
    return this.call('CreateExperiment', { description: '', maxPrefixes: 0, maxUpdatesPerMinute: 0, maxMbits: 0, durationSeconds: 0, node: '', prefixLength: 0, ...req });
  }
  async listExperiments(): Promise<Experiment[]> { return (await this.call<{ experiments: Experiment[] }>('ListExperiments', {})).experiments; }
  createViewer(name: string): Promise<{ viewer: Viewer; credential: string }> { return this.call('CreateViewer', { name }); }
  async listViewers(): Promise<Viewer[]> { return (await this.call<{ viewers: Viewer[] }>('ListViewers', {})).viewers; }
  removeViewer(name: string): Promise<Viewer> { return this.call('RemoveViewer', { name }); }

  close(): void {
    this.stub.close();
  }
}
