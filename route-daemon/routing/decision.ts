import type { Address } from '../../common/prefix.js';
import type { AsPathSegment, Origin } from './attributes.js';

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

/**
 * What the decision process reads of a path's attributes. The routing
 * instance reads these straight from the packed set
 * (packed-attributes.ts `packedDecisionAttributes`): with two full tables
 * every prefix compares two paths, and building both sets for it was most of
 * the second table's import.
 */
export interface DecisionAttributes {
  readonly origin: Origin;
  readonly localPref: number | undefined;
  /** `asPathLength` of the AS path. */
  readonly asPathLength: number;
  readonly med: number | undefined;
  /**
   * The AS the route was received from, which MEDs are compared within: the
   * first AS of the path's first AS_SEQUENCE or AS_SET (confederation
   * segments skipped) if that is a sequence, else none.
   */
  readonly neighborAs: number | undefined;
}

export interface Candidate {
  readonly attributes: DecisionAttributes;
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

/**
 * The candidates still in the running: the first `aliveCount` entries of
 * `alive`, as indices, narrowed in place by each step (selectBest is never
 * re-entered). Nothing is allocated per step: a second full table runs the
 * decision on every prefix.
 */
let alive = new Int32Array(64);
let aliveCount = 0;
/** The MED step's lowest MED per neighbor AS, cleared on each use. */
const lowestMedByAs = new Map<number | undefined, number>();

export function selectBest(candidates: readonly Candidate[]): Decision {
  if (candidates.length === 0) throw new RangeError('the decision process needs at least one candidate');
  if (candidates.length === 1) return { best: 0, step: 'only-route' };
  if (candidates.length > alive.length) alive = new Int32Array(candidates.length * 2);
  for (let i = 0; i < candidates.length; i++) alive[i] = i;
  aliveCount = candidates.length;
  for (let s = 0; s < STEPS.length; s++) {
    const [step, keep] = STEPS[s]!;
    keep(candidates);
    if (aliveCount === 1) return { best: alive[0]!, step };
  }
  return { best: alive[0]!, step: 'peer-address' };
}

/** Narrows the candidates alive to those that pass. */
type Step = (all: readonly Candidate[]) => void;

/** Keeps the candidates alive with the lowest `score`. */
function lowest(score: (c: Candidate) => number): Step {
  return (all) => {
    let min = Infinity;
    for (let k = 0; k < aliveCount; k++) min = Math.min(min, score(all[alive[k]!]!));
    let kept = 0;
    for (let k = 0; k < aliveCount; k++) if (score(all[alive[k]!]!) === min) alive[kept++] = alive[k]!;
    aliveCount = kept;
  };
}

/** Within each neighbor AS, only the lowest MED survives; a missing MED counts as 0 (RFC 4271 §9.1.2.2 c). */
const medStep: Step = (all) => {
  const minByAs = lowestMedByAs;
  minByAs.clear();
  for (let k = 0; k < aliveCount; k++) {
    const { neighborAs: as, med = 0 } = all[alive[k]!]!.attributes;
    minByAs.set(as, Math.min(minByAs.get(as) ?? Infinity, med));
  }
  let kept = 0;
  for (let k = 0; k < aliveCount; k++) {
    const { neighborAs: as, med = 0 } = all[alive[k]!]!.attributes;
    if (med === minByAs.get(as)) alive[kept++] = alive[k]!;
  }
  aliveCount = kept;
};

/** Addresses are bigints: as a score, family and value in one. */
const addressRank = (c: Candidate): bigint => (BigInt(c.source.address.family) << 128n) | c.source.address.value;

const STEPS: readonly (readonly [DecisionStep, Step])[] = [
  ['local-origin', lowest((c) => (c.source.local ? 0 : 1))],
  ['local-pref', lowest((c) => -(c.attributes.localPref ?? DEFAULT_LOCAL_PREF))],
  ['as-path-length', lowest((c) => c.attributes.asPathLength)],
  ['origin', lowest((c) => ORIGIN_RANK[c.attributes.origin])],
  ['med', medStep],
  ['ebgp-over-ibgp', lowest((c) => (c.source.ebgp ? 0 : 1))],
  ['igp-cost', lowest((c) => c.source.igpCost ?? 0)],
  ['router-id', lowest((c) => c.source.routerId)],
  ['peer-address', (all) => {
    let min = addressRank(all[alive[0]!]!);
    for (let k = 1; k < aliveCount; k++) {
      const rank = addressRank(all[alive[k]!]!);
      if (rank < min) min = rank;
    }
    let kept = 0;
    for (let k = 0; k < aliveCount; k++) if (addressRank(all[alive[k]!]!) === min) alive[kept++] = alive[k]!;
    aliveCount = kept;
  }],
];
