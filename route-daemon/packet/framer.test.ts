import { describe, expect, it } from 'vitest';
import { encodeMessage } from './codec.js';
import { MessageFramer } from './framer.js';
import { ErrorCode, HeaderSubcode, MessageError, MessageType } from './types.js';

const OPTIONS = { fourOctetAs: true, families: [] };
const keepalive = encodeMessage({ type: MessageType.Keepalive }, OPTIONS);
const refresh = encodeMessage({ type: MessageType.RouteRefresh, afi: 1, safi: 1, subtype: 0 }, OPTIONS);

function headerErrorOf(bytes: Buffer): { code: number; subcode: number; data: string } | null {
  const { error } = new MessageFramer().push(bytes);
  if (error === null) return null;
  return { code: error.notification.code, subcode: error.notification.subcode, data: error.notification.data.toString('hex') };
}

describe('MessageFramer', () => {
  it('splits a stream cut at every possible point into the same messages', () => {
    const stream = Buffer.concat([keepalive, refresh, keepalive]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new MessageFramer();
      const out = [...framer.push(stream.subarray(0, cut)).messages, ...framer.push(stream.subarray(cut)).messages];
      expect(out).toEqual([keepalive, refresh, keepalive]);
      expect(framer.bufferedLength).toBe(0);
    }
  });

  it('feeds one byte at a time', () => {
    const framer = new MessageFramer();
    const out: Buffer[] = [];
    for (const byte of refresh) out.push(...framer.push(Buffer.from([byte])).messages);
    expect(out).toEqual([refresh]);
  });

  it('keeps an incomplete tail', () => {
    const framer = new MessageFramer();
    expect(framer.push(Buffer.concat([keepalive, refresh.subarray(0, 20)]))).toEqual({ messages: [keepalive], error: null });
    expect(framer.bufferedLength).toBe(20);
  });

  it('rejects a bad marker, length and type with the RFC 4271 §6.1 NOTIFICATION', () => {
    const badMarker = Buffer.from(keepalive);
    badMarker[3] = 0;
    expect(headerErrorOf(badMarker)).toEqual({ code: ErrorCode.MessageHeader, subcode: HeaderSubcode.ConnectionNotSynchronized, data: '' });
    const tooLong = Buffer.from(keepalive);
    tooLong.writeUInt16BE(4097, 16);
    expect(headerErrorOf(tooLong)).toEqual({ code: 1, subcode: HeaderSubcode.BadMessageLength, data: '1001' });
    const badType = Buffer.from(keepalive);
    badType[18] = 6;
    expect(headerErrorOf(badType)).toEqual({ code: 1, subcode: HeaderSubcode.BadMessageType, data: '06' });
    const longKeepalive = Buffer.concat([keepalive, Buffer.from([0])]);
    longKeepalive.writeUInt16BE(20, 16);
    expect(headerErrorOf(longKeepalive)).toEqual({ code: 1, subcode: HeaderSubcode.BadMessageLength, data: '0014' });
  });

  it('hands back the messages before a bad header together with its error', () => {
    const badType = Buffer.from(keepalive);
    badType[18] = 9;
    const { messages, error } = new MessageFramer().push(Buffer.concat([refresh, keepalive, badType, keepalive]));
    expect(messages).toEqual([refresh, keepalive]);
    expect(error).toBeInstanceOf(MessageError);
    expect(error?.notification.subcode).toBe(HeaderSubcode.BadMessageType);
  });
});
