import { NLMSG_HDRLEN } from './constants.js';

/**
 * Netlink framing: a growable writer that appends messages back to back (what
 * one batch sends), and a reader that walks messages and attributes. All
 * numbers are host order (little-endian on every machine garagenet targets).
 */
export class MessageWriter {
  private buffer: Buffer;
  private view: DataView;
  private length = 0;
  private messageStart = -1;
  private count = 0;

  constructor(initialBytes = 4096) {
    // Zeroed, and only ever appended to: padding and fixed headers need no fill.
    this.buffer = Buffer.alloc(initialBytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  get messageCount(): number {
    return this.count;
  }

  /** Starts a message; the sequence number is left 0 for the transport to fill. */
  begin(type: number, flags: number): void {
    this.reserve(NLMSG_HDRLEN);
    this.messageStart = this.length;
    this.view.setUint16(this.length + 4, type, true);
    this.view.setUint16(this.length + 6, flags, true);
    this.length += NLMSG_HDRLEN;
  }

  /** Appends `size` zeroed bytes and returns their offset, for fixed headers. */
  header(size: number): number {
    this.reserve(size);
    const at = this.length;
    this.length += size;
    return at;
  }

  u8(at: number, value: number): void {
    this.buffer[at] = value;
  }

  u32(at: number, value: number): void {
    this.view.setUint32(at, value >>> 0, true);
  }

  attrU32(type: number, value: number): void {
    this.reserve(8);
    this.view.setUint16(this.length, 8, true);
    this.view.setUint16(this.length + 2, type, true);
    this.view.setUint32(this.length + 4, value >>> 0, true);
    this.length += 8;
  }

  /** An attribute holding `count` bytes of `bytes` (all of them by default). */
  attrBytes(type: number, bytes: Uint8Array, count = bytes.length): void {
    const size = 4 + count;
    const padded = (size + 3) & ~3;
    this.reserve(padded);
    this.view.setUint16(this.length, size, true);
    this.view.setUint16(this.length + 2, type, true);
    const at = this.length + 4;
    for (let i = 0; i < count; i++) this.buffer[at + i] = bytes[i]!;
    this.length += padded;
  }

  attrString(type: number, text: string): void {
    this.attrBytes(type, Buffer.from(`${text}\0`, 'utf8'));
  }

  end(): void {
    this.view.setUint32(this.messageStart, this.length - this.messageStart, true);
    this.messageStart = -1;
    this.count++;
  }

  /** The messages written so far (a view, not a copy). */
  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + bytes) size *= 2;
    const grown = Buffer.alloc(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }
}

export interface MessageView {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  /** Offset of the payload (after the netlink header) in the buffer. */
  readonly payload: number;
  /** Offset one past the end of the message. */
  readonly end: number;
}

/** Walks netlink messages laid back to back; stops at a malformed length. */
export function* readMessages(buffer: Buffer): Generator<MessageView> {
  let offset = 0;
  while (offset + NLMSG_HDRLEN <= buffer.length) {
    const length = buffer.readUInt32LE(offset);
    if (length < NLMSG_HDRLEN || offset + length > buffer.length) return;
    yield {
      type: buffer.readUInt16LE(offset + 4),
      flags: buffer.readUInt16LE(offset + 6),
      seq: buffer.readUInt32LE(offset + 8),
      payload: offset + NLMSG_HDRLEN,
      end: offset + length,
    };
    offset += (length + 3) & ~3;
  }
}

/** Calls `visit(type, start, end)` for each attribute between `start` and `end`. */
export function forEachAttribute(
  buffer: Buffer,
  range: { start: number; end: number },
  visit: (type: number, start: number, end: number) => void,
): void {
  let offset = range.start;
  while (offset + 4 <= range.end) {
    const length = buffer.readUInt16LE(offset);
    if (length < 4 || offset + length > range.end) return;
    visit(buffer.readUInt16LE(offset + 2) & 0x3fff, offset + 4, offset + length);
    offset += (length + 3) & ~3;
  }
}

/** A NUL-terminated string attribute's text. */
export function readCString(buffer: Buffer, range: { start: number; end: number }): string {
  const { start, end } = range;
  const nul = buffer.indexOf(0, start);
  return buffer.toString('utf8', start, nul >= 0 && nul < end ? nul : end);
}
