import { status } from '@grpc/grpc-js';
import type { PublicView } from '../../registry/model.js';
import { AuditWindows, type ReadAuditPage } from './audit-window.js';
import { mapSettled } from './map-limit.js';
import type { RegistrySource } from './source.js';
import type { AuditEntry, Experiment, MeshNode, Plane, RegistryView } from './types.js';

/** What the adapter needs of the registry's typed client (registry/client.ts). */
export interface PublicViewClient {
  publicView(): Promise<PublicView>;
  /** A page of an experiment's audit log (ListAuditLog): experiment, node, event, detail, time; nothing secret. */
  auditLogPage?: ReadAuditPage;
}

/** After the registry refused an audit log (a credential that may not read it), asked again only this often. */
const AUDIT_RETRY_MS = 5 * 60_000;
const REFUSED = new Set<number>([status.PERMISSION_DENIED, status.UNAUTHENTICATED]);

/**
 * The registry's public view (GetPublicView), read through its typed client,
 * with the newest refusals of each experiment's audit log (ListAuditLog, read
 * from where the last look ended). The client carries a viewer credential,
 * which reads exactly these two and can change nothing. Should the registry
 * refuse the logs anyway, experiments show none and the view is still served.
 */
export class RegistryPublicViewSource implements RegistrySource {
  private auditRefusedAt = -Infinity;
  private readonly audits: AuditWindows | undefined;

  constructor(private readonly client: PublicViewClient, private readonly options: { now?: () => number } = {}) {
    this.audits = client.auditLogPage ? new AuditWindows(client.auditLogPage.bind(client)) : undefined;
  }

  async publicView(): Promise<RegistryView> {
    const view = fromRegistryPublicView(await this.client.publicView());
    const audits = await this.auditLogs(view.experiments.map((e) => e.name));
    return { ...view, experiments: view.experiments.map((e) => ({ ...e, audit: audits.get(e.name) ?? [] })) };
  }

  private async auditLogs(names: readonly string[]): Promise<Map<string, AuditEntry[]>> {
    const now = (this.options.now ?? Date.now)();
    const audits = this.audits;
    if (!audits || now - this.auditRefusedAt < AUDIT_RETRY_MS) return new Map();
    audits.keepOnly(names);
    const settled = await mapSettled(names, (name) => audits.look(name), { concurrency: 4 });
    const logs = new Map<string, AuditEntry[]>();
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') logs.set(names[i]!, r.value);
      else if (REFUSED.has((r.reason as { code?: number }).code ?? -1)) this.auditRefusedAt = now;
    });
    return logs;
  }
}

/**
 * Maps the registry's message onto the looking glass's own types, field by
 * field. The registry has no "endpoint is public" mark yet, so every
 * underlay endpoint stays hidden; the public view carries no audit log
 * (RegistryPublicViewSource adds it from ListAuditLog).
 */
export function fromRegistryPublicView(view: PublicView): RegistryView {
  const mesh = view.mesh;
  const pools: RegistryView['pools'] = [
    { plane: 'production' as Plane, prefix: mesh.productionV4 },
    { plane: 'production' as Plane, prefix: mesh.productionV6 },
    { plane: 'experimental' as Plane, prefix: mesh.experimentalV4 },
    { plane: 'experimental' as Plane, prefix: mesh.experimentalV6 },
  ].filter((p) => p.prefix !== '');
  const nodes: MeshNode[] = view.nodes.map(({ node, online, onlineSince }) => ({
    name: node.name,
    organization: node.organization,
    asn: node.asn,
    wireguardPublicKey: node.publicKey,
    loopbacks: { production: node.productionLoopbackV4, experimental: node.experimentalLoopbackV4 },
    endpoints: node.endpoints,
    endpointPublic: false,
    online,
    ...(online && onlineSince ? { onlineSince } : {}),
  }));
  const experiments: Experiment[] = view.experiments.map((e) => ({
    name: e.name,
    owner: e.owner,
    description: e.description,
    asn: e.asn,
    allocations: e.prefixes,
    attachedAt: e.node ? [e.node] : [],
    state: e.state,
    limits: { maxPrefixes: e.maxPrefixes, maxUpdatesPerMinute: e.maxUpdatesPerMinute, bandwidthMbit: e.maxMbits },
    createdAt: e.createdAt,
    ...(e.expiresAt ? { expiresAt: e.expiresAt } : {}),
    audit: [],
  }));
  return {
    meshName: mesh.name,
    generatedAt: new Date().toISOString(),
    pools,
    organizations: view.organizations.map((o) => ({ name: o.name, description: o.description })),
    nodes,
    allocations: view.allocations.map((a) => ({ prefix: a.prefix, plane: a.plane, holder: { kind: a.holderKind, name: a.holder }, purpose: a.purpose })),
    authorizations: view.authorizations.map((a) => ({ prefix: a.prefix, maxLength: a.maxLength, originAsn: a.originAsn, plane: a.plane })),
    experiments,
  };
}
