import { describe, expect, it } from 'vitest';
import { emptyAttributes } from './attributes.js';
import { decodeMessage, encodeMessage, encodeNotification } from './codec.js';
import { prefixToNlri } from './nlri.js';
import { parsePrefix } from '../../common/prefix.js';
import {
  AS_TRANS,
  AsSegmentType,
  AttributeType,
  CeaseSubcode,
  ErrorCode,
  IPV4_UNICAST,
  IPV6_UNICAST,
  MessageError,
  MessageType,
} from './types.js';
import type { BgpMessage, CodecOptions, OpenMessage, PathAttributes, UpdateMessage } from './types.js';

const FOUR: CodecOptions = { fourOctetAs: true, families: [IPV4_UNICAST, IPV6_UNICAST] };
const TWO: CodecOptions = { fourOctetAs: false, families: [IPV4_UNICAST, IPV6_UNICAST] };

const v4 = (text: string): number => prefixToNlri(parsePrefix(text)) as number;
const v6 = (text: string): string => prefixToNlri(parsePrefix(text)) as string;

function update(attributes: Partial<PathAttributes>, fields: Partial<Pick<UpdateMessage, 'withdrawn' | 'nlri'>> = {}): UpdateMessage {
  return {
    type: MessageType.Update,
    withdrawn: fields.withdrawn ?? [],
    attributes: { ...emptyAttributes(), ...attributes },
    nlri: fields.nlri ?? [],
    attributeLength: 0,
    problems: [],
  };
}

/** Compares typed content, ignoring the attribute length (the encoder's, not the message's). */
function content(message: BgpMessage): unknown {
  if (message.type !== MessageType.Update) return message;
  const { attributeLength: _length, ...rest } = message;
  return rest;
}

function roundTrip(message: BgpMessage, options: CodecOptions): BgpMessage {
  const bytes = encodeMessage(message, options);
  const decoded = decodeMessage(bytes, options);
  expect(encodeMessage(decoded, options)).toEqual(bytes);
  return decoded;
}

const fullAttributes: Partial<PathAttributes> = {
  origin: 0,
  asPath: [
    { type: AsSegmentType.AsSequence, asns: [65001, 4200000001, 3356] },
    { type: AsSegmentType.AsSet, asns: [64512, 64513] },
  ],
  nextHop: 0xc0000201,
  med: 100,
  localPref: 200,
  atomicAggregate: true,
  aggregator: { asn: 4200000002, address: 0x0a000001 },
  communities: [0xfde90064, 0xffffff01],
  largeCommunities: [{ globalAdmin: 4200000001, localData1: 1, localData2: 2 }],
  unknown: [{ flags: 0xe0, typeCode: 99, value: Buffer.from('cafe', 'hex') }],
};

describe('message round trips', () => {
  it('OPEN with every capability kind', () => {
    const open: OpenMessage = {
      type: MessageType.Open,
      version: 4,
      myAs: AS_TRANS,
      holdTime: 90,
      bgpId: 0x0a000001,
      capabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'multiprotocol', afi: 2, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'four-octet-as', asn: 4200000001 },
        { kind: 'graceful-restart', restarting: true, notification: true, restartTime: 120, families: [{ afi: 1, safi: 1, forwarding: true }, { afi: 2, safi: 1, forwarding: false }] },
        { kind: 'unknown', code: 73, value: Buffer.from('0468657265', 'hex') },
      ],
    };
    expect(roundTrip(open, FOUR)).toEqual(open);
  });

  it('KEEPALIVE, NOTIFICATION and ROUTE-REFRESH', () => {
    const messages: BgpMessage[] = [
      { type: MessageType.Keepalive },
      { type: MessageType.Notification, code: ErrorCode.Cease, subcode: CeaseSubcode.AdministrativeShutdown, data: Buffer.from('\x05bye!!', 'latin1') },
      { type: MessageType.RouteRefresh, afi: 2, safi: 1, subtype: 1 },
    ];
    for (const m of messages) expect(roundTrip(m, FOUR)).toEqual(m);
  });

  it('UPDATE with every typed attribute, four-octet session', () => {
    const m = update(fullAttributes, { withdrawn: [v4('10.0.0.0/8'), v4('0.0.0.0/0')], nlri: [v4('192.0.2.0/24'), v4('198.51.100.128/25'), v4('203.0.113.7/32')] });
    expect(content(roundTrip(m, FOUR))).toEqual(content(m));
  });

  it('UPDATE through a two-octet session keeps the four-octet ASNs (AS4_PATH, AS4_AGGREGATOR)', () => {
    const m = update(fullAttributes, { nlri: [v4('192.0.2.0/24')] });
    const bytes = encodeMessage(m, TWO);
    // The two-octet AS_PATH carries AS_TRANS in place of 4200000001; the real ASNs travel in AS4_*.
    expect(bytes.includes(Buffer.from([0x40, 0x02, 14, 0x02, 0x03, 0xfd, 0xe9, 0x5b, 0xa0, 0x0d, 0x1c]))).toBe(true);
    expect(bytes.includes(Buffer.from([0xc0, AttributeType.As4Path]))).toBe(true);
    expect(bytes.includes(Buffer.from([0xc0, AttributeType.As4Aggregator, 8]))).toBe(true);
    expect(content(roundTrip(m, TWO))).toEqual(content(m));
  });

  it('two-octet session: AS4_PATH shorter than AS_PATH is merged behind the leading ASNs', () => {
    const m = update({ origin: 0, nextHop: 1, asPath: [{ type: AsSegmentType.AsSequence, asns: [65001, 65002, 4200000009] }] }, { nlri: [v4('192.0.2.0/24')] });
    const decoded = roundTrip(m, TWO) as UpdateMessage;
    expect(decoded.attributes.asPath).toEqual([{ type: AsSegmentType.AsSequence, asns: [65001, 65002, 4200000009] }]);
  });

  it('IPv6 MP_REACH with link-local next hop and MP_UNREACH', () => {
    const m = update({
      origin: 2,
      asPath: [],
      mpReach: { afi: 2, safi: 1, nextHop: 0x20010db8000000000000000000000001n, linkLocalNextHop: 0xfe800000000000000000000000000001n, prefixes: [v6('2001:db8::/32'), v6('2001:db8:1:2::/64'), v6('::/0'), v6('2001:db8::1/128')] },
      mpUnreach: { afi: 2, safi: 1, prefixes: [v6('2001:db8:ff::/48')] },
    });
    expect(content(roundTrip(m, FOUR))).toEqual(content(m));
  });

  it('IPv4 in MP_REACH and an attribute long enough for the extended length flag', () => {
    const communities = Array.from({ length: 100 }, (_, k) => 0xfde90000 + k);
    const m = update({ origin: 1, asPath: [{ type: AsSegmentType.AsSequence, asns: [65001] }], communities, mpReach: { afi: 1, safi: 1, nextHop: 0x0a000001, linkLocalNextHop: null, prefixes: [v4('10.1.0.0/16')] } });
    const bytes = encodeMessage(m, FOUR);
    expect(bytes.includes(Buffer.from([0xd0, AttributeType.Communities, 0x01, 0x90]))).toBe(true);
    expect(content(roundTrip(m, FOUR))).toEqual(content(m));
  });
});

describe('decoding details', () => {
  it('clears host bits of received prefixes', () => {
    // Withdrawn: one /15 written as 10.255.x.x; the last bit of 0xff is a host bit.
    const bytes = Buffer.from(`${'ff'.repeat(16)}001a02` + '0003' + '0f0aff' + '0000', 'hex');
    const decoded = decodeMessage(bytes, FOUR) as UpdateMessage;
    expect(decoded.withdrawn).toEqual([v4('10.254.0.0/15')]);
  });

  it('gives the Total Path Attribute Length as received, 0 for an UPDATE without attributes', () => {
    // ORIGIN (4 octets: flags, type, length, value) and an empty AS_PATH (3 octets).
    const withAttributes = decodeMessage(encodeMessage(update({ origin: 0, asPath: [] }, { nlri: [v4('10.0.0.0/8')] }), FOUR), FOUR) as UpdateMessage;
    expect(withAttributes.attributeLength).toBe(7);
    const endOfRib = decodeMessage(Buffer.from(`${'ff'.repeat(16)}0017020000` + '0000', 'hex'), FOUR) as UpdateMessage;
    expect(endOfRib.attributeLength).toBe(0);
  });

  it('sorts unknown attributes by type code so encoding order round-trips', () => {
    const m = update({ unknown: [{ flags: 0xc0, typeCode: 200, value: Buffer.from([1]) }, { flags: 0x80, typeCode: 100, value: Buffer.alloc(0) }] });
    const decoded = decodeMessage(encodeMessage(m, FOUR), FOUR) as UpdateMessage;
    expect(decoded.attributes.unknown.map((u) => u.typeCode)).toEqual([100, 200]);
  });

  it('throws only MessageError, with the header NOTIFICATION, for a short buffer', () => {
    expect(() => decodeMessage(Buffer.alloc(5, 0xff), FOUR)).toThrow(MessageError);
  });

  it('truncates NOTIFICATION data to fit one message', () => {
    const bytes = encodeNotification({ code: 6, subcode: 2, data: Buffer.alloc(5000, 0x41) });
    expect(bytes.length).toBe(4096);
  });
});
