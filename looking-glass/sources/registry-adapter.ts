import type { PublicView } from '../../registry/model.js';
import type { RegistrySource } from './source.js';
import type { Experiment, MeshNode, Plane, RegistryView } from './types.js';

/** What the adapter needs of the registry's typed client (registry/client.ts). */
export interface PublicViewClient {
  publicView(): Promise<PublicView>;
}

/**
 * The registry's public view (GetPublicView), read through its typed client.
 * It needs no credential: the looking glass never holds one that could change
 * or read more of the mesh than the public view.
 */
export class RegistryPublicViewSource implements RegistrySource {
  constructor(private readonly client: PublicViewClient) {}

  async publicView(): Promise<RegistryView> {
    return fromRegistryPublicView(await this.client.publicView());
  }
}

/**
 * Maps the registry's message onto the looking glass's own types, field by
 * field. The registry has no "endpoint is public" mark yet, so every
 * underlay endpoint stays hidden; its public view carries no audit log, so
 * experiments show none until one is published.
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
    limits: { maxPrefixes: e.maxPrefixes, maxUpdatesPerMinute: e.maxUpdatesPerMinute },
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
