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
