import type { ValidationState } from './origin-validation.js';

/**
 * The stricter rule for a researcher's router: beyond plain origin
 * validation (which already refuses a prefix authorized to someone else, or
 * longer than its max length), every route must originate in the
 * experiment's own AS and be covered by one of its authorizations. Without
 * this, a valid route of another experiment relayed through the researcher's
 * router, or unallocated experimental space ("not-found"), would get in.
 */
export function experimentOriginReason(route: { origin: number | undefined; validation: ValidationState }, experimentAsn: number): string | null {
  if (route.origin !== experimentAsn) {
    const who = route.origin === undefined ? 'an AS_SET origin' : `origin AS${route.origin}`;
    return `${who} is not the experiment's AS${experimentAsn}`;
  }
  return route.validation === 'valid' ? null : `no route authorization of the experiment's AS${experimentAsn} covers it`;
}
