import { formatPrefix, type Prefix } from '../../common/prefix.js';
import type { AsPathSegment } from '../routing/attributes.js';
import type { Plane } from '../routing/instance.js';

/**
 * Route origin validation (RFC 6811) against the registry's route
 * authorizations, which play the part of RPKI ROAs: a route is valid when an
 * authorization covers it with its origin AS and a max length it fits in,
 * invalid when authorizations cover it but none matches, not-found otherwise.
 */

export type ValidationState = 'valid' | 'invalid' | 'not-found';

export interface RouteAuthorization {
  readonly prefix: Prefix;
  readonly maxLength: number;
  readonly originAsn: number;
  readonly plane: Plane;
}

/** The origin AS of a path: the last AS of a final AS_SEQUENCE; none (RFC 6811 "NONE") if the path ends in a set. */
export function originAs(path: readonly AsPathSegment[], localAsn: number): number | undefined {
  // Asked once per received prefix: a backwards loop, no copy of the path.
  for (let i = path.length - 1; i >= 0; i--) {
    const segment = path[i]!;
    if (segment.type === 'sequence') return segment.asns[segment.asns.length - 1];
    if (segment.type === 'set') return undefined;
  }
  return localAsn; // an empty path is a route of our own AS
}

/** The authorizations of one plane, indexed by covering prefix so validation costs one lookup per stored length. */
export class RouteAuthorizations {
  private readonly byPrefix = new Map<string, RouteAuthorization[]>();
  private readonly lengths: [number[], number[]] = [[], []];
  readonly size: number;

  constructor(plane: Plane, authorizations: readonly RouteAuthorization[]) {
    const mine = authorizations.filter((a) => a.plane === plane);
    for (const a of mine) {
      const key = coverKey(a.prefix);
      const list = this.byPrefix.get(key) ?? [];
      list.push(a);
      this.byPrefix.set(key, list);
      const lengths = this.lengths[a.prefix.family === 4 ? 0 : 1];
      if (!lengths.includes(a.prefix.length)) lengths.push(a.prefix.length);
    }
    for (const l of this.lengths) l.sort((a, b) => a - b);
    this.size = mine.length;
  }

  /** Whether any authorization is of the family: without one, every prefix of it is not-found. */
  holds(family: 4 | 6): boolean {
    return this.lengths[family === 4 ? 0 : 1].length > 0;
  }

  validate(prefix: Prefix, origin: number | undefined): ValidationState {
    // Asked once per received prefix: a plane without authorizations of the family answers at once.
    if (!this.holds(prefix.family)) return 'not-found';
    let covered = false;
    for (const list of this.coveringLists(prefix)) {
      covered = true;
      if (origin !== undefined && list.some((a) => a.originAsn === origin && prefix.length <= a.maxLength)) return 'valid';
    }
    return covered ? 'invalid' : 'not-found';
  }

  /** Authorizations that cover `prefix`, written for a reason string. */
  covering(prefix: Prefix): string[] {
    return [...this.coveringLists(prefix)].flat().map((a) => `${formatPrefix(a.prefix)} max /${a.maxLength} AS${a.originAsn}`);
  }

  private *coveringLists(prefix: Prefix): Generator<RouteAuthorization[]> {
    const bits = prefix.family === 4 ? 32n : 128n;
    for (const length of this.lengths[prefix.family === 4 ? 0 : 1]) {
      if (length > prefix.length) break;
      const hostBits = bits - BigInt(length);
      const list = this.byPrefix.get(coverKey({ family: prefix.family, value: (prefix.value >> hostBits) << hostBits, length }));
      if (list) yield list;
    }
  }
}

function coverKey(prefix: Prefix): string {
  return `${prefix.family}/${prefix.length}/${prefix.value.toString(36)}`;
}
