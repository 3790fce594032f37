import { describe, expect, it } from 'vitest';
import { RestartDeferral } from './restart-deferral.js';

describe('route selection deferral after our restart (RFC 4724 §4.1)', () => {
  it('waits for End-of-RIB of every family from every peer', () => {
    const d = new RestartDeferral(['a', 'b']);
    expect(d.endOfRib('a', 'ipv4-unicast')).toBe(false); // not up yet: ignored
    expect(d.sessionUp('a', ['ipv4-unicast', 'ipv6-unicast'])).toBe(false);
    expect(d.endOfRib('a', 'ipv4-unicast')).toBe(false);
    expect(d.endOfRib('a', 'ipv6-unicast')).toBe(false);
    expect(d.sessionUp('b', ['ipv4-unicast'])).toBe(false);
    expect(d.endOfRib('b', 'ipv4-unicast')).toBe(true);
    expect(d.done).toBe(true);
  });
  it('a session with no common family has nothing to wait for', () => {
    const d = new RestartDeferral(['a']);
    expect(d.sessionUp('a', [])).toBe(true);
  });
  it('with no peers there is nothing to wait for', () => {
    expect(new RestartDeferral([]).done).toBe(true);
  });
  it('End-of-RIB from an unknown peer changes nothing', () => {
    const d = new RestartDeferral(['a']);
    d.sessionUp('a', ['ipv4-unicast']);
    expect(d.endOfRib('zz', 'ipv4-unicast')).toBe(false);
  });
});
