import { describe, expect, it } from 'vitest';
import { describeNotification, notifications } from './errors.js';

describe('NOTIFICATION choices', () => {
  it('max-prefix carries AFI, SAFI and the limit (RFC 4486 §4)', () => {
    const n = notifications.maxPrefixReached(2, 1, 1000);
    expect([n.code, n.subcode]).toEqual([6, 1]);
    expect(n.data.toString('hex')).toBe('0002' + '01' + '000003e8');
  });
  it('describes codes for people', () => {
    expect(describeNotification(notifications.administrativeShutdown())).toBe('cease: administrative shutdown (6/2)');
    expect(describeNotification({ code: 3, subcode: 11 })).toBe('UPDATE message error: malformed AS_PATH (3/11)');
    expect(describeNotification({ code: 42, subcode: 9 })).toBe('error code 42 (42/9)');
  });
});
