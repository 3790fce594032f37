import type { ByteSpan } from './nlri.js';
import { CapabilityCode, ErrorCode, IPV4_UNICAST, MessageError, OpenSubcode } from './types.js';
import type { AddressFamily, Capability, CodecOptions, GracefulRestartFamily, OpenMessage } from './types.js';

/**
 * Capabilities optional parameter (RFC 5492): a list of (code, length, value).
 * Known capabilities are typed; any other is kept verbatim.
 */

function malformed(reason: string): MessageError {
  // RFC 4271 §6.2: a recognized but malformed optional parameter gets subcode 0.
  return new MessageError(reason, { code: ErrorCode.OpenMessage, subcode: OpenSubcode.Unspecific, data: Buffer.alloc(0) });
}

export function decodeCapabilities(buf: Buffer, span: ByteSpan): Capability[] {
  const capabilities: Capability[] = [];
  let i = span.start;
  while (i < span.end) {
    if (span.end - i < 2) throw malformed('capability header is truncated');
    const code = buf[i]!;
    const length = buf[i + 1]!;
    const start = i + 2;
    const end = start + length;
    if (end > span.end) throw malformed(`capability ${code} has length ${length}, past the end of its parameter`);
    capabilities.push(decodeCapability(buf, code, { start, end }));
    i = end;
  }
  return capabilities;
}

function decodeCapability(buf: Buffer, code: number, span: ByteSpan): Capability {
  const length = span.end - span.start;
  const at = span.start;
  switch (code) {
    case CapabilityCode.Multiprotocol:
      if (length !== 4) throw malformed(`multiprotocol capability has length ${length}, expected 4`);
      return { kind: 'multiprotocol', afi: buf.readUInt16BE(at), safi: buf[at + 3]! };
    case CapabilityCode.RouteRefresh:
      if (length !== 0) throw malformed(`route refresh capability has length ${length}, expected 0`);
      return { kind: 'route-refresh' };
    case CapabilityCode.FourOctetAs:
      if (length !== 4) throw malformed(`four-octet AS capability has length ${length}, expected 4`);
      return { kind: 'four-octet-as', asn: buf.readUInt32BE(at) };
    case CapabilityCode.GracefulRestart: {
      if (length < 2 || (length - 2) % 4 !== 0) {
        throw malformed(`graceful restart capability has length ${length}, expected 2 + 4 per family`);
      }
      const head = buf.readUInt16BE(at);
      const families: GracefulRestartFamily[] = [];
      for (let f = at + 2; f < span.end; f += 4) {
        families.push({ afi: buf.readUInt16BE(f), safi: buf[f + 2]!, forwarding: (buf[f + 3]! & 0x80) !== 0 });
      }
      return {
        kind: 'graceful-restart',
        restarting: (head & 0x8000) !== 0,
        notification: (head & 0x4000) !== 0,
        restartTime: head & 0x0fff,
        families,
      };
    }
    default:
      return { kind: 'unknown', code, value: Buffer.from(buf.subarray(span.start, span.end)) };
  }
}

function encodeCapability(capability: Capability): Buffer {
  switch (capability.kind) {
    case 'multiprotocol': {
      const value = Buffer.alloc(4);
      value.writeUInt16BE(capability.afi, 0);
      value[3] = capability.safi;
      return withHeader(CapabilityCode.Multiprotocol, value);
    }
    case 'route-refresh':
      return withHeader(CapabilityCode.RouteRefresh, Buffer.alloc(0));
    case 'four-octet-as': {
      const value = Buffer.alloc(4);
      value.writeUInt32BE(capability.asn, 0);
      return withHeader(CapabilityCode.FourOctetAs, value);
    }
    case 'graceful-restart': {
      const value = Buffer.alloc(2 + 4 * capability.families.length);
      const head = (capability.restarting ? 0x8000 : 0) | (capability.notification ? 0x4000 : 0) | (capability.restartTime & 0x0fff);
      value.writeUInt16BE(head, 0);
      capability.families.forEach((family, n) => {
        value.writeUInt16BE(family.afi, 2 + 4 * n);
        value[4 + 4 * n] = family.safi;
        value[5 + 4 * n] = family.forwarding ? 0x80 : 0;
      });
      return withHeader(CapabilityCode.GracefulRestart, value);
    }
    case 'unknown':
      return withHeader(capability.code, capability.value);
  }
}

function withHeader(code: number, value: Buffer): Buffer {
  if (value.length > 255) throw new RangeError(`capability ${code} value is ${value.length} octets, more than 255`);
  return Buffer.concat([Buffer.from([code, value.length]), value]);
}

/** The value of one Capabilities optional parameter holding all of `capabilities`. */
export function encodeCapabilities(capabilities: readonly Capability[]): Buffer {
  return Buffer.concat(capabilities.map(encodeCapability));
}

/** The peer's real AS number: the four-octet capability's if present, else My AS. */
export function openAsn(open: OpenMessage): number {
  const four = open.capabilities.find((c) => c.kind === 'four-octet-as');
  return four?.kind === 'four-octet-as' ? four.asn : open.myAs;
}

export function hasCapability(open: OpenMessage, kind: Capability['kind']): boolean {
  return open.capabilities.some((c) => c.kind === kind);
}

/** Families a speaker offers; without any multiprotocol capability, IPv4 unicast (RFC 4760 §8). */
export function offeredFamilies(open: OpenMessage): AddressFamily[] {
  const offered: AddressFamily[] = [];
  for (const c of open.capabilities) if (c.kind === 'multiprotocol') offered.push({ afi: c.afi, safi: c.safi });
  return offered.length > 0 ? offered : [IPV4_UNICAST];
}

/** What both OPENs agree on: the options for encoding and decoding this session's UPDATEs. */
export function negotiateCodecOptions(local: OpenMessage, remote: OpenMessage): CodecOptions {
  const theirs = offeredFamilies(remote);
  const families = offeredFamilies(local).filter((f) => theirs.some((t) => t.afi === f.afi && t.safi === f.safi));
  return {
    fourOctetAs: hasCapability(local, 'four-octet-as') && hasCapability(remote, 'four-octet-as'),
    families,
  };
}

/** The graceful restart capability, if the OPEN carries one. */
export function gracefulRestartOf(open: OpenMessage): Extract<Capability, { kind: 'graceful-restart' }> | null {
  for (const c of open.capabilities) if (c.kind === 'graceful-restart') return c;
  return null;
}
