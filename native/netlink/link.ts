import { IFF_LOWER_UP, IFF_UP, IFLA_IFNAME, IFLA_MTU, NLM_F_REQUEST, RTM_GETLINK, RTM_NEWLINK } from './constants.js';
import { forEachAttribute, readCString, type MessageView, type MessageWriter } from './message.js';

/** Links (struct ifinfomsg + IFLA_* attributes): listing and up/down. */

export interface DecodedLink {
  readonly ifindex: number;
  readonly name: string;
  readonly up: boolean;
  /** Carrier present (IFF_LOWER_UP). */
  readonly lowerUp: boolean;
  readonly mtu: number;
}

export function encodeLinkState(writer: MessageWriter, state: { ifindex: number; up: boolean }): void {
  const { ifindex, up } = state;
  writer.begin(RTM_NEWLINK, NLM_F_REQUEST);
  const h = writer.header(16);
  writer.u32(h + 4, ifindex);
  writer.u32(h + 8, up ? IFF_UP : 0);
  writer.u32(h + 12, IFF_UP);
  writer.end();
}

export function encodeLinkDump(writer: MessageWriter): void {
  writer.begin(RTM_GETLINK, NLM_F_REQUEST);
  writer.header(16);
  writer.end();
}

export function decodeLink(buffer: Buffer, message: MessageView): DecodedLink | null {
  const p = message.payload;
  if (message.end - p < 16) return null;
  const flags = buffer.readUInt32LE(p + 8);
  let name = '';
  let mtu = 0;
  forEachAttribute(buffer, { start: p + 16, end: message.end }, (attr, start, end) => {
    if (attr === IFLA_IFNAME) name = readCString(buffer, { start, end });
    else if (attr === IFLA_MTU) mtu = buffer.readUInt32LE(start);
  });
  return { ifindex: buffer.readInt32LE(p + 4), name, up: (flags & IFF_UP) !== 0, lowerUp: (flags & IFF_LOWER_UP) !== 0, mtu };
}
