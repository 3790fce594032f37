import { describe, expect, it } from 'vitest';
import { familiesToPurgeOnReturn, keepRoutesOnDown } from './graceful-restart.js';

const gr = { restartTimeSeconds: 120, restarting: false, families: [{ family: 'ipv4-unicast' as const, forwarding: true }, { family: 'ipv6-unicast' as const, forwarding: false }] };

describe('graceful restart, receiving speaker (RFC 4724)', () => {
  it('keeps routes only when a capable peer drops the connection', () => {
    expect(keepRoutesOnDown('connectionLost', gr)).toBe(true);
    expect(keepRoutesOnDown('connectionLost', undefined)).toBe(false);
    expect(keepRoutesOnDown('connectionLost', { ...gr, families: [] })).toBe(false);
    expect(keepRoutesOnDown('notificationReceived', gr)).toBe(false);
    expect(keepRoutesOnDown('notificationSent', gr)).toBe(false);
    expect(keepRoutesOnDown('stopped', gr)).toBe(false);
  });
  it('purges at once the families whose forwarding the peer did not preserve', () => {
    expect(familiesToPurgeOnReturn(['ipv4-unicast', 'ipv6-unicast'], { ...gr, restarting: true })).toEqual(['ipv6-unicast']);
    expect(familiesToPurgeOnReturn(['ipv4-unicast', 'ipv6-unicast'], undefined)).toEqual(['ipv4-unicast', 'ipv6-unicast']);
    expect(familiesToPurgeOnReturn([], gr)).toEqual([]);
  });
});
