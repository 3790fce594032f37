import { describe, expect, it } from 'vitest';
import { parsePrefix } from '../../common/prefix.js';
import { bogonReason } from './bogon.js';

describe('bogonReason', () => {
  it('rejects the default route of both families', () => {
    expect(bogonReason(parsePrefix('0.0.0.0/0'))).toMatch(/default route/);
    expect(bogonReason(parsePrefix('::/0'))).toMatch(/default route/);
  });

  it('rejects martians and prefixes that cover them', () => {
    expect(bogonReason(parsePrefix('127.0.0.0/8'))).toBe('overlaps martian 127.0.0.0/8');
    expect(bogonReason(parsePrefix('169.254.10.0/24'))).toBe('overlaps martian 169.254.0.0/16');
    expect(bogonReason(parsePrefix('224.0.0.0/3'))).toMatch(/martian 224\.0\.0\.0\/4/);
    expect(bogonReason(parsePrefix('fe80::/32'))).toBe('overlaps martian fe80::/10');
  });

  it('rejects prefixes longer than the limits, default /24 and /48', () => {
    expect(bogonReason(parsePrefix('10.1.2.0/25'))).toBe('prefix longer than /24');
    expect(bogonReason(parsePrefix('fd00:1:2:3::/64'))).toBe('prefix longer than /48');
    expect(bogonReason(parsePrefix('10.1.2.4/32'), { maxLengthIpv4: 32 })).toBeNull();
  });

  it('accepts private space, where the planes live', () => {
    expect(bogonReason(parsePrefix('10.64.0.0/16'))).toBeNull();
    expect(bogonReason(parsePrefix('fd00:64::/32'))).toBeNull();
  });
});
