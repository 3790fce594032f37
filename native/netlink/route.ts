import {
  AF_INET,
  AF_INET6,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  RTA_DST,
  RTA_GATEWAY,
  RTA_MULTIPATH,
  RTA_OIF,
  RTA_PRIORITY,
  RTA_TABLE,
  RTM_DELROUTE,
  RTM_F_CLONED,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RTN_BLACKHOLE,
  RTN_PROHIBIT,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_COMPAT,
} from './constants.js';
import { formatWireAddress, parseWireAddress, parseWirePrefixInto, type IpFamily } from './ip.js';
import { forEachAttribute, type MessageView, type MessageWriter } from './message.js';

/** rtnetlink route messages (struct rtmsg + RTA_* attributes), encoded and decoded. */

export type RouteType = 'unicast' | 'unreachable' | 'blackhole' | 'prohibit';
export type RouteOp = 'add' | 'replace' | 'delete';

/** A route to encode; `ifindex` is the output device. */
export interface RouteFields {
  readonly prefix: string;
  readonly type?: RouteType;
  readonly gateway?: string;
  readonly ifindex?: number;
  /** Route metric (RTA_PRIORITY); part of the route's identity with the prefix. */
  readonly metric?: number;
}

/** Where a batch goes and whose routes it touches. */
export interface RouteOwner {
  readonly table: number;
  /** Owner tag (rtm_protocol). */
  readonly protocol: number;
}

export interface DecodedRoute {
  readonly family: IpFamily;
  readonly prefix: string;
  readonly table: number;
  readonly protocol: number;
  readonly type: RouteType | 'other';
  readonly gateway?: string;
  readonly ifindex?: number;
  readonly metric: number;
  readonly multipath: boolean;
}

const typeNumbers: Record<RouteType, number> = {
  unicast: RTN_UNICAST,
  unreachable: RTN_UNREACHABLE,
  blackhole: RTN_BLACKHOLE,
  prohibit: RTN_PROHIBIT,
};

function typeName(n: number): RouteType | 'other' {
  switch (n) {
    case RTN_UNICAST:
      return 'unicast';
    case RTN_UNREACHABLE:
      return 'unreachable';
    case RTN_BLACKHOLE:
      return 'blackhole';
    case RTN_PROHIBIT:
      return 'prohibit';
    default:
      return 'other';
  }
}

const opFlags: Record<RouteOp, number> = {
  // EXCL: an add never overwrites a route that is already there (possibly not ours).
  add: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
  replace: NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE,
  delete: NLM_F_REQUEST,
};

/**
 * Appends one route request. A delete names the route by table, prefix,
 * metric and protocol only: the kernel then removes it only if its protocol
 * is ours (both the IPv4 and IPv6 FIB compare rtm_protocol on delete).
 */
export function encodeRoute(writer: MessageWriter, route: RouteFields, options: RouteOwner & { op: RouteOp }): void {
  const { op } = options;
  const dst = parseWirePrefixInto(route.prefix, { what: 'route prefix', into: dstScratch });
  const type = route.type ?? 'unicast';
  const gateway = route.gateway === undefined ? undefined : parseGateway(route.gateway, route.prefix);
  if (gateway && gateway.family !== dst.family) {
    throw new TypeError(`route ${route.prefix}: gateway ${route.gateway} is not of the same address family`);
  }
  if (op !== 'delete' && type === 'unicast' && gateway === undefined && route.ifindex === undefined) {
    throw new TypeError(`route ${route.prefix}: a unicast route needs a gateway or a device`);
  }
  const addressBytes = dst.family === 4 ? 4 : 16;
  writer.begin(op === 'delete' ? RTM_DELROUTE : RTM_NEWROUTE, opFlags[op]);
  const h = writer.header(12);
  writer.u8(h, dst.family === 4 ? AF_INET : AF_INET6);
  writer.u8(h + 1, dst.length);
  writer.u8(h + 4, options.table < 256 ? options.table : RT_TABLE_COMPAT);
  writer.u8(h + 5, options.protocol);
  if (op === 'delete') {
    writer.u8(h + 6, RT_SCOPE_NOWHERE);
  } else {
    writer.u8(h + 6, type === 'unicast' && gateway === undefined ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
    writer.u8(h + 7, typeNumbers[type]);
  }
  writer.attrU32(RTA_TABLE, options.table);
  if (dst.length > 0) writer.attrBytes(RTA_DST, dstScratch, addressBytes);
  writer.attrU32(RTA_PRIORITY, effectiveMetric(dst.family, route.metric));
  if (op !== 'delete') {
    if (gateway) writer.attrBytes(RTA_GATEWAY, gateway.bytes);
    if (route.ifindex !== undefined) writer.attrU32(RTA_OIF, route.ifindex);
  }
  writer.end();
}

// Encoding is synchronous, so one scratch buffer serves every call.
const dstScratch = Buffer.alloc(16);

// A batch usually repeats a handful of next hops: remember the last one parsed.
let lastGateway: { text: string; family: IpFamily; bytes: Buffer } | undefined;

function parseGateway(text: string, prefix: string): { family: IpFamily; bytes: Buffer } {
  if (lastGateway?.text !== text) lastGateway = { text, ...parseWireAddress(text, `gateway of ${prefix}`) };
  return lastGateway;
}

/** A dump request for one table and family (the kernel filters by table: strict checking is on). */
export function encodeRouteDump(writer: MessageWriter, filter: { family: IpFamily; table: number }): void {
  const { family, table } = filter;
  writer.begin(RTM_GETROUTE, NLM_F_REQUEST);
  const h = writer.header(12);
  writer.u8(h, family === 4 ? AF_INET : AF_INET6);
  writer.u8(h + 4, table < 256 ? table : 0);
  writer.attrU32(RTA_TABLE, table);
  writer.end();
}

/** Decodes an RTM_NEWROUTE/RTM_DELROUTE; null for cached clones and other families. */
export function decodeRoute(buffer: Buffer, message: MessageView): DecodedRoute | null {
  const p = message.payload;
  if (message.end - p < 12) return null;
  const af = buffer[p]!;
  if (af !== AF_INET && af !== AF_INET6) return null;
  if (buffer.readUInt32LE(p + 8) & RTM_F_CLONED) return null;
  const family: IpFamily = af === AF_INET ? 4 : 6;
  const addressBytes = family === 4 ? 4 : 16;
  const length = buffer[p + 1]!;
  let table = buffer[p + 4]!;
  const protocol = buffer[p + 5]!;
  const type = typeName(buffer[p + 7]!);
  let dst = -1;
  let gateway: string | undefined;
  let ifindex: number | undefined;
  let metric = 0;
  let multipath = false;
  forEachAttribute(buffer, { start: p + 12, end: message.end }, (attr, start, end) => {
    if (attr === RTA_DST && end - start >= addressBytes) dst = start;
    else if (attr === RTA_GATEWAY && end - start >= addressBytes) gateway = formatWireAddress(buffer, { at: start, family });
    else if (attr === RTA_OIF) ifindex = buffer.readUInt32LE(start);
    else if (attr === RTA_PRIORITY) metric = buffer.readUInt32LE(start);
    else if (attr === RTA_TABLE) table = buffer.readUInt32LE(start);
    else if (attr === RTA_MULTIPATH) multipath = true;
  });
  const prefix = `${dst < 0 ? (family === 4 ? '0.0.0.0' : '::') : formatWireAddress(buffer, { at: dst, family })}/${length}`;
  const route: DecodedRoute = { family, prefix, table, protocol, type, metric, multipath };
  if (gateway !== undefined) Object.assign(route, { gateway });
  if (ifindex !== undefined) Object.assign(route, { ifindex });
  return route;
}

/**
 * The metric the kernel will store: IPv6 turns 0 (or none) into 1024, so the
 * requests always carry it explicitly and keys compare what the kernel reports.
 */
export function effectiveMetric(family: IpFamily, metric: number | undefined): number {
  if (family === 6 && !metric) return 1024;
  return metric ?? 0;
}

/** The route's identity in its table: canonical prefix and effective metric. */
export function routeKey(prefix: string, metric: number): string {
  return `${prefix} ${metric}`;
}
