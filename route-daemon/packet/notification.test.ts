import { describe, expect, it } from 'vitest';
import { notificationName, shutdownCommunication, shutdownData } from './notification.js';
import { CeaseSubcode, ErrorCode, UpdateSubcode } from './types.js';

describe('NOTIFICATION names', () => {
  it('names code and subcode', () => {
    expect(notificationName({ code: ErrorCode.Cease, subcode: CeaseSubcode.AdministrativeShutdown })).toBe('Cease / Administrative Shutdown');
    expect(notificationName({ code: ErrorCode.UpdateMessage, subcode: UpdateSubcode.MalformedAsPath })).toBe('UPDATE Message Error / Malformed AS_PATH');
    expect(notificationName({ code: ErrorCode.OpenMessage, subcode: 2 })).toBe('OPEN Message Error / Bad Peer AS');
    expect(notificationName({ code: ErrorCode.UpdateMessage, subcode: UpdateSubcode.InvalidNextHopAttribute })).toBe('UPDATE Message Error / Invalid NEXT_HOP Attribute');
    expect(notificationName({ code: ErrorCode.HoldTimerExpired, subcode: 0 })).toBe('Hold Timer Expired');
    expect(notificationName({ code: 9, subcode: 1 })).toBe('code 9 / subcode 1');
    expect(notificationName({ code: ErrorCode.Cease, subcode: 77 })).toBe('Cease / subcode 77');
  });
});

describe('shutdown communication (RFC 9003)', () => {
  const cease = (data: Buffer) => ({ code: ErrorCode.Cease, subcode: CeaseSubcode.AdministrativeShutdown, data });

  it('round-trips a message', () => {
    expect(shutdownCommunication(cease(shutdownData('maintenance, back at 14:00 ✓')))).toBe('maintenance, back at 14:00 ✓');
  });

  it('cuts a long message at a character boundary', () => {
    const data = shutdownData('é'.repeat(200));
    expect(data[0]).toBe(254);
    expect(shutdownCommunication(cease(data))).toBe('é'.repeat(127));
  });

  it('returns null for invalid UTF-8, a length past the data, or another NOTIFICATION', () => {
    expect(shutdownCommunication(cease(Buffer.from([2, 0xc3, 0x28])))).toBeNull();
    expect(shutdownCommunication(cease(Buffer.from([9, 0x41])))).toBeNull();
    expect(shutdownCommunication({ code: ErrorCode.Cease, subcode: CeaseSubcode.PeerDeconfigured, data: shutdownData('x') })).toBeNull();
  });
});
