import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../common/prefix.js';
import type { RouteAttributes } from './attributes.js';
import { asPathLength, selectBest, type Candidate, type RouteSource } from './decision.js';
import { PackBuffer, packAttributes, packedDecisionAttributes } from './packed-attributes.js';

const base: RouteAttributes = {
  origin: 'igp',
  asPath: [{ type: 'sequence', asns: [65001, 65100] }],
  nextHop: parseAddress('192.0.2.1'),
};

/** A candidate as the routing instance makes it: its decision attributes read from the packed set. */
function candidate(attributes: Partial<RouteAttributes>, source: Partial<RouteSource> = {}): Candidate {
  const packed = new PackBuffer();
  packAttributes({ ...base, ...attributes }, packed);
  return {
    attributes: packedDecisionAttributes(packed.bytes.subarray(0, packed.length)),
    source: { local: false, ebgp: true, routerId: 100, address: parseAddress('192.0.2.1'), ...source },
  };
}

describe('selectBest, one RFC 4271 §9.1.2.2 step at a time', () => {
  it('takes the only route without comparing', () => {
    expect(selectBest([candidate({})])).toEqual({ best: 0, step: 'only-route' });
  });

  it('prefers a locally originated route', () => {
    const d = selectBest([candidate({ localPref: 500 }), candidate({ asPath: [] }, { local: true })]);
    expect(d).toEqual({ best: 1, step: 'local-origin' });
  });

  it('prefers the highest LOCAL_PREF, a missing one counting as 100', () => {
    expect(selectBest([candidate({ localPref: 90 }), candidate({})])).toEqual({ best: 1, step: 'local-pref' });
    expect(selectBest([candidate({}), candidate({ localPref: 110 })])).toEqual({ best: 1, step: 'local-pref' });
  });

  it('prefers the shortest AS path, an AS_SET counting as one', () => {
    const long = candidate({ asPath: [{ type: 'sequence', asns: [1, 2, 3] }] });
    const withSet = candidate({ asPath: [{ type: 'sequence', asns: [1] }, { type: 'set', asns: [7, 8, 9] }] });
    expect(selectBest([long, withSet])).toEqual({ best: 1, step: 'as-path-length' });
  });

  it('prefers IGP over EGP over INCOMPLETE origin', () => {
    expect(selectBest([candidate({ origin: 'incomplete' }), candidate({ origin: 'egp' })])).toEqual({ best: 1, step: 'origin' });
    expect(selectBest([candidate({ origin: 'egp' }), candidate({ origin: 'igp' })])).toEqual({ best: 1, step: 'origin' });
  });

  it('compares MED only between routes from the same neighbor AS', () => {
    const sameAs = [candidate({ med: 50 }), candidate({ med: 10 })];
    expect(selectBest(sameAs)).toEqual({ best: 1, step: 'med' });
    // Different neighbor AS: MED is ignored and a later step (router id) decides.
    const otherAs = [
      candidate({ med: 50 }, { routerId: 1 }),
      candidate({ med: 10, asPath: [{ type: 'sequence', asns: [65002, 65100] }] }, { routerId: 2 }),
    ];
    expect(selectBest(otherAs)).toEqual({ best: 0, step: 'router-id' });
  });

  it('treats a missing MED as 0, the best value', () => {
    expect(selectBest([candidate({ med: 5 }), candidate({})])).toEqual({ best: 1, step: 'med' });
  });

  it('prefers eBGP over iBGP', () => {
    expect(selectBest([candidate({}, { ebgp: false }), candidate({}, { ebgp: true })])).toEqual({ best: 1, step: 'ebgp-over-ibgp' });
  });

  it('prefers the lowest IGP cost when one is known', () => {
    expect(selectBest([candidate({}, { igpCost: 20 }), candidate({}, { igpCost: 10 })])).toEqual({ best: 1, step: 'igp-cost' });
  });

  it('breaks ties on the lowest router id, then the lowest peer address', () => {
    expect(selectBest([candidate({}, { routerId: 9 }), candidate({}, { routerId: 3 })])).toEqual({ best: 1, step: 'router-id' });
    const d = selectBest([
      candidate({}, { address: parseAddress('192.0.2.9') }),
      candidate({}, { address: parseAddress('192.0.2.3') }),
    ]);
    expect(d).toEqual({ best: 1, step: 'peer-address' });
  });

  it('does not let a MED win across neighbor ASes even with three candidates (no pairwise order)', () => {
    // A (AS1, MED 10) beats B (AS1, MED 20) on MED; C (AS2) has no MED competitor.
    // Elimination over the set must drop B, then router id picks between A and C.
    const a = candidate({ med: 10, asPath: [{ type: 'sequence', asns: [1, 9] }] }, { routerId: 5 });
    const b = candidate({ med: 20, asPath: [{ type: 'sequence', asns: [1, 9] }] }, { routerId: 1 });
    const c = candidate({ med: 30, asPath: [{ type: 'sequence', asns: [2, 9] }] }, { routerId: 7 });
    expect(selectBest([a, b, c])).toEqual({ best: 0, step: 'router-id' });
  });

  it('rejects an empty candidate list', () => {
    expect(() => selectBest([])).toThrow(/at least one/);
  });
});

describe('AS path helpers', () => {
  it('counts sequences by hop, sets as one, confederation segments as zero', () => {
    expect(asPathLength([
      { type: 'confed-sequence', asns: [64512, 64513] },
      { type: 'sequence', asns: [1, 2] },
      { type: 'set', asns: [3, 4] },
    ])).toBe(3);
  });
});
