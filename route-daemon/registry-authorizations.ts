import { oneLine } from '../common/errors.js';
import { parsePrefix } from '../common/prefix.js';
import type { RouteAuthorization } from './policy/origin-validation.js';
import { PLANES, type Plane } from './routing/instance.js';

/**
 * The registry's route authorizations (its ListAuthorizations / Watch
 * records) as the daemon's import policy takes them. Typed by shape, so the
 * daemon needs no registry code. A record the daemon cannot use is set
 * aside with the reason instead of failing the whole set: one bad record
 * must not stop a node from taking everyone else's.
 */

export interface PublishedAuthorization {
  readonly prefix: string;
  readonly maxLength: number;
  readonly originAsn: number;
  readonly plane: string;
}

export interface ConvertedAuthorizations {
  readonly authorizations: RouteAuthorization[];
  readonly refused: { readonly prefix: string; readonly reason: string }[];
}

export function routeAuthorizations(published: readonly PublishedAuthorization[]): ConvertedAuthorizations {
  const authorizations: RouteAuthorization[] = [];
  const refused: { prefix: string; reason: string }[] = [];
  for (const record of published) {
    try {
      authorizations.push(convert(record));
    } catch (err) {
      refused.push({ prefix: record.prefix, reason: oneLine(err) });
    }
  }
  return { authorizations, refused };
}

function convert(record: PublishedAuthorization): RouteAuthorization {
  if (!(PLANES as readonly string[]).includes(record.plane)) throw new Error(`"${record.plane}" is not a plane`);
  const prefix = parsePrefix(record.prefix);
  const bits = prefix.family === 4 ? 32 : 128;
  if (!Number.isInteger(record.maxLength) || record.maxLength < prefix.length || record.maxLength > bits) {
    throw new Error(`max length ${record.maxLength} is not between ${prefix.length} and ${bits}`);
  }
  if (!Number.isInteger(record.originAsn) || record.originAsn < 1 || record.originAsn > 0xffffffff) throw new Error(`origin AS ${record.originAsn} is not an AS number`);
  return { prefix, maxLength: record.maxLength, originAsn: record.originAsn, plane: record.plane as Plane };
}
