import { describe, expect, it } from 'vitest';
import { resolveCollision, survivingDirection } from './collision.js';

const id = (dotted: string): number => dotted.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);

describe('collision detection (RFC 4271 §6.8)', () => {
  it('keeps the connection initiated by the higher BGP identifier', () => {
    expect(survivingDirection(id('10.0.0.1'), id('10.0.0.2'))).toBe('inbound');
    expect(survivingDirection(id('10.0.0.2'), id('10.0.0.1'))).toBe('outbound');
  });
  it('compares identifiers as unsigned numbers', () => {
    expect(survivingDirection(id('200.0.0.1'), id('10.0.0.1'))).toBe('outbound');
    expect(survivingDirection(id('200.0.0.1') | 0, id('10.0.0.1'))).toBe('outbound');
  });
  it('we are lower: an OPEN on the inbound connection closes our outbound one in OpenConfirm', () => {
    const verdict = resolveCollision({ localId: id('1.1.1.1'), remoteId: id('2.2.2.2'), arriving: 'inbound', other: { direction: 'outbound', state: 'OpenConfirm' } });
    expect(verdict).toBe('dumpOther');
  });
  it('we are lower: an OPEN on our outbound connection loses against the inbound one', () => {
    const verdict = resolveCollision({ localId: id('1.1.1.1'), remoteId: id('2.2.2.2'), arriving: 'outbound', other: { direction: 'inbound', state: 'OpenConfirm' } });
    expect(verdict).toBe('dumpArriving');
  });
  it('we are higher: our outbound connection survives', () => {
    expect(resolveCollision({ localId: id('9.9.9.9'), remoteId: id('2.2.2.2'), arriving: 'inbound', other: { direction: 'outbound', state: 'OpenConfirm' } })).toBe('dumpArriving');
    expect(resolveCollision({ localId: id('9.9.9.9'), remoteId: id('2.2.2.2'), arriving: 'outbound', other: { direction: 'inbound', state: 'OpenConfirm' } })).toBe('dumpOther');
  });
  it('an Established session is never replaced by a newcomer', () => {
    expect(resolveCollision({ localId: id('1.1.1.1'), remoteId: id('2.2.2.2'), arriving: 'inbound', other: { direction: 'outbound', state: 'Established' } })).toBe('dumpArriving');
  });
  it('no decision while the other connection has not seen an OPEN yet', () => {
    expect(resolveCollision({ localId: 1, remoteId: 2, arriving: 'inbound', other: { direction: 'outbound', state: 'OpenSent' } })).toBe('noCollision');
    expect(resolveCollision({ localId: 1, remoteId: 2, arriving: 'inbound' })).toBe('noCollision');
  });
});
