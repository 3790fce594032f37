import type { Address } from '../../common/prefix.js';
import type { AsPathSegment, Origin, RouteAttributes } from './attributes.js';

/**
 * The BGP decision process (RFC 4271 §9.1.2.2) over the candidate paths of
 * one prefix. It eliminates candidates step by step over the whole set, as
 * the RFC describes, rather than sorting with a pairwise comparison: MED is
 * only compared between routes from the same neighbor AS, which is not a
 * total order.
 */

export interface RouteSource {
  /** Originated by this node (announced through the control API). */
  readonly local: boolean;
  readonly ebgp: boolean;
  /** BGP identifier of the peer, unsigned; 0 for local routes. */
  readonly routerId: number;
  readonly address: Address;
  /** Cost to the next hop, if an IGP knows it; unknown counts as 0. */
  readonly igpCost?: number;
}

export interface Candidate {
  readonly attributes: RouteAttributes;
  readonly source: RouteSource;
}

export type DecisionStep =
  | 'only-route'
  | 'local-origin'
  | 'local-pref'
  | 'as-path-length'
  | 'origin'
  | 'med'
  | 'ebgp-over-ibgp'
  | 'igp-cost'
  | 'router-id'
  | 'peer-address';

export interface Decision {
  /** Index of the best candidate. */
  readonly best: number;
  /** The step that left it alone, for `garagenet bgp routes` and logs. */
  readonly step: DecisionStep;
}

export const DEFAULT_LOCAL_PREF = 100;

const ORIGIN_RANK: Record<Origin, number> = { igp: 0, egp: 1, incomplete: 2 };

/** RFC 4271 §9.1.2.2 (a): an AS_SET counts as one, confederation segments (RFC 5065) as none. */
export function asPathLength(path: readonly AsPathSegment[]): number {
  let length = 0;
  for (const segment of path) {
    if (segment.type === 'sequence') length += segment.asns.length;
    else if (segment.type === 'set') length += 1;
  }
  return length;
}

/** The AS the route was received from: the first AS of a leading AS_SEQUENCE, or none. */
export function neighborAs(path: readonly AsPathSegment[]): number | undefined {
  const first = path.find((s) => s.type === 'sequence' || s.type === 'set');
  return first?.type === 'sequence' ? first.asns[0] : undefined;
}

export function selectBest(candidates: readonly Candidate[]): Decision {
  if (candidates.length === 0) throw new RangeError('the decision process needs at least one candidate');
  if (candidates.length === 1) return { best: 0, step: 'only-route' };
  let alive = candidates.map((_, i) => i);
  for (const [step, keep] of STEPS) {
    alive = keep(alive, candidates);
    if (alive.length === 1) return { best: alive[0]!, step };
  }
  return { best: alive[0]!, step: 'peer-address' };
}

type Step = (alive: number[], all: readonly Candidate[]) => number[];

/** Keeps the candidates with the lowest `score`. */
function lowest(score: (c: Candidate) => number): Step {
  return (alive, all) => {
    let min = Infinity;
    for (const i of alive) min = Math.min(min, score(all[i]!));
    return alive.filter((i) => score(all[i]!) === min);
  };
}

/** Within each neighbor AS, only the lowest MED survives; a missing MED counts as 0 (RFC 4271 §9.1.2.2 c). */
const medStep: Step = (alive, all) => {
  const minByAs = new Map<number | undefined, number>();
  for (const i of alive) {
    const c = all[i]!;
    const as = neighborAs(c.attributes.asPath);
    const med = c.attributes.med ?? 0;
    minByAs.set(as, Math.min(minByAs.get(as) ?? Infinity, med));
  }
  return alive.filter((i) => {
    const c = all[i]!;
    return (c.attributes.med ?? 0) === minByAs.get(neighborAs(c.attributes.asPath));
  });
};

const STEPS: readonly (readonly [DecisionStep, Step])[] = [
  ['local-origin', lowest((c) => (c.source.local ? 0 : 1))],
  ['local-pref', lowest((c) => -(c.attributes.localPref ?? DEFAULT_LOCAL_PREF))],
  ['as-path-length', lowest((c) => asPathLength(c.attributes.asPath))],
  ['origin', lowest((c) => ORIGIN_RANK[c.attributes.origin])],
  ['med', medStep],
  ['ebgp-over-ibgp', lowest((c) => (c.source.ebgp ? 0 : 1))],
  ['igp-cost', lowest((c) => c.source.igpCost ?? 0)],
  ['router-id', lowest((c) => c.source.routerId)],
  // Addresses are bigints; rank them against each other rather than as numbers.
  ['peer-address', (alive, all) => {
    const key = (i: number): bigint => (BigInt(all[i]!.source.address.family) << 128n) | all[i]!.source.address.value;
    const min = alive.map(key).reduce((a, b) => (b < a ? b : a));
    return alive.filter((i) => key(i) === min);
  }],
];
