import { describe, expect, it } from 'vitest';
import { validateIsolationConfig, type IsolationConfig } from './config.js';
import { renderRuleset } from './nftables.js';
import { planeRules } from './policy-rules.js';

const config: IsolationConfig = {
  productionTable: 1100,
  experimentalTable: 1101,
  productionPools: ['10.0.0.0/8', 'fd00:1::/32'],
  experimentalPools: ['100.96.0.0/12', 'fd00:e::/32'],
  attachments: [
    { interface: 'att0', experiment: 'exp1', allocations: ['100.96.1.0/24', 'fd00:e:1::/48'] },
    { interface: 'att1', experiment: 'exp2', allocations: ['100.96.2.0/24'] },
  ],
};

describe('isolation config', () => {
  it('accepts a sound configuration', () => {
    expect(() => validateIsolationConfig(config)).not.toThrow();
  });

  it('names the field of each problem', () => {
    const bad = (patch: Partial<IsolationConfig>) => () => validateIsolationConfig({ ...config, ...patch });
    expect(bad({ experimentalTable: 1100 })).toThrow(/same table/);
    expect(bad({ productionTable: 254 })).toThrow(/productionTable: 254 is not a usable routing table/);
    expect(bad({ productionPools: ['100.64.0.0/10'] })).toThrow(/productionPools\[0\] 100.64.0.0\/10 overlaps experimentalPools\[0\] 100.96.0.0\/12/);
    expect(bad({ experimentalPools: ['100.96.0.0/33'] })).toThrow(/experimentalPools\[0\]/);
    expect(bad({ attachments: [{ interface: 'att0', experiment: 'x', allocations: ['10.9.0.0/16'] }] })).toThrow(
      /attachments\[0\] \(x\): allocation 10.9.0.0\/16 is outside the experimental pools/,
    );
    expect(bad({ attachments: [{ interface: 'a-very-long-name0', experiment: 'x', allocations: [] }] })).toThrow(/not an interface name/);
    expect(bad({ rateLimit: { bytesPerSecond: 0, burstBytes: 1 } })).toThrow(/rateLimit/);
  });
});

describe('plane rules', () => {
  it('sends attachments and experimental pools to the experimental table, the rest to production', () => {
    const lines = planeRules(config).map((r) => `${r.priority} v${r.family} ${r.iif ?? ''}${r.from ?? ''}${r.to ? `to ${r.to}` : ''} -> ${r.table}`);
    expect(lines).toEqual([
      '1000 v4 att0 -> 1101',
      '1000 v6 att0 -> 1101',
      '1000 v4 att1 -> 1101',
      '1000 v6 att1 -> 1101',
      '1010 v4 100.96.0.0/12 -> 1101',
      '1010 v6 fd00:e::/32 -> 1101',
      '1020 v4 to 100.96.0.0/12 -> 1101',
      '1020 v6 to fd00:e::/32 -> 1101',
      '1090 v4  -> 1100',
      '1090 v6  -> 1100',
    ]);
  });
});

describe('nftables ruleset', () => {
  const text = renderRuleset({ ...config, killed: ['exp2'], rateLimit: { bytesPerSecond: 1_000_000, burstBytes: 100_000 } });

  it('replaces the garagenet table in one transaction', () => {
    expect(text.split('\n').slice(0, 3)).toEqual(['table inet garagenet', 'delete table inet garagenet', 'table inet garagenet {']);
  });

  it('drops sources outside each live attachment allocation, per family', () => {
    expect(text).toContain('iifname "att0" ip saddr != { 100.96.1.0/24 } counter name spoofed drop');
    expect(text).toContain('iifname "att0" ip6 saddr != { fd00:e:1::/48 } counter name spoofed drop');
    expect(text).not.toContain('iifname "att1" ip');
    expect(text).toContain('set killed { type ifname; elements = { "att1" }; }');
    expect(text).toContain('set attachments { type ifname; elements = { "att0" }; }');
  });

  it('drops cross-plane packets, marks and limits experimental traffic', () => {
    expect(text).toContain('ip saddr @experimental4 ip daddr @production4 counter name cross_plane drop');
    expect(text).toContain('oifname @attachments ip6 saddr != @experimental6 counter name cross_plane drop');
    expect(text).toContain('set production6 { type ipv6_addr; flags interval; elements = { fd00:1::/32 }; }');
    expect(text).toContain('meta mark & 0x100 == 0x100 limit rate over 1000000 bytes/second burst 100000 bytes counter name experimental_over_limit drop');
    expect(renderRuleset(config)).not.toContain('limit rate');
  });
});
