import { describe, expect, it } from 'vitest';
import { decodeEvents } from './events.js';
import { encodeLinkState } from './netlink/link.js';
import { MessageWriter } from './netlink/message.js';
import { encodeRoute } from './netlink/route.js';
import { encodeRule } from './netlink/rule.js';

describe('event decoding', () => {
  it('turns one multicast datagram into typed link and route events, skipping other messages', () => {
    const w = new MessageWriter(16);
    encodeRoute(w, { prefix: '192.0.2.0/24', gateway: '198.51.100.1' }, { op: 'replace', table: 7, protocol: 201 });
    encodeRule(w, { family: 4, priority: 5, table: 7 }, { op: 'add' });
    encodeLinkState(w, { ifindex: 3, up: true });
    encodeRoute(w, { prefix: '2001:db8::/32' }, { op: 'delete', table: 7, protocol: 201 });
    const events = decodeEvents(w.finish());
    expect(events.map((e) => (e.kind === 'route' ? `${e.action} ${e.route.prefix} t${e.route.table}` : e.kind === 'link' ? `${e.action} link ${e.link.ifindex} up=${e.link.up}` : e.kind))).toEqual([
      'add 192.0.2.0/24 t7',
      'add link 3 up=true',
      'delete 2001:db8::/32 t7',
    ]);
  });

  it('stops at a truncated message instead of throwing', () => {
    const w = new MessageWriter(16);
    encodeRoute(w, { prefix: '192.0.2.0/24', gateway: '198.51.100.1' }, { op: 'add', table: 7, protocol: 201 });
    const whole = w.finish();
    expect(decodeEvents(whole.subarray(0, whole.length - 8))).toEqual([]);
    expect(decodeEvents(Buffer.alloc(3))).toEqual([]);
  });
});
