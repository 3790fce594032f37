import { describe, expect, it } from 'vitest';
import { parseAddress, parsePrefix } from '../../common/prefix.js';
import { formatCommunity, parseCommunity, parseLargeCommunity, routeMessage } from './convert.js';

describe('community text', () => {
  it('round-trips communities and refuses out-of-range halves', () => {
    expect(parseCommunity('65000:1')).toBe(((65000 << 16) | 1) >>> 0);
    expect(formatCommunity(parseCommunity('65535:65535'))).toBe('65535:65535');
    expect(() => parseCommunity('65536:1')).toThrow(/"65536:1" is not a community/);
    expect(() => parseCommunity('1:2:3')).toThrow(/not a community/);
  });

  it('parses large communities and refuses malformed ones', () => {
    expect(parseLargeCommunity('4200000001:1:2')).toEqual([4200000001, 1, 2]);
    expect(() => parseLargeCommunity('4294967296:1:2')).toThrow(/not a large community/);
    expect(() => parseLargeCommunity('1:2')).toThrow(/not a large community/);
  });
});

describe('routeMessage', () => {
  it('writes attributes as text and finds the origin AS', () => {
    const message = routeMessage({
      prefix: parsePrefix('10.64.0.0/16'),
      decidedBy: 'only-route',
      paths: [{
        peer: 'b', best: true, validation: 'valid', stale: false, suppressed: false,
        attributes: {
          origin: 'igp', asPath: [{ type: 'sequence', asns: [65001, 65002] }], nextHop: parseAddress('10.64.0.2'),
          med: 0, communities: [((65001 << 16) | 7) >>> 0], largeCommunities: [[65001, 1, 2]],
          unknown: [{ flags: 0xc0, type: 99, value: new Uint8Array() }],
        },
      }],
    }, { localAsn: 65000 });
    expect(message.paths[0]).toMatchObject({
      nextHop: '10.64.0.2', hasMed: true, med: 0, hasLocalPref: false, communities: ['65001:7'], largeCommunities: ['65001:1:2'],
      unknownAttributes: [99], originAsn: 65002,
    });
  });
});
