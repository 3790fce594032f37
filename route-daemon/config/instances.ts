import type { RouteAuthorization } from '../policy/origin-validation.js';
import { RFC7196_PARAMETERS } from '../policy/damping.js';
import type { Plane } from '../routing/instance.js';
import { createRoutingInstance, type PlaneInstance, type PolicyEvent } from '../routing/plane-instance.js';
import type { RouteDaemonConfig } from './config.js';

/**
 * One routing instance per configured plane, as the daemon starts them.
 * Route authorizations are the file's static ones plus what the registry
 * publishes (later changes go through updateAuthorizations).
 */
export function createInstances(
  config: RouteDaemonConfig,
  options: { authorizations?: readonly RouteAuthorization[]; audit?: (event: PolicyEvent) => void } = {},
): Map<Plane, PlaneInstance> {
  const instances = new Map<Plane, PlaneInstance>();
  for (const plane of config.planes.values()) {
    instances.set(plane.plane, createRoutingInstance({
      plane: plane.plane,
      localAsn: config.router.asn,
      pools: plane.pools,
      bogons: plane.bogons,
      stalePathSeconds: plane.stalePathSeconds,
      authorizations: [...plane.authorizations, ...(options.authorizations ?? [])],
      ...(plane.damping ? { damping: RFC7196_PARAMETERS } : {}),
      ...(options.audit ? { audit: options.audit } : {}),
    }));
  }
  return instances;
}
