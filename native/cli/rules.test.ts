import { describe, expect, it } from 'vitest';
import { formatRules } from './rules.js';

describe('plane rules', () => {
  it('prints selectors and actions like ip rule', () => {
    const text = formatRules([
      { family: 4, priority: 1000, iif: 'att0', table: 1101, action: 'lookup', protocol: 202 },
      { family: 6, priority: 1010, from: 'fd00:e::/32', fwmark: 0x100, table: 1101, action: 'lookup', protocol: 202 },
      { family: 4, priority: 1090, table: 0, action: 'unreachable', protocol: 202 },
    ]);
    expect(text.split('\n')).toEqual([
      'priority  family  selector                       action       owner',
      '1000      ipv4    iif att0                       lookup 1101  202',
      '1010      ipv6    from fd00:e::/32 fwmark 0x100  lookup 1101  202',
      '1090      ipv4    all                            unreachable  202',
      '',
    ]);
  });
});
