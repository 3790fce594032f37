import { describe, expect, it } from 'vitest';
import { formatPrefix, parseAddress, parsePrefix } from '../../../common/prefix.js';
import { RouteTable, type RouteAttributes } from './route-table.js';

const attrs = (neighbor: string, asPath: number[], extra: Partial<RouteAttributes> = {}): RouteAttributes => ({
  neighbor, nextHop: '10.0.0.1', asPath, origin: 'igp', localPref: 100, communities: [], largeCommunities: [], ...extra,
});

describe('RouteTable', () => {
  it('finds the most specific covering prefix for an address and a prefix, in both families', () => {
    const t = new RouteTable();
    t.announce(parsePrefix('10.0.0.0/8'), attrs('a', [1]), 0);
    t.announce(parsePrefix('10.1.0.0/16'), attrs('a', [2]), 0);
    t.announce(parsePrefix('fd00::/16'), attrs('a', [3]), 0);
    t.announce(parsePrefix('fd00:1::/32'), attrs('a', [4]), 0);
    expect(formatPrefix(t.lookup(parseAddress('10.1.2.3'))[0]!.prefix)).toBe('10.1.0.0/16');
    expect(formatPrefix(t.lookup(parseAddress('10.2.0.1'))[0]!.prefix)).toBe('10.0.0.0/8');
    expect(formatPrefix(t.lookup(parsePrefix('10.1.0.0/24'))[0]!.prefix)).toBe('10.1.0.0/16');
    expect(formatPrefix(t.lookup(parsePrefix('10.0.0.0/8'))[0]!.prefix)).toBe('10.0.0.0/8');
    expect(t.lookup(parseAddress('11.0.0.1'))).toEqual([]);
    expect(formatPrefix(t.lookup(parseAddress('fd00:1::5'))[0]!.prefix)).toBe('fd00:1::/32');
    expect(formatPrefix(t.lookup(parseAddress('fd00:2::5'))[0]!.prefix)).toBe('fd00::/16');
  });

  it('keeps every path of a prefix best first, and moves the best on withdraw', () => {
    const t = new RouteTable();
    const p = parsePrefix('192.0.2.0/24');
    t.announce(p, attrs('long', [1, 2, 3]), 0);
    t.announce(p, attrs('short', [1, 3]), 0);
    t.announce(p, attrs('preferred', [1, 2, 3, 4], { localPref: 200 }), 0);
    expect(t.lookup(p).map((e) => [e.attributes.neighbor, e.best])).toEqual([['preferred', true], ['short', false], ['long', false]]);
    expect(t.withdraw(p, 'preferred')).toBe(true);
    expect(t.lookup(p).map((e) => e.attributes.neighbor)).toEqual(['short', 'long']);
    expect(t.withdraw(p, 'preferred')).toBe(false);
    expect(t.size).toBe(2);
  });

  it('replaces the path from the same neighbor instead of adding one', () => {
    const t = new RouteTable();
    const p = parsePrefix('192.0.2.0/24');
    t.announce(p, attrs('a', [1, 2]), 0);
    t.announce(p, attrs('a', [1]), 5);
    expect(t.size).toBe(1);
    expect(t.lookup(p)[0]).toMatchObject({ since: 5, attributes: { asPath: [1] } });
  });

  it('shares one attribute set between routes that carry equal attributes', () => {
    const t = new RouteTable();
    const a = t.intern(attrs('a', [1, 2]));
    expect(t.intern(attrs('a', [1, 2]))).toBe(a);
    expect(t.intern(attrs('a', [1, 3]))).not.toBe(a);
  });

  it('filters by attributes with a limit and says when it cut the list', () => {
    const t = new RouteTable();
    for (let i = 0; i < 10; i++) t.announce(parsePrefix(`10.0.${i}.0/24`), attrs(i % 2 ? 'odd' : 'even', [i]), 0);
    expect(t.filter((a) => a.neighbor === 'odd', 100)).toMatchObject({ truncated: false, entries: { length: 5 } });
    expect(t.filter((a) => a.neighbor === 'odd', 3)).toMatchObject({ truncated: true, entries: { length: 3 } });
    expect(t.filter(() => false, 3)).toEqual({ entries: [], truncated: false });
  });
});

describe('RouteTable by origin AS', () => {
  const p = parsePrefix('192.0.2.0/24');
  const origins = (t: RouteTable, asn: number, limit = 100): [string, string, boolean][] =>
    t.withOriginAsn(asn, limit).entries.map((e) => [formatPrefix(e.prefix), e.attributes.neighbor, e.best]);

  it('follows a route through announce, replacement with another origin, withdrawal and re-announcement', () => {
    const t = new RouteTable();
    t.announce(p, attrs('a', [1, 65001]), 0);
    expect(origins(t, 65001)).toEqual([['192.0.2.0/24', 'a', true]]);
    t.announce(p, attrs('a', [1, 65002]), 1);
    expect(origins(t, 65001)).toEqual([]);
    expect(origins(t, 65002)).toEqual([['192.0.2.0/24', 'a', true]]);
    expect(t.withOriginAsn(65002, 10).entries[0]).toMatchObject({ since: 1 });
    t.withdraw(p, 'a');
    expect(origins(t, 65002)).toEqual([]);
    t.announce(p, attrs('a', [1, 65001]), 2);
    expect(origins(t, 65001)).toEqual([['192.0.2.0/24', 'a', true]]);
    expect(origins(t, 65002)).toEqual([]);
  });

  it('does not list a reused slot under the origin of the route that held it before', () => {
    const t = new RouteTable();
    t.announce(parsePrefix('10.0.0.0/24'), attrs('a', [65001]), 0);
    t.announce(parsePrefix('10.0.1.0/24'), attrs('a', [65001]), 0);
    t.withdraw(parsePrefix('10.0.0.0/24'), 'a');
    // Takes the slot the withdrawn route freed.
    t.announce(parsePrefix('10.0.2.0/24'), attrs('b', [65002]), 0);
    expect(origins(t, 65001)).toEqual([['10.0.1.0/24', 'a', true]]);
    expect(origins(t, 65002)).toEqual([['10.0.2.0/24', 'b', true]]);
  });

  it('lists every path of a prefix from that origin, marks the best, and follows the best as it moves', () => {
    const t = new RouteTable();
    t.announce(p, attrs('long', [1, 2, 65001]), 0);
    t.announce(p, attrs('short', [2, 65001]), 0);
    t.announce(p, attrs('other', [65009]), 0);
    expect(origins(t, 65001)).toEqual([['192.0.2.0/24', 'long', false], ['192.0.2.0/24', 'short', false]]);
    t.withdraw(p, 'other');
    expect(origins(t, 65001)).toEqual([['192.0.2.0/24', 'long', false], ['192.0.2.0/24', 'short', true]]);
    expect(origins(t, 65009)).toEqual([]);
  });

  it('has no origin AS for a locally originated route', () => {
    const t = new RouteTable();
    t.announce(p, attrs('self', []), 0);
    expect(t.size).toBe(1);
    expect(t.withOriginAsn(0, 10)).toEqual({ entries: [], truncated: false });
  });

  it('cuts the list at the limit and says so, oldest first', () => {
    const t = new RouteTable();
    for (let i = 0; i < 5; i++) t.announce(parsePrefix(`10.0.${i}.0/24`), attrs('a', [65001]), 0);
    t.announce(parsePrefix('10.0.9.0/24'), attrs('a', [65002]), 0);
    expect(t.withOriginAsn(65001, 3)).toMatchObject({ truncated: true, entries: { length: 3 } });
    expect(origins(t, 65001, 3).map(([prefix]) => prefix)).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24']);
    expect(t.withOriginAsn(65001, 5)).toMatchObject({ truncated: false, entries: { length: 5 } });
    expect(t.withOriginAsn(65001, 6)).toMatchObject({ truncated: false, entries: { length: 5 } });
  });

  it('agrees with a model of the table after a long random stream of announcements, replacements and withdrawals', () => {
    let s = 7;
    const random = (n: number): number => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s % n;
    };
    const t = new RouteTable();
    // prefix|neighbor → origin AS of the path the table should hold
    const model = new Map<string, number>();
    for (let step = 0; step < 3000; step++) {
      const prefix = `10.${random(4)}.${random(8)}.0/24`;
      const neighbor = `n${random(3)}`;
      if (random(3) === 0) {
        expect(t.withdraw(parsePrefix(prefix), neighbor)).toBe(model.delete(`${prefix}|${neighbor}`));
      } else {
        const origin = 65000 + random(6);
        t.announce(parsePrefix(prefix), attrs(neighbor, [random(2) + 1, origin]), step);
        model.set(`${prefix}|${neighbor}`, origin);
      }
      if (step % 100 !== 99) continue;
      for (let origin = 65000; origin < 65006; origin++) {
        const listed = origins(t, origin, 1000).map(([prefix, neighbor]) => `${prefix}|${neighbor}`).sort();
        const expected = [...model].filter(([, o]) => o === origin).map(([key]) => key).sort();
        expect(listed).toEqual(expected);
      }
    }
    expect(t.size).toBe(model.size);
  });
});
