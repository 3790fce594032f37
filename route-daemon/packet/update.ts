import { decodePathAttributes, emptyAttributes, encodePathAttributes } from './attributes.js';
import { decodeIpv4Prefixes, ipv4PrefixesSize, writeIpv4Prefixes } from './nlri.js';
import {
  Afi,
  BGP_HEADER_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  ErrorCode,
  ipv4PrefixLength,
  ipv6PrefixLength,
  MessageError,
  MessageType,
  Safi,
  UpdateSubcode,
} from './types.js';
import type { CodecOptions, Ipv4Prefix, Ipv6Prefix, PathAttributes, UpdateMessage } from './types.js';

/** UPDATE (RFC 4271 §4.3): withdrawn routes, path attributes, NLRI. */

function updateError(subcode: number, reason: string): MessageError {
  return new MessageError(reason, { code: ErrorCode.UpdateMessage, subcode, data: Buffer.alloc(0) });
}

/**
 * Decodes a whole UPDATE (header included, already checked by checkHeader).
 * Throws MessageError only when the fields cannot be located or an NLRI/withdrawn
 * prefix is invalid, the cases where RFC 7606 (§3 j, §5.3) keeps the session reset.
 * Attribute problems are returned in `problems` for validate.ts.
 */
export function decodeUpdate(message: Buffer, options: CodecOptions): UpdateMessage {
  const end = message.length;
  const withdrawnLength = message.readUInt16BE(BGP_HEADER_LENGTH);
  const withdrawnEnd = BGP_HEADER_LENGTH + 2 + withdrawnLength;
  if (withdrawnEnd + 2 > end) {
    throw updateError(UpdateSubcode.MalformedAttributeList, `withdrawn routes length ${withdrawnLength} runs past the message`);
  }
  const attributesLength = message.readUInt16BE(withdrawnEnd);
  const attributesStart = withdrawnEnd + 2;
  const attributesEnd = attributesStart + attributesLength;
  if (attributesEnd > end) {
    throw updateError(UpdateSubcode.MalformedAttributeList, `total path attribute length ${attributesLength} runs past the message`);
  }
  const withdrawn = decodeIpv4Prefixes(message, { start: BGP_HEADER_LENGTH + 2, end: withdrawnEnd });
  if (!withdrawn.ok) throw updateError(UpdateSubcode.InvalidNetworkField, `withdrawn routes: ${withdrawn.error}`);
  const nlri = decodeIpv4Prefixes(message, { start: attributesEnd, end });
  if (!nlri.ok) throw updateError(UpdateSubcode.InvalidNetworkField, `NLRI: ${nlri.error}`);
  const decoded =
    attributesLength === 0
      ? { attributes: emptyAttributes(), problems: [] }
      : decodePathAttributes(message, { start: attributesStart, end: attributesEnd }, options);
  return {
    type: MessageType.Update,
    withdrawn: withdrawn.prefixes,
    attributes: decoded.attributes,
    nlri: nlri.prefixes,
    attributeLength: attributesLength,
    problems: decoded.problems,
  };
}

export function encodeUpdateBody(update: Pick<UpdateMessage, 'withdrawn' | 'attributes' | 'nlri'>, options: CodecOptions): Buffer {
  const attributes = encodePathAttributes(update.attributes, options);
  const withdrawnSize = ipv4PrefixesSize(update.withdrawn);
  const body = Buffer.alloc(4 + withdrawnSize + attributes.length + ipv4PrefixesSize(update.nlri));
  body.writeUInt16BE(withdrawnSize, 0);
  let o = writeIpv4Prefixes(body, update.withdrawn, 2);
  body.writeUInt16BE(attributes.length, o);
  o += 2 + attributes.copy(body, o + 2);
  writeIpv4Prefixes(body, update.nlri, o);
  return body;
}

function writeHeader(message: Buffer, type: number): void {
  message.fill(0xff, 0, 16);
  message.writeUInt16BE(message.length, 16);
  message[18] = type;
}

/**
 * Path attributes that leave no room in a 4096-octet UPDATE for one prefix
 * of the longest length. A route received near the limit can grow past it on
 * its way out (our AS prepended, AS4_PATH for an old speaker); the caller
 * decides what to send instead.
 */
export class AttributesTooLarge extends RangeError {
  constructor(readonly octets: number) {
    super(`path attributes take ${octets} octets, too many for one UPDATE`);
  }
}

/** Room for NLRI in an UPDATE whose Path Attributes field takes `octets`, no withdrawals. */
const roomAfter = (octets: number): number => BGP_MAX_MESSAGE_LENGTH - BGP_HEADER_LENGTH - 4 - octets;

/**
 * An UPDATE with its header, both length fields and `attributes` written; the
 * caller writes the withdrawn routes (`withdrawnSize` octets at
 * BGP_HEADER_LENGTH + 2) and the NLRI (`nlriSize` octets, last).
 */
function updateFrame(withdrawnSize: number, attributes: Buffer, nlriSize: number): Buffer {
  const message = Buffer.allocUnsafe(BGP_HEADER_LENGTH + 4 + withdrawnSize + attributes.length + nlriSize);
  writeHeader(message, MessageType.Update);
  message.writeUInt16BE(withdrawnSize, BGP_HEADER_LENGTH);
  message.writeUInt16BE(attributes.length, BGP_HEADER_LENGTH + 2 + withdrawnSize);
  attributes.copy(message, BGP_HEADER_LENGTH + 4 + withdrawnSize);
  return message;
}

const NO_ATTRIBUTES = Buffer.alloc(0);

const ipv4Octets = (prefix: Ipv4Prefix): number => 1 + ((ipv4PrefixLength(prefix) + 7) >> 3);
const ipv6Octets = (prefix: Ipv6Prefix): number => 1 + ((ipv6PrefixLength(prefix) + 7) >> 3);

/**
 * Whole UPDATE messages announcing `prefixes` with `attributes` (IPv4 NLRI field),
 * as many prefixes per message as fit in 4096 octets. Encodes the attributes once;
 * given as a Buffer, they are the Path Attributes field encodePathAttributes made
 * with the same codec options, and go out as they are (one encoding for many peers).
 * Throws AttributesTooLarge when a /32 would not fit beside them.
 */
export function encodeIpv4Announcements(
  announcement: { readonly attributes: PathAttributes | Buffer; readonly prefixes: readonly Ipv4Prefix[] },
  options: CodecOptions,
): Buffer[] {
  const given = announcement.attributes;
  const attributes = Buffer.isBuffer(given) ? given : encodePathAttributes(given, options);
  const room = roomAfter(attributes.length);
  if (room < 5) throw new AttributesTooLarge(attributes.length);
  return packPrefixes(announcement.prefixes, ipv4Octets, room, (chunk, size) => {
    const message = updateFrame(0, attributes, size);
    writeIpv4Prefixes(message, chunk, BGP_HEADER_LENGTH + 4 + attributes.length);
    return message;
  });
}

/** IPv6 unicast prefixes to announce, with the attributes and next hops of their MP_REACH_NLRI. */
export interface Ipv6Announcement {
  readonly attributes: PathAttributes;
  readonly nextHop: bigint;
  readonly linkLocalNextHop: bigint | null;
  readonly prefixes: readonly Ipv6Prefix[];
}

/**
 * Whole UPDATE messages announcing IPv6 `prefixes` in MP_REACH_NLRI beside
 * `attributes`, as many per message as fit in 4096 octets. Throws
 * AttributesTooLarge when a /128 would not fit beside them.
 */
export function encodeIpv6Announcements(announcement: Ipv6Announcement, options: CodecOptions): Buffer[] {
  const { attributes, nextHop, linkLocalNextHop } = announcement;
  const withPrefixes = (prefixes: readonly Ipv6Prefix[]): Buffer =>
    encodePathAttributes({ ...attributes, mpReach: { afi: Afi.Ipv6, safi: Safi.Unicast, nextHop, linkLocalNextHop, prefixes } }, options);
  const bare = withPrefixes([]).length;
  // MP_REACH_NLRI's header takes one more octet once its value passes 255 (Extended Length).
  const room = roomAfter(bare) - 1;
  if (room < 17) throw new AttributesTooLarge(bare);
  return packPrefixes(announcement.prefixes, ipv6Octets, room, (chunk) => updateFrame(0, withPrefixes(chunk), 0));
}

/** Whole UPDATE messages withdrawing `prefixes` (IPv4 Withdrawn Routes field). */
export function encodeIpv4Withdrawals(prefixes: readonly Ipv4Prefix[]): Buffer[] {
  return packPrefixes(prefixes, ipv4Octets, roomAfter(0), (chunk, size) => {
    const message = updateFrame(size, NO_ATTRIBUTES, 0);
    writeIpv4Prefixes(message, chunk, BGP_HEADER_LENGTH + 2);
    return message;
  });
}

/** Prefixes in consecutive chunks of at most `room` octets, each built into a message. */
function packPrefixes<P>(
  prefixes: readonly P[],
  octets: (prefix: P) => number,
  room: number,
  build: (chunk: readonly P[], size: number) => Buffer,
): Buffer[] {
  const messages: Buffer[] = [];
  let from = 0;
  while (from < prefixes.length) {
    let size = 0;
    let to = from;
    while (to < prefixes.length) {
      const bytes = octets(prefixes[to]!);
      if (size + bytes > room) break;
      size += bytes;
      to++;
    }
    messages.push(build(from === 0 && to === prefixes.length ? prefixes : prefixes.slice(from, to), size));
    from = to;
  }
  return messages;
}
