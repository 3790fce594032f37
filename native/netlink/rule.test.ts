import { describe, expect, it } from 'vitest';
import { MessageWriter, readMessages } from './message.js';
import { decodeRule, encodeRule } from './rule.js';
import { decodeAddress, encodeAddress } from './address.js';
import { decodeLink, encodeLinkState } from './link.js';
import { RTM_DELRULE, RTM_NEWLINK, RTM_NEWRULE } from './constants.js';

function one(encode: (w: MessageWriter) => void) {
  const w = new MessageWriter(16);
  encode(w);
  const buf = w.finish();
  const messages = [...readMessages(buf)];
  expect(messages.length).toBe(1);
  return { buf, m: messages[0]! };
}

describe('rule, address and link codecs', () => {
  it('round-trips a rule with every selector', () => {
    const rule = { family: 4 as const, priority: 1010, table: 1001, from: '100.64.0.0/10', to: '100.96.0.0/12', iif: 'gx-exp1', fwmark: 0x10, fwmask: 0xf0, protocol: 201 };
    const { buf, m } = one((w) => encodeRule(w, rule, { op: 'add' }));
    expect(m.type).toBe(RTM_NEWRULE);
    expect(decodeRule(buf, m)).toEqual({ ...rule, action: 'lookup' });
  });

  it('round-trips an unreachable IPv6 rule delete', () => {
    const { buf, m } = one((w) => encodeRule(w, { family: 6, priority: 7, action: 'unreachable', to: 'fd00::/8' }, { op: 'delete' }));
    expect(m.type).toBe(RTM_DELRULE);
    expect(decodeRule(buf, m)).toEqual({ family: 6, priority: 7, action: 'unreachable', to: 'fd00::/8', table: 0, protocol: 0 });
  });

  it('refuses a rule whose prefix family differs', () => {
    expect(() => encodeRule(new MessageWriter(), { family: 6, priority: 1, table: 2, from: '10.0.0.0/8' }, { op: 'add' })).toThrow(/family/);
  });

  it('round-trips addresses and encodes link up/down', () => {
    for (const address of ['192.0.2.1/24', '2001:db8::1/64']) {
      const { buf, m } = one((w) => encodeAddress(w, { ifindex: 12, address }, { op: 'add' }));
      expect(decodeAddress(buf, m)).toEqual({ family: address.includes(':') ? 6 : 4, ifindex: 12, address });
    }
    const { buf, m } = one((w) => encodeLinkState(w, { ifindex: 5, up: true }));
    expect(m.type).toBe(RTM_NEWLINK);
    expect(decodeLink(buf, m)).toEqual({ ifindex: 5, name: '', up: true, lowerUp: false, mtu: 0 });
  });
});
