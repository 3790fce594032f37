import { checkHeader } from './framer.js';
import { decodeOpen, encodeOpenBody } from './open.js';
import { decodeUpdate, encodeUpdateBody } from './update.js';
import {
  BGP_HEADER_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  ErrorCode,
  HeaderSubcode,
  MessageError,
  MessageType,
  RouteRefreshSubcode,
} from './types.js';
import type { BgpMessage, CodecOptions, NotificationMessage, RouteRefreshMessage } from './types.js';

/**
 * Whole-message codec: one BGP message (header included) <-> a typed BgpMessage.
 * Pure functions over Buffers; the only exception decodeMessage throws is MessageError.
 */

export function decodeMessage(message: Buffer, options: CodecOptions): BgpMessage {
  if (message.length < BGP_HEADER_LENGTH) {
    throw new MessageError(`message is ${message.length} octets, shorter than a header`, {
      code: ErrorCode.MessageHeader,
      subcode: HeaderSubcode.BadMessageLength,
      data: Buffer.from([message.length >> 8, message.length & 0xff]),
    });
  }
  const { type, length } = checkHeader(message, 0);
  if (length !== message.length) {
    throw new MessageError(`header says ${length} octets but the message has ${message.length}`, {
      code: ErrorCode.MessageHeader,
      subcode: HeaderSubcode.BadMessageLength,
      data: Buffer.from(message.subarray(16, 18)),
    });
  }
  return decodeFramed(message, type, options);
}

/**
 * `decodeMessage` for a message MessageFramer cut from the stream, whose
 * header it has checked already (`type` is the header's): both checks
 * together were 1.6% of a full-table ingest (CPU profile).
 */
export function decodeFramed(message: Buffer, type: MessageType, options: CodecOptions): BgpMessage {
  switch (type) {
    case MessageType.Open:
      return decodeOpen(message);
    case MessageType.Update:
      return decodeUpdate(message, options);
    case MessageType.Notification:
      return decodeNotification(message);
    case MessageType.Keepalive:
      return { type: MessageType.Keepalive };
    case MessageType.RouteRefresh:
      return decodeRouteRefresh(message);
  }
}

function decodeNotification(message: Buffer): NotificationMessage {
  return {
    type: MessageType.Notification,
    code: message[BGP_HEADER_LENGTH]!,
    subcode: message[BGP_HEADER_LENGTH + 1]!,
    data: Buffer.from(message.subarray(BGP_HEADER_LENGTH + 2)),
  };
}

function decodeRouteRefresh(message: Buffer): RouteRefreshMessage {
  if (message.length !== BGP_HEADER_LENGTH + 4) {
    // RFC 7313 §5: the data is the whole message.
    throw new MessageError(`ROUTE-REFRESH is ${message.length} octets, expected 23`, {
      code: ErrorCode.RouteRefreshMessage,
      subcode: RouteRefreshSubcode.InvalidMessageLength,
      data: Buffer.from(message),
    });
  }
  return {
    type: MessageType.RouteRefresh,
    afi: message.readUInt16BE(BGP_HEADER_LENGTH),
    subtype: message[BGP_HEADER_LENGTH + 2]!,
    safi: message[BGP_HEADER_LENGTH + 3]!,
  };
}

function encodeBody(message: BgpMessage, options: CodecOptions): Buffer {
  switch (message.type) {
    case MessageType.Open:
      return encodeOpenBody(message);
    case MessageType.Update:
      return encodeUpdateBody(message, options);
    case MessageType.Notification:
      return Buffer.concat([Buffer.from([message.code, message.subcode]), message.data]);
    case MessageType.Keepalive:
      return Buffer.alloc(0);
    case MessageType.RouteRefresh: {
      const body = Buffer.alloc(4);
      body.writeUInt16BE(message.afi, 0);
      body[2] = message.subtype;
      body[3] = message.safi;
      return body;
    }
  }
}

/** Encodes one message with its header; throws RangeError if it would exceed 4096 octets. */
export function encodeMessage(message: BgpMessage, options: CodecOptions): Buffer {
  const body = encodeBody(message, options);
  const length = BGP_HEADER_LENGTH + body.length;
  if (length > BGP_MAX_MESSAGE_LENGTH) throw new RangeError(`message type ${message.type} would be ${length} octets, over 4096`);
  const out = Buffer.alloc(length, 0xff);
  out.writeUInt16BE(length, 16);
  out[18] = message.type;
  body.copy(out, BGP_HEADER_LENGTH);
  return out;
}

/** A NOTIFICATION truncated to fit one message, as sent when resetting a session. */
export function encodeNotification(fields: { code: number; subcode: number; data: Buffer }): Buffer {
  const data = fields.data.subarray(0, BGP_MAX_MESSAGE_LENGTH - BGP_HEADER_LENGTH - 2);
  return encodeMessage({ type: MessageType.Notification, code: fields.code, subcode: fields.subcode, data }, { fourOctetAs: true, families: [] });
}
