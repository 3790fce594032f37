import { decodeCapabilities, encodeCapabilities } from './capabilities.js';
import { BGP_HEADER_LENGTH, BGP_VERSION, ErrorCode, HeaderSubcode, MessageError, MessageType, OpenSubcode } from './types.js';
import type { Capability, OpenMessage } from './types.js';

/** OPEN (RFC 4271 §4.2) with optional parameters (RFC 5492). */

const CAPABILITIES_PARAMETER = 2;

function openError(subcode: number, reason: string, data: Buffer = Buffer.alloc(0)): MessageError {
  return new MessageError(reason, { code: ErrorCode.OpenMessage, subcode, data });
}

/** Decodes a whole OPEN message (header included, already checked by checkHeader). */
export function decodeOpen(message: Buffer): OpenMessage {
  const b = BGP_HEADER_LENGTH;
  const version = message[b]!;
  if (version !== BGP_VERSION) {
    // Data: the largest version we support (RFC 4271 §6.2).
    throw openError(OpenSubcode.UnsupportedVersionNumber, `BGP version ${version} is not supported, only 4`, Buffer.from([0, BGP_VERSION]));
  }
  const parametersLength = message[b + 9]!;
  if (b + 10 + parametersLength !== message.length) {
    throw new MessageError(`optional parameters length ${parametersLength} does not match the message length ${message.length}`, {
      code: ErrorCode.MessageHeader,
      subcode: HeaderSubcode.BadMessageLength,
      data: Buffer.from(message.subarray(16, 18)),
    });
  }
  const capabilities: Capability[] = [];
  let i = b + 10;
  while (i < message.length) {
    if (message.length - i < 2) throw openError(OpenSubcode.Unspecific, 'optional parameter header is truncated');
    const type = message[i]!;
    const length = message[i + 1]!;
    const end = i + 2 + length;
    if (end > message.length) throw openError(OpenSubcode.Unspecific, `optional parameter ${type} runs past the message`);
    if (type !== CAPABILITIES_PARAMETER) throw openError(OpenSubcode.UnsupportedOptionalParameter, `optional parameter type ${type} is not supported`);
    capabilities.push(...decodeCapabilities(message, { start: i + 2, end }));
    i = end;
  }
  return {
    type: MessageType.Open,
    version,
    myAs: message.readUInt16BE(b + 1),
    holdTime: message.readUInt16BE(b + 3),
    bgpId: message.readUInt32BE(b + 5),
    capabilities,
  };
}

/** The OPEN body (after the header). Capabilities share parameters, as many as fit in each. */
export function encodeOpenBody(open: OpenMessage): Buffer {
  const parameters: Buffer[] = [];
  let group: Buffer[] = [];
  let groupSize = 0;
  const flush = (): void => {
    if (group.length === 0) return;
    parameters.push(Buffer.from([CAPABILITIES_PARAMETER, groupSize]), ...group);
    group = [];
    groupSize = 0;
  };
  for (const capability of open.capabilities) {
    const bytes = encodeCapabilities([capability]);
    if (groupSize + bytes.length > 255) flush();
    group.push(bytes);
    groupSize += bytes.length;
  }
  flush();
  const parametersBytes = Buffer.concat(parameters);
  if (parametersBytes.length > 255) throw new RangeError(`optional parameters take ${parametersBytes.length} octets, more than 255`);
  const body = Buffer.alloc(10 + parametersBytes.length);
  body[0] = open.version;
  body.writeUInt16BE(open.myAs, 1);
  body.writeUInt16BE(open.holdTime, 3);
  body.writeUInt32BE(open.bgpId >>> 0, 5);
  body[9] = parametersBytes.length;
  parametersBytes.copy(body, 10);
  return body;
}
