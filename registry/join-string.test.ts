import { describe, expect, it } from 'vitest';
import { decodeJoinString, encodeJoinString } from './join-string.js';

const ticket = {
  registry: '[::1]:7443',
  pin: `sha256:${'A'.repeat(43)}`,
  invitation: 'inv-3f2a',
  secret: 'c2VjcmV0c2VjcmV0c2VjcmV0',
};

describe('join string', () => {
  it('round-trips', () => {
    expect(decodeJoinString(encodeJoinString(ticket))).toEqual(ticket);
    expect(decodeJoinString(`  ${encodeJoinString({ ...ticket, registry: 'reg.example:443' })}\n`).registry).toBe('reg.example:443');
  });

  it('names the damaged part', () => {
    expect(() => decodeJoinString('hello')).toThrow(/does not start with/);
    expect(() => decodeJoinString('gnjoin1.!!!')).toThrow(/damaged/);
    const bad = (o: object) => `gnjoin1.${Buffer.from(JSON.stringify(o)).toString('base64url')}`;
    expect(() => decodeJoinString(bad({ r: 'x', p: ticket.pin, i: 'a', s: ticket.secret }))).toThrow(/registry address/);
    expect(() => decodeJoinString(bad({ r: 'h:1', p: 'md5:x', i: 'a', s: ticket.secret }))).toThrow(/certificate pin/);
    expect(() => decodeJoinString(bad({ r: 'h:1', p: ticket.pin, i: '', s: ticket.secret }))).toThrow(/invitation id/);
    expect(() => decodeJoinString(bad({ r: 'h:1', p: ticket.pin, i: 'a', s: 'short' }))).toThrow(/secret/);
  });
});
