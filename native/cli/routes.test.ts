import { describe, expect, it } from 'vitest';
import { formatRoutes, parseTable } from './routes.js';

describe('plane routes', () => {
  it('prints one aligned line per route with its owner', () => {
    const text = formatRoutes([
      { family: 4, prefix: '10.0.0.0/8', table: 100, protocol: 201, type: 'unicast', metric: 0, multipath: false, gateway: '192.0.2.2', device: 'v0' },
      { family: 6, prefix: '::/0', table: 100, protocol: 202, type: 'unreachable', metric: 4294967295, multipath: false },
    ]);
    expect(text.split('\n')).toEqual([
      'prefix      type         via        dev  metric      owner',
      '10.0.0.0/8  unicast      192.0.2.2  v0   0           201',
      '::/0        unreachable  -          -    4294967295  202',
      '',
    ]);
  });

  it('refuses a table that is not a number', () => {
    expect(parseTable('1100')).toBe(1100);
    expect(() => parseTable('main')).toThrow('--table main is not a routing table number');
    expect(() => parseTable('0')).toThrow(/not a routing table/);
  });
});
