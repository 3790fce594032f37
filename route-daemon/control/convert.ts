import { UserError } from '../../common/errors.js';
import { formatAddress, formatPrefix } from '../../common/prefix.js';
import { originAs } from '../policy/origin-validation.js';
import type { LargeCommunity } from '../routing/attributes.js';
import type { RouteChange } from '../routing/change-log.js';
import type { RouteView } from '../routing/queries.js';
import type { RouteChangeMessage, RouteMessage } from './messages.js';

/** Between the routing core's views and the control API's messages. */

export function routeMessage(route: RouteView, options: { localAsn: number }): RouteMessage {
  return {
    prefix: formatPrefix(route.prefix),
    decidedBy: route.decidedBy,
    paths: route.paths.map((path) => {
      const a = path.attributes;
      return {
        peer: path.peer,
        best: path.best,
        validation: path.validation,
        stale: path.stale,
        suppressed: path.suppressed,
        origin: a.origin,
        asPath: a.asPath.map((s) => ({ type: s.type, asns: [...s.asns] })),
        nextHop: path.peer === 'local' ? '' : formatAddress(a.nextHop),
        hasMed: a.med !== undefined,
        med: a.med ?? 0,
        hasLocalPref: a.localPref !== undefined,
        localPref: a.localPref ?? 0,
        atomicAggregate: a.atomicAggregate ?? false,
        aggregator: a.aggregator ? `${a.aggregator.asn} ${formatAddress(a.aggregator.address)}` : '',
        communities: (a.communities ?? []).map(formatCommunity),
        largeCommunities: (a.largeCommunities ?? []).map((c) => c.join(':')),
        unknownAttributes: (a.unknown ?? []).map((u) => u.type),
        originAsn: originAs(a.asPath, options.localAsn) ?? 0,
      };
    }),
  };
}

export function routeChangeMessage(change: RouteChange): RouteChangeMessage {
  const a = change.attributes;
  return {
    timeUnixMs: change.time,
    kind: change.kind,
    prefix: formatPrefix(change.prefix),
    peer: change.peer,
    asPath: a ? a.asPath.map((s) => ({ type: s.type, asns: [...s.asns] })) : [],
    nextHop: a && change.peer !== 'local' ? formatAddress(a.nextHop) : '',
  };
}

export function formatCommunity(value: number): string {
  return `${value >>> 16}:${value & 0xffff}`;
}

/** "65000:1" (RFC 1997: two 16-bit halves). */
export function parseCommunity(text: string): number {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text.trim());
  const high = Number(m?.[1]);
  const low = Number(m?.[2]);
  if (!m || high > 0xffff || low > 0xffff) {
    throw new UserError(`"${text}" is not a community`, { hint: 'write it as ASN:VALUE with two 16-bit numbers, like 65000:1' });
  }
  return ((high << 16) | low) >>> 0;
}

/** "4200000001:1:2" (RFC 8092: three 32-bit numbers). */
export function parseLargeCommunity(text: string): LargeCommunity {
  const parts = text.trim().split(':');
  const numbers = parts.map((p) => (/^\d{1,10}$/.test(p) ? Number(p) : NaN));
  if (numbers.length !== 3 || numbers.some((n) => !(n <= 0xffffffff))) {
    throw new UserError(`"${text}" is not a large community`, { hint: 'write it as three 32-bit numbers, like 4200000001:1:2' });
  }
  return [numbers[0]!, numbers[1]!, numbers[2]!];
}
