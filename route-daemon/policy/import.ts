import type { Prefix } from '../../common/prefix.js';
import type { RouteAttributes } from '../routing/attributes.js';
import { asPathLengthReason } from './as-path-length.js';
import { asPathLoopReason } from './as-path-loop.js';
import { bogonReason, type BogonLimits } from './bogon.js';
import { communityCountReason } from './community-count.js';
import { experimentOriginReason } from './experiment-origin.js';
import { originAs, type RouteAuthorizations, type ValidationState } from './origin-validation.js';
import { outsidePoolsReason } from './plane-pools.js';
import { PrefixSet } from './prefix-set.js';

/**
 * Import policy of one plane: the checks in the order they run. Path checks
 * run once per attribute set, prefix checks once per prefix; the first check
 * that objects names itself and says why, for counters, logs and the audit log.
 */

export type ImportCheck = 'as-path-loop' | 'as-path-length' | 'community-count' | 'bogon' | 'plane-pool' | 'origin-validation' | 'experiment-origin';

export interface Rejection {
  readonly check: ImportCheck;
  readonly reason: string;
}

export interface PrefixVerdict {
  readonly validation: ValidationState;
  readonly rejection: Rejection | null;
}

export interface ImportPolicyOptions {
  readonly localAsn: number;
  readonly pools: readonly Prefix[];
  readonly bogons?: BogonLimits;
  readonly authorizations: RouteAuthorizations;
}

/** The verdicts of prefixes no check refused, shared: a new object per received prefix is a million of them per full table. */
const ACCEPTED: Readonly<Record<Exclude<ValidationState, 'invalid'>, PrefixVerdict>> = {
  valid: { validation: 'valid', rejection: null },
  'not-found': { validation: 'not-found', rejection: null },
};

export class ImportPolicy {
  private readonly pools: PrefixSet;

  constructor(private readonly options: ImportPolicyOptions) {
    this.pools = new PrefixSet(options.pools);
  }

  get authorizations(): RouteAuthorizations {
    return this.options.authorizations;
  }

  checkPath(attributes: RouteAttributes, limits: { maxAsPathLength?: number; maxCommunities?: number }): Rejection | null {
    const loop = asPathLoopReason(attributes.asPath, this.options.localAsn);
    if (loop) return { check: 'as-path-loop', reason: loop };
    const length = asPathLengthReason(attributes.asPath, limits.maxAsPathLength);
    if (length) return { check: 'as-path-length', reason: length };
    const communities = communityCountReason(attributes, limits.maxCommunities);
    return communities ? { check: 'community-count', reason: communities } : null;
  }

  /** `experimentAsn`: the route comes from an experiment's router and must be the experiment's own (see experiment-origin). */
  checkPrefix(prefix: Prefix, attributes: RouteAttributes, peer: { experimentAsn?: number } = {}): PrefixVerdict {
    const bogon = bogonReason(prefix, this.options.bogons);
    if (bogon) return { validation: 'not-found', rejection: { check: 'bogon', reason: bogon } };
    const outside = outsidePoolsReason(prefix, this.pools);
    if (outside) return { validation: 'not-found', rejection: { check: 'plane-pool', reason: outside } };
    const verdict = this.validate(prefix, attributes);
    if (verdict.rejection || peer.experimentAsn === undefined) return verdict;
    const origin = originAs(attributes.asPath, this.options.localAsn);
    const reason = experimentOriginReason({ origin, validation: verdict.validation }, peer.experimentAsn);
    return reason ? { validation: verdict.validation, rejection: { check: 'experiment-origin', reason } } : verdict;
  }

  /** Origin validation alone; invalid routes are rejected, with the authorizations that cover them. */
  validate(prefix: Prefix, attributes: RouteAttributes): PrefixVerdict {
    const origin = originAs(attributes.asPath, this.options.localAsn);
    const validation = this.options.authorizations.validate(prefix, origin);
    if (validation !== 'invalid') return ACCEPTED[validation];
    const covering = this.options.authorizations.covering(prefix).join(', ');
    const who = origin === undefined ? 'an AS_SET origin' : `origin AS${origin}`;
    return { validation, rejection: { check: 'origin-validation', reason: `invalid: ${who} not authorized (covered by ${covering})` } };
  }
}
