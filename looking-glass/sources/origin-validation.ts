import { parsePrefix, prefixContains, type Prefix } from '../../common/prefix.js';
import type { Authorization, Plane, ValidationState } from './types.js';

interface ParsedAuthorization {
  readonly prefix: Prefix;
  readonly maxLength: number;
  readonly originAsn: number;
}

/**
 * Route origin validation against the registry's authorizations, the way
 * RFC 6811 does it with ROAs: no covering authorization is "not-found"; a
 * covering one with the same origin and a length within maxLength is "valid";
 * anything else covered is "invalid". Authorizations never cross planes.
 */
export class OriginValidator {
  private readonly byPlane = new Map<Plane, ParsedAuthorization[]>();

  constructor(authorizations: readonly Authorization[]) {
    for (const a of authorizations) {
      const list = this.byPlane.get(a.plane) ?? [];
      list.push({ prefix: parsePrefix(a.prefix), maxLength: a.maxLength, originAsn: a.originAsn });
      this.byPlane.set(a.plane, list);
    }
  }

  validate(plane: Plane, prefix: Prefix, originAsn: number): ValidationState {
    let covered = false;
    for (const a of this.byPlane.get(plane) ?? []) {
      if (!prefixContains(a.prefix, prefix)) continue;
      covered = true;
      if (a.originAsn === originAsn && prefix.length <= a.maxLength) return 'valid';
    }
    return covered ? 'invalid' : 'not-found';
  }
}
