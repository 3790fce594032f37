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
    { interface: 'att0', experiment: 'exp1', allocations: ['100.96.1.0/24', 'fd00:e:1::/48'], rateLimit: { bytesPerSecond: 1_000_000, burstBytes: 100_000 } },
    { interface: 'att1', experiment: 'exp2', allocations: ['100.96.2.0/24'] },
    { interface: 'att2', experiment: 'exp3', allocations: ['100.96.3.0/24'], rateLimit: { bytesPerSecond: 250_000, burstBytes: 25_000 } },
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
    expect(bad({ attachments: [{ interface: 'att0', experiment: 'x', allocations: [], rateLimit: { bytesPerSecond: 0, burstBytes: 1 } }] })).toThrow(
      /attachments\[0\] \(x\): rateLimit 0 bytes\/s, burst 1 bytes: both must be positive whole numbers/,
    );
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
      '1000 v4 att2 -> 1101',
      '1000 v6 att2 -> 1101',
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
  const text = renderRuleset({ ...config, killed: ['exp2'] });
  const prerouting = text.slice(text.indexOf('chain prerouting'), text.indexOf('chain forward')).split('\n').map((l) => l.trim());
  const forward = text.slice(text.indexOf('chain forward')).split('\n').map((l) => l.trim());

  it('replaces the garagenet table in one transaction', () => {
    expect(text.split('\n').slice(0, 3)).toEqual(['table inet garagenet', 'delete table inet garagenet', 'table inet garagenet {']);
  });

  it('drops sources outside each live attachment allocation, per family', () => {
    expect(text).toContain('iifname "att0" ip saddr != { 100.96.1.0/24 } counter name spoofed drop');
    expect(text).toContain('iifname "att0" ip6 saddr != { fd00:e:1::/48 } counter name spoofed drop');
    expect(text).not.toContain('iifname "att1" ip');
    expect(text).toContain('set killed { type ifname; elements = { "att1" }; }');
    expect(text).toContain('set attachments { type ifname; elements = { "att0", "att2" }; }');
  });

  it('drops cross-plane packets and marks experimental traffic', () => {
    expect(text).toContain('ip saddr @experimental4 ip daddr @production4 counter name cross_plane drop');
    expect(text).toContain('oifname @attachments ip6 saddr != @experimental6 counter name cross_plane drop');
    expect(text).toContain('set production6 { type ipv6_addr; flags interval; elements = { fd00:1::/32 }; }');
    expect(forward).toContain('meta mark & 0x100 == 0x100 counter name experimental_forwarded');
  });

  it("polices each live attachment by its own rate as it enters, after anti-spoofing and before routing", () => {
    const limits = prerouting.filter((l) => l.includes('limit rate'));
    expect(limits).toEqual([
      'iifname "att0" fib daddr type != local limit rate over 1000000 bytes/second burst 100000 bytes counter name experimental_over_limit drop',
      'iifname "att2" fib daddr type != local limit rate over 250000 bytes/second burst 25000 bytes counter name experimental_over_limit drop',
    ]);
    const at = (line: string): number => prerouting.indexOf(line);
    expect(at(limits[0]!)).toBeGreaterThan(at('iifname "att0" ip6 saddr != { fd00:e:1::/48 } counter name spoofed drop'));
    expect(at(limits[1]!)).toBeLessThan(at('iifname @attachments meta mark set meta mark | 0x100'));
    // Nothing polices experimental traffic as one pool: transit traffic was policed where it entered the mesh.
    expect(forward.filter((l) => l.includes('limit'))).toEqual([]);
    // A killed attachment has no limit left (it drops everything), an unlimited one none at all.
    expect(text).not.toMatch(/iifname "att1" limit/);
    const unkilled = renderRuleset(config);
    expect(unkilled).toContain('iifname "att0" fib daddr type != local limit rate over 1000000 bytes/second');
    expect(unkilled).not.toMatch(/iifname "att1" limit/);
  });
});
