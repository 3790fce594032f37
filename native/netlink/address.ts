import { AF_INET, AF_INET6, IFA_ADDRESS, IFA_LOCAL, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR } from './constants.js';
import { formatWireAddress, parseWireAddress, type IpFamily } from './ip.js';
import { forEachAttribute, type MessageView, type MessageWriter } from './message.js';

/** Interface addresses (struct ifaddrmsg + IFA_* attributes). */

export interface AddressFields {
  readonly ifindex: number;
  /** "192.0.2.1/24" or "2001:db8::1/64". */
  readonly address: string;
}

export interface DecodedAddress extends AddressFields {
  readonly family: IpFamily;
}

function split(text: string): { address: string; length: number } {
  const slash = text.indexOf('/');
  const length = Number(text.slice(slash + 1));
  if (slash < 0 || !Number.isInteger(length) || slash + 1 === text.length) {
    throw new TypeError(`address "${text}" needs a prefix length, like 192.0.2.1/24`);
  }
  return { address: text.slice(0, slash), length };
}

export function encodeAddress(writer: MessageWriter, fields: AddressFields, options: { op: 'add' | 'delete' }): void {
  const { op } = options;
  const { address, length } = split(fields.address);
  const ip = parseWireAddress(address, `address on interface ${fields.ifindex}`);
  if (length < 0 || length > (ip.family === 4 ? 32 : 128)) throw new TypeError(`address "${fields.address}" has an invalid prefix length`);
  writer.begin(op === 'add' ? RTM_NEWADDR : RTM_DELADDR, op === 'add' ? NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL : NLM_F_REQUEST);
  const h = writer.header(8);
  writer.u8(h, ip.family === 4 ? AF_INET : AF_INET6);
  writer.u8(h + 1, length);
  writer.u32(h + 4, fields.ifindex);
  writer.attrBytes(IFA_LOCAL, ip.bytes);
  writer.attrBytes(IFA_ADDRESS, ip.bytes);
  writer.end();
}

export function encodeAddressDump(writer: MessageWriter): void {
  writer.begin(RTM_GETADDR, NLM_F_REQUEST);
  writer.header(8);
  writer.end();
}

export function decodeAddress(buffer: Buffer, message: MessageView): DecodedAddress | null {
  const p = message.payload;
  if (message.end - p < 8) return null;
  const af = buffer[p]!;
  if (af !== AF_INET && af !== AF_INET6) return null;
  const family: IpFamily = af === AF_INET ? 4 : 6;
  let local = -1;
  let peer = -1;
  forEachAttribute(buffer, { start: p + 8, end: message.end }, (attr, start) => {
    if (attr === IFA_LOCAL) local = start;
    else if (attr === IFA_ADDRESS) peer = start;
  });
  const at = local >= 0 ? local : peer;
  if (at < 0) return null;
  return { family, ifindex: buffer.readUInt32LE(p + 4), address: `${formatWireAddress(buffer, { at: at, family })}/${buffer[p + 1]}` };
}
