import { describe, expect, it } from 'vitest';
import { MessageWriter, readMessages } from './message.js';
import { decodeRoute, encodeRoute, encodeRouteDump, type RouteFields, type RouteOwner } from './route.js';
import { RTM_DELROUTE, RTM_GETROUTE, RTM_NEWROUTE, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from './constants.js';

function roundTrip(op: 'add' | 'replace' | 'delete', fields: RouteFields & RouteOwner) {
  const w = new MessageWriter(16);
  encodeRoute(w, fields, { ...fields, op });
  const buf = w.finish();
  const [m, ...rest] = [...readMessages(buf)];
  expect(rest).toEqual([]);
  return { message: m!, route: decodeRoute(buf, m!), length: buf.length };
}

describe('route codec', () => {
  it('round-trips an IPv4 route with gateway, device, metric, table above 255 and owner tag', () => {
    const { message, route, length } = roundTrip('add', {
      prefix: '198.51.100.0/24', gateway: '192.0.2.1', ifindex: 7, metric: 20, table: 1000, protocol: 201,
    });
    expect(message.type).toBe(RTM_NEWROUTE);
    expect(message.flags).toBe(NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
    expect(length).toBe(16 + 12 + 8 * 5);
    expect(route).toEqual({
      family: 4, prefix: '198.51.100.0/24', gateway: '192.0.2.1', ifindex: 7, metric: 20, table: 1000,
      protocol: 201, type: 'unicast', multipath: false,
    });
  });

  it('round-trips IPv6, the default route and unreachable routes; IPv6 metric 0 becomes 1024 as in the kernel', () => {
    expect(roundTrip('replace', { prefix: '2001:db8:0:1::/64', gateway: '2001:db8::1', table: 20, protocol: 201 }).route).toEqual({
      family: 6, prefix: '2001:db8:0:1::/64', gateway: '2001:db8::1', metric: 1024, table: 20, protocol: 201,
      type: 'unicast', multipath: false,
    });
    expect(roundTrip('add', { prefix: '0.0.0.0/0', type: 'unreachable', metric: 4278198272, table: 20, protocol: 201 }).route).toEqual({
      family: 4, prefix: '0.0.0.0/0', metric: 4278198272, table: 20, protocol: 201, type: 'unreachable', multipath: false,
    });
    const replace = roundTrip('replace', { prefix: '::/0', ifindex: 3, table: 20, protocol: 1 });
    expect(replace.message.flags).toBe(NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
    expect(replace.route?.prefix).toBe('::/0');
  });

  it('encodes a delete by key and owner only, never by next hop', () => {
    const { message, route } = roundTrip('delete', { prefix: '10.0.0.0/8', gateway: '10.1.1.1', ifindex: 4, table: 5, protocol: 201 });
    expect(message.type).toBe(RTM_DELROUTE);
    expect(message.flags).toBe(NLM_F_REQUEST);
    expect(route?.gateway).toBeUndefined();
    expect(route?.ifindex).toBeUndefined();
    expect(route?.protocol).toBe(201);
  });

  it('packs messages back to back, each 4-byte aligned', () => {
    const w = new MessageWriter(8);
    for (let i = 0; i < 300; i++) encodeRoute(w, { prefix: `10.${i >> 8}.${i & 255}.0/24`, gateway: '192.0.2.1' }, { op: 'add', table: 9, protocol: 201 });
    const buf = w.finish();
    const routes = [...readMessages(buf)].map((m) => decodeRoute(buf, m)!.prefix);
    expect(routes.length).toBe(300);
    expect(routes[299]).toBe('10.1.43.0/24');
    expect(w.messageCount).toBe(300);
  });

  it('builds a dump request filtered by table', () => {
    const w = new MessageWriter();
    encodeRouteDump(w, { family: 6, table: 300 });
    const buf = w.finish();
    const [m] = [...readMessages(buf)];
    expect(m!.type).toBe(RTM_GETROUTE);
    expect([...buf.subarray(16)]).toEqual([10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 15, 0, 44, 1, 0, 0]);
  });

  it('refuses bad input naming the route', () => {
    const w = new MessageWriter();
    expect(() => encodeRoute(w, { prefix: '10.0.0.1/8', gateway: '10.0.0.2' }, { op: 'add', table: 1, protocol: 1 })).toThrow(/route prefix: "10.0.0.1\/8"/);
    expect(() => encodeRoute(w, { prefix: '10.0.0.0/8', gateway: '2001:db8::1' }, { op: 'add', table: 1, protocol: 1 })).toThrow(/same address family/);
    expect(() => encodeRoute(w, { prefix: '10.0.0.0/8' }, { op: 'add', table: 1, protocol: 1 })).toThrow(/needs a gateway or a device/);
    expect(() => encodeRoute(w, { prefix: '10.0.0.0/8', gateway: '10.0.0.256' }, { op: 'add', table: 1, protocol: 1 })).toThrow(/gateway of 10.0.0.0\/8/);
    expect(w.messageCount).toBe(0);
  });
});
