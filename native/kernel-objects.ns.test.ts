import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../common/test-support/eventually.js';
import { watchEvents, type NetlinkEvent } from './events.js';
import { NetlinkError, Rtnetlink } from './rtnetlink.js';
import { Lab } from './test-support/netns.js';

const lab = new Lab();
let ns: string;
let rt: Rtnetlink;

beforeAll(() => {
  ns = lab.namespace('k');
  const peer = lab.namespace('l');
  lab.veth({ ns, name: 'up0' }, { ns: peer, name: 'down0' });
  rt = Rtnetlink.open({ netns: ns });
});

afterAll(() => {
  rt?.close();
  lab.cleanup();
});

/** Resolves when `predicate` has seen a matching event (bounded wait). */
function collect(netns: string): { events: NetlinkEvent[]; until(p: (e: NetlinkEvent) => boolean): Promise<void>; close(): void } {
  const events: NetlinkEvent[] = [];
  const waiters: Array<() => void> = [];
  const sub = watchEvents((e) => {
    events.push(e);
    waiters.splice(0).forEach((w) => w());
  }, { netns });
  return {
    events,
    async until(p) {
      const deadline = Date.now() + 5000;
      while (!events.some(p)) {
        if (Date.now() > deadline) throw new Error('event not seen within 5 s');
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    close: () => sub.close(),
  };
}

describe('rules, addresses, links and events over rtnetlink', () => {
  it('adds, lists and deletes policy rules with every selector, refusing duplicates', async () => {
    const rule = { family: 4 as const, priority: 1500, table: 1001, from: '100.64.0.0/10', iif: 'up0', fwmark: 0x20, fwmask: 0xff, protocol: 201 };
    const v6 = { family: 6 as const, priority: 1501, table: 1001, to: '2001:db8:e::/48', protocol: 201 };
    await rt.addRule(rule);
    await rt.addRule(v6);
    const shown = lab.exec(ns, 'ip', ['rule', 'show', 'priority', '1500']);
    expect(shown).toContain('from 100.64.0.0/10 fwmark 0x20/0xff iif up0 lookup 1001 proto 201');
    expect(lab.exec(ns, 'ip', ['-6', 'rule', 'show', 'priority', '1501'])).toContain('to 2001:db8:e::/48 lookup 1001 proto 201');
    expect((await rt.listRules(4)).find((r) => r.priority === 1500)).toEqual({ ...rule, action: 'lookup' });
    await expect(rt.addRule(rule)).rejects.toThrow(NetlinkError);
    await expect(rt.addRule(rule)).rejects.toThrow(/cannot add rule 1500 from 100.64.0.0\/10 iif up0 fwmark 0x20 lookup 1001: .*EEXIST/);
    await rt.deleteRule(rule);
    await rt.deleteRule(v6);
    expect((await rt.listRules()).filter((r) => r.protocol === 201)).toEqual([]);
  });

  it('adds and deletes addresses and sets links up and down, seen as events', async () => {
    const watch = collect(ns);
    try {
      await rt.addAddress('up0', '192.0.2.10/24');
      await rt.addAddress('up0', '2001:db8:5::10/64');
      expect((await rt.listAddresses('up0')).map((a) => a.address).filter((a) => !a.startsWith('fe80'))).toEqual([
        '192.0.2.10/24',
        '2001:db8:5::10/64',
      ]);
      await expect(rt.addAddress('up0', '192.0.2.10/24')).rejects.toThrow(/EEXIST/);
      await rt.setLinkUp('up0', false);
      expect((await rt.listLinks()).find((l) => l.name === 'up0')?.up).toBe(false);
      await watch.until((e) => e.kind === 'link' && e.link.name === 'up0' && !e.link.up);
      await rt.setLinkUp('up0', true);
      expect((await rt.listLinks()).find((l) => l.name === 'up0')?.up).toBe(true);
      await watch.until((e) => e.kind === 'link' && e.link.name === 'up0' && e.link.up);
      // Connected route of the new address, then a route of ours in a table.
      lab.exec(ns, 'ip', ['route', 'add', '198.51.100.0/24', 'via', '192.0.2.1', 'table', '77', 'proto', '201']);
      await watch.until((e) => e.kind === 'route' && e.action === 'add' && e.route.prefix === '198.51.100.0/24' && e.route.table === 77);
      lab.exec(ns, 'ip', ['route', 'del', '198.51.100.0/24', 'table', '77']);
      await watch.until((e) => e.kind === 'route' && e.action === 'delete' && e.route.prefix === '198.51.100.0/24');
      await rt.deleteAddress('up0', '192.0.2.10/24');
      expect((await rt.listAddresses('up0')).some((a) => a.address === '192.0.2.10/24')).toBe(false);
      await expect(rt.setLinkUp('nope0', true)).rejects.toThrow(/no interface named "nope0"/);
    } finally {
      watch.close();
    }
  });

  it('tells the listener when the kernel dropped events, so that it can resync', async () => {
    const events: NetlinkEvent[] = [];
    // The smallest receive buffer the kernel allows (a few messages): bursts of
    // route changes overflow it whenever the reader thread falls behind.
    const sub = watchEvents((e) => events.push(e), { netns: ns, links: false, receiveBufferBytes: 1 });
    try {
      await rt.addAddress('up0', '192.0.2.20/24');
      const routes = Array.from({ length: 5000 }, (_, i) => ({ prefix: `10.${60 + (i >> 8)}.${i & 255}.0/24`, gateway: '192.0.2.1' }));
      const owner = { table: 78, protocol: 201 };
      let rounds = 0;
      for (; rounds < 10 && !events.some((e) => e.kind === 'overflow'); rounds++) {
        expect((await rt.applyRoutes(routes.map((route) => ({ op: 'add', route })), owner)).failed).toEqual([]);
        expect((await rt.applyRoutes(routes.map((route) => ({ op: 'delete', route })), owner)).failed).toEqual([]);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(events.some((e) => e.kind === 'overflow')).toBe(true);
      // The subscription goes on after an overflow: a route added now is still
      // told (the buffer can fill before a single route event of the bursts is read).
      const after = { prefix: '10.99.0.0/24', gateway: '192.0.2.1' };
      expect((await rt.applyRoutes([{ op: 'add', route: after }], owner)).failed).toEqual([]);
      const told = (e: NetlinkEvent): boolean => e.kind === 'route' && e.action === 'add' && e.route.table === 78 && e.route.prefix === after.prefix;
      expect(await eventually(() => events.some(told), 5_000, { intervalMs: 20 })).toBe(true);
      const seen = events.filter((e) => e.kind === 'route' && e.route.table === 78).length;
      expect(seen).toBeGreaterThan(0);
      expect(seen).toBeLessThan(rounds * routes.length * 2);
    } finally {
      sub.close();
    }
  });

  it('keeps each socket in its own namespace', async () => {
    const other = Rtnetlink.open({ netns: lab.namespace('m') });
    try {
      expect((await other.listLinks()).map((l) => l.name)).toEqual(['lo']);
      expect((await rt.listLinks()).map((l) => l.name)).toContain('up0');
    } finally {
      other.close();
    }
    expect(() => Rtnetlink.open({ netns: 'gn-missing-ns' })).toThrow(/cannot open rtnetlink in \/var\/run\/netns\/gn-missing-ns/);
  });
});
