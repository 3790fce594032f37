import { formatAddress, parseAddress, parsePrefix, prefixContainsAddress, type Address } from '../../../common/prefix.js';
import type { Mesh } from '../../../registry/model.js';
import { invalidArgument, resourceExhausted } from './api-error.js';

/**
 * Where a probe may go and where it leaves from: only to an address inside
 * the mesh's production or experimental pools, from this node's address of
 * that plane and family (the plane's policy rules then pick the plane's table).
 */

export type ProbePlane = 'production' | 'experimental';

/**
 * The addresses probes leave from. In production the garage's LAN gateway
 * when the node has one: replies to it follow BGP around a cut line, while
 * the loopbacks are pinned to their own tunnel (the sessions run over it).
 */
export interface ProbeSources {
  readonly productionV4: string;
  readonly productionV6: string;
  readonly experimentalV4: string;
  readonly experimentalV6: string;
}

export interface ProbeTarget {
  readonly target: string;
  readonly plane: ProbePlane;
  readonly source: string;
}

export const MAX_PING_COUNT = 10;
export const DEFAULT_PING_COUNT = 3;
export const MAX_HOPS = 16;
export const DEFAULT_HOPS = 8;

export function probeTarget(text: string, mesh: Pick<Mesh, 'productionV4' | 'productionV6' | 'experimentalV4' | 'experimentalV6'>, self: ProbeSources): ProbeTarget {
  if (text === '') throw invalidArgument('"target" is missing', 'give an address inside the mesh, like a node loopback');
  let address: Address;
  try {
    address = parseAddress(text);
  } catch {
    throw invalidArgument(`"target" ${JSON.stringify(text.slice(0, 64))} is not an IPv4 or IPv6 address`, 'write it like 10.64.0.1 or fd64::1; names are not resolved');
  }
  const pools: Array<[ProbePlane, string]> = [
    ['production', mesh.productionV4], ['production', mesh.productionV6],
    ['experimental', mesh.experimentalV4], ['experimental', mesh.experimentalV6],
  ];
  const pool = pools.find(([, prefix]) => prefix !== '' && prefixContainsAddress(parsePrefix(prefix), address));
  if (!pool) {
    const listed = pools.map(([, p]) => p).filter((p) => p !== '').join(', ');
    throw invalidArgument(`"target" ${formatAddress(address)} is outside the mesh's pools`, `probes go only to addresses inside ${listed}`);
  }
  const plane = pool[0];
  const v6 = address.family === 6;
  const source = plane === 'production' ? (v6 ? self.productionV6 : self.productionV4) : (v6 ? self.experimentalV6 : self.experimentalV4);
  return { target: formatAddress(address), plane, source };
}

/** 0 means the default; above the cap is refused rather than cut, so a caller never gets less than it asked without knowing. */
export function boundedCount(field: string, value: number, limits: { default: number; max: number }): number {
  if (!Number.isInteger(value) || value < 0) throw invalidArgument(`"${field}" ${value} is not a whole number`, `use 1 to ${limits.max}`);
  if (value === 0) return limits.default;
  if (value > limits.max) throw resourceExhausted(`"${field}" ${value} is above the limit of ${limits.max}`, `use 1 to ${limits.max}`);
  return value;
}
