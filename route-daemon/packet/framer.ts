import {
  BGP_HEADER_LENGTH,
  BGP_MARKER_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  ErrorCode,
  HeaderSubcode,
  MessageError,
  MessageType,
  MIN_MESSAGE_LENGTH,
} from './types.js';

/**
 * Splits a TCP byte stream into whole BGP messages and checks each header
 * (RFC 4271 §4.1, §6.1) before the body is read.
 */

export interface MessageHeader {
  readonly type: MessageType;
  /** Total length, header included. */
  readonly length: number;
}

function headerError(subcode: number, data: Buffer, reason: string): MessageError {
  return new MessageError(reason, { code: ErrorCode.MessageHeader, subcode, data });
}

/** The header's Length field, the data of its NOTIFICATION. */
function lengthField(buf: Buffer, offset: number): Buffer {
  return Buffer.from(buf.subarray(offset + 16, offset + 18));
}

/** Checks the 19-octet header at `offset` (which must be available); throws MessageError. */
export function checkHeader(buf: Buffer, offset: number): MessageHeader {
  for (let i = 0; i < BGP_MARKER_LENGTH; i++) {
    if (buf[offset + i] !== 0xff) {
      throw headerError(HeaderSubcode.ConnectionNotSynchronized, Buffer.alloc(0), `marker octet ${i} is not 0xff`);
    }
  }
  const length = buf.readUInt16BE(offset + 16);
  const type = buf[offset + 18]!;
  if (length < BGP_HEADER_LENGTH || length > BGP_MAX_MESSAGE_LENGTH) {
    throw headerError(HeaderSubcode.BadMessageLength, lengthField(buf, offset), `message length ${length} is outside 19..4096`);
  }
  if (type < MessageType.Open || type > MessageType.RouteRefresh) {
    throw headerError(HeaderSubcode.BadMessageType, Buffer.from([type]), `message type ${type} is unknown`);
  }
  const known = type as MessageType;
  // ROUTE-REFRESH length errors have their own NOTIFICATION (RFC 7313), sent by the decoder.
  const tooShort = known !== MessageType.RouteRefresh && length < MIN_MESSAGE_LENGTH[known];
  const keepaliveWithBody = known === MessageType.Keepalive && length !== BGP_HEADER_LENGTH;
  if (tooShort || keepaliveWithBody) {
    throw headerError(HeaderSubcode.BadMessageLength, lengthField(buf, offset), `length ${length} is invalid for message type ${type}`);
  }
  return { type: known, length };
}

export interface FramedMessages {
  /** Complete messages (header included), in order, up to any bad header. */
  readonly messages: Buffer[];
  /** Set when a header was bad: handle `messages` first, then send its NOTIFICATION and close. */
  readonly error: MessageError | null;
}

/**
 * Accumulates stream chunks and hands back complete messages (header included).
 * After an error the stream is out of sync: the session must close it.
 */
export class MessageFramer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): FramedMessages {
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Buffer[] = [];
    let offset = 0;
    let error: MessageError | null = null;
    while (buf.length - offset >= BGP_HEADER_LENGTH) {
      let length: number;
      try {
        length = checkHeader(buf, offset).length;
      } catch (e) {
        if (!(e instanceof MessageError)) throw e;
        error = e;
        break;
      }
      if (buf.length - offset < length) break;
      messages.push(buf.subarray(offset, offset + length));
      offset += length;
    }
    // Copy the remainder so a small tail does not pin a large chunk in memory.
    this.pending = error !== null || offset === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(offset));
    return { messages, error };
  }

  /** Octets received that do not yet form a whole message. */
  get bufferedLength(): number {
    return this.pending.length;
  }
}
