import { describe, expect, it } from 'vitest';
import { netnsPath } from './rtnetlink.js';

describe('namespace paths', () => {
  it('maps names from ip netns to their files and keeps absolute paths', () => {
    expect(netnsPath('gn1')).toBe('/var/run/netns/gn1');
    expect(netnsPath('/proc/1/ns/net')).toBe('/proc/1/ns/net');
  });

  it('refuses names that would leave /var/run/netns', () => {
    for (const bad of ['..', '../etc', 'a/b', '']) expect(() => netnsPath(bad)).toThrow(/is not a network namespace name/);
  });
});
