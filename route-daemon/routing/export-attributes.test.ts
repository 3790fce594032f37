import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../common/prefix.js';
import type { RouteAttributes } from './attributes.js';
import { exportAttributes, prependAs } from './export-attributes.js';

const self = parseAddress('10.64.0.1');
const learned: RouteAttributes = {
  origin: 'igp',
  asPath: [{ type: 'sequence', asns: [65002] }],
  nextHop: parseAddress('10.64.0.2'),
  med: 30,
  localPref: 150,
  communities: [((65002 << 16) | 1) >>> 0],
  largeCommunities: [[65002, 1, 2]],
  unknown: [
    { flags: 0xc0, type: 99, value: new Uint8Array([1, 2]) },
    { flags: 0x80, type: 98, value: new Uint8Array([3]) },
  ],
};

describe('exportAttributes', () => {
  it('to eBGP: prepends our AS, sets next hop self, drops LOCAL_PREF, foreign MED and non-transitive unknowns', () => {
    const out = exportAttributes(learned, { ebgp: true, localAsn: 65000, nextHopSelf: self }, { local: false });
    expect(out).toEqual({
      origin: 'igp',
      asPath: [{ type: 'sequence', asns: [65000, 65002] }],
      nextHop: self,
      communities: learned.communities,
      largeCommunities: learned.largeCommunities,
      unknown: [learned.unknown![0]],
    });
  });

  it('to iBGP: keeps path, next hop and MED, and always sends LOCAL_PREF', () => {
    const out = exportAttributes({ ...learned, localPref: undefined }, { ebgp: false, localAsn: 65000, nextHopSelf: self }, { local: false });
    expect(out.asPath).toEqual(learned.asPath);
    expect(out.nextHop).toEqual(learned.nextHop);
    expect(out.med).toBe(30);
    expect(out.localPref).toBe(100);
  });

  it('our own routes carry our address as next hop to iBGP peers too', () => {
    const local: RouteAttributes = { origin: 'igp', asPath: [], nextHop: parseAddress('0.0.0.0') };
    expect(exportAttributes(local, { ebgp: false, localAsn: 65000, nextHopSelf: self }, { local: true }).nextHop).toEqual(self);
    expect(exportAttributes(local, { ebgp: true, localAsn: 65000, nextHopSelf: self }, { local: true }).asPath).toEqual([
      { type: 'sequence', asns: [65000] },
    ]);
  });
});

describe('prependAs', () => {
  it('starts a new sequence before a set or a full sequence', () => {
    expect(prependAs([{ type: 'set', asns: [1, 2] }], 9)).toEqual([{ type: 'sequence', asns: [9] }, { type: 'set', asns: [1, 2] }]);
    const full = { type: 'sequence' as const, asns: Array.from({ length: 255 }, (_, i) => i + 1) };
    expect(prependAs([full], 9)).toEqual([{ type: 'sequence', asns: [9] }, full]);
  });
});
