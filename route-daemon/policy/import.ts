import type { Prefix } from '../../common/prefix.js';
import type { RouteAttributes } from '../routing/attributes.js';
import { asPathLengthReason } from './as-path-length.js';
import { asPathLoopReason } from './as-path-loop.js';
import { bogonReason, ipv4BogonReason, type BogonLimits } from './bogon.js';
import { communityCountReason } from './community-count.js';
import { experimentOriginReason } from './experiment-origin.js';
import { originAs, type RouteAuthorizations, type ValidationState } from './origin-validation.js';
import { ipv4OutsidePoolsReason, outsidePoolsReason } from './plane-pools.js';
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

/** An IPv4 prefix as numbers, and its Prefix when asked. */
export interface Ipv4Subject {
  readonly network: number;
  readonly length: number;
  readonly prefix: Prefix;
}

export interface ImportPolicyOptions {
  readonly localAsn: number;
  readonly pools: readonly Prefix[];
  readonly bogons?: BogonLimits;
  readonly authorizations: RouteAuthorizations;
}

/** A prefix refused by `check` before origin validation, or null when `reason` is (the check passed). */
function refused(check: ImportCheck, reason: string | null): PrefixVerdict | null {
  return reason === null ? null : { validation: 'not-found', rejection: { check, reason } };
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
    if (prefix.family === 4) return this.checkIpv4({ network: Number(prefix.value), length: prefix.length, prefix }, attributes, peer);
    const refusal = refused('bogon', bogonReason(prefix, this.options.bogons)) ?? refused('plane-pool', outsidePoolsReason(prefix, this.pools));
    return refusal ?? this.originVerdict(prefix, attributes, peer);
  }

  /**
   * `checkPrefix` for an IPv4 prefix given as numbers, as the codec hands
   * them over: its Prefix is asked for only when origin checks need one,
   * which they do not in a plane without IPv4 authorizations.
   */
  checkIpv4(subject: Ipv4Subject, attributes: RouteAttributes, peer: { experimentAsn?: number } = {}): PrefixVerdict {
    const { network, length } = subject;
    const refusal =
      refused('bogon', ipv4BogonReason(network, length, this.options.bogons)) ?? refused('plane-pool', ipv4OutsidePoolsReason(network, length, this.pools));
    if (refusal) return refusal;
    if (peer.experimentAsn === undefined && !this.options.authorizations.holds(4)) return ACCEPTED['not-found'];
    return this.originVerdict(subject.prefix, attributes, peer);
  }

  private originVerdict(prefix: Prefix, attributes: RouteAttributes, peer: { experimentAsn?: number }): PrefixVerdict {
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
