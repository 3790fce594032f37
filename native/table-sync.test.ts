import { describe, expect, it } from 'vitest';
import type { InstalledRoute } from './rtnetlink.js';
import { diffTable, shuffle } from './table-sync.js';

const mine = (prefix: string, gateway: string, metric = 0): InstalledRoute => ({
  family: prefix.includes(':') ? 6 : 4, prefix, gateway, metric, table: 10, protocol: 201, type: 'unicast', multipath: false, device: 'eth0',
});

describe('table diff', () => {
  it('adds, replaces and deletes only what differs, and leaves foreign routes alone', () => {
    const installed = [
      mine('10.0.0.0/24', '192.0.2.1'),
      mine('10.0.1.0/24', '192.0.2.1'),
      mine('10.0.2.0/24', '192.0.2.1'),
      mine('2001:db8::/48', '2001:db8:ff::1', 1024),
      { ...mine('10.9.0.0/16', '192.0.2.9'), protocol: 4 },
    ];
    const { changes, unchanged, foreign } = diffTable(
      installed,
      [
        { prefix: '10.0.0.0/24', gateway: '192.0.2.1' },
        { prefix: '10.0.1.0/24', gateway: '192.0.2.2' },
        { prefix: '2001:DB8::/48', gateway: '2001:db8:ff:0::1' },
        { prefix: '10.0.3.0/24', gateway: '192.0.2.1' },
      ],
      { protocol: 201 },
    );
    expect(unchanged).toBe(2);
    expect(foreign).toBe(1);
    expect(changes.map((c) => `${c.op} ${c.route.prefix}`)).toEqual(['replace 10.0.1.0/24', 'add 10.0.3.0/24', 'delete 10.0.2.0/24']);
  });

  it('changes nothing when the table already matches', () => {
    const installed = [mine('10.0.0.0/24', '192.0.2.1', 5)];
    expect(diffTable(installed, [{ prefix: '10.0.0.0/24', gateway: '192.0.2.1', metric: 5, device: 'eth0' }], { protocol: 201 }).changes).toEqual([]);
  });

  it('refuses a desired table that lists a route twice', () => {
    expect(() => diffTable([], [{ prefix: '10.0.0.0/8', device: 'a' }, { prefix: '10.0.0.0/8', device: 'b' }], { protocol: 201 })).toThrow(
      /10.0.0.0\/8 metric 0 is listed twice/,
    );
  });

  it('shuffles deterministically and keeps every item', () => {
    const a = Array.from({ length: 1000 }, (_, i) => i);
    const b = [...a];
    shuffle(a);
    shuffle(b);
    expect(a).toEqual(b);
    expect(a).not.toEqual([...a].sort((x, y) => x - y));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
