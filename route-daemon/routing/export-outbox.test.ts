import { describe, expect, it } from 'vitest';
import { formatPrefix, parsePrefix, type Prefix } from '../../common/prefix.js';
import { ipv4Prefix } from '../packet/types.js';
import type { RouteAttributes } from './attributes.js';
import { withPacked } from './instance.js';
import { ExportOutbox, type OutboxSource } from './export-outbox.js';

const prefixes = Array.from({ length: 10 }, (_, i) => parsePrefix(`10.0.${i}.0/24`));
const sets = [0, 1].map((id) => ({ origin: 'igp', asPath: [{ type: 'sequence', asns: [65000 + id] }] }) as unknown as RouteAttributes);
const source: OutboxSource = {
  family: 4,
  attributes: (id) => sets[id]!,
  encoded: (_id, _key, encode) => encode(),
  prefixOf: (slot) => prefixes[slot]!,
  ipv4Of: (slot) => ipv4Prefix(Number(prefixes[slot]!.value), prefixes[slot]!.length),
};
const names = (list: readonly Prefix[], ipv4?: readonly number[]): string[] => withPacked(list, ipv4).map(formatPrefix);

describe('ExportOutbox', () => {
  it('groups interleaved announcements by attribute set however small the batches', () => {
    const outbox = new ExportOutbox();
    for (let slot = 0; slot < 6; slot++) outbox.announce(slot % 2, slot, source);
    const first = outbox.take(4)!;
    expect(first.announced.map((g) => [g.attributes, names(g.prefixes, g.ipv4)])).toEqual([
      [sets[0], ['10.0.0.0/24', '10.0.2.0/24', '10.0.4.0/24']],
      [sets[1], ['10.0.1.0/24']],
    ]);
    const second = outbox.take(4)!;
    expect(second.announced.map((g) => names(g.prefixes, g.ipv4))).toEqual([['10.0.3.0/24', '10.0.5.0/24']]);
    expect(outbox.take(4)).toBeNull();
  });

  it('sends withdrawals first and End-of-RIB only with the last batch', () => {
    const outbox = new ExportOutbox();
    outbox.announce(0, 0, source);
    outbox.announce(0, 1, source);
    outbox.withdraw(9, source);
    outbox.finishTable('ipv4-unicast');
    const first = outbox.take(2)!;
    expect(names(first.withdrawn, first.withdrawnIpv4)).toEqual(['10.0.9.0/24']);
    expect(first.announced.map((g) => names(g.prefixes, g.ipv4))).toEqual([['10.0.0.0/24']]);
    expect(first.endOfRib).toEqual([]);
    const last = outbox.take(2)!;
    expect(last.announced.map((g) => names(g.prefixes, g.ipv4))).toEqual([['10.0.1.0/24']]);
    expect(last.endOfRib).toEqual(['ipv4-unicast']);
    expect(outbox.empty).toBe(true);
  });

  it('keeps the same set apart per family, IPv4 packed and IPv6 as Prefixes, withdrawals too', () => {
    const v6 = parsePrefix('2001:db8::/32');
    const source6: OutboxSource = { ...source, family: 6, prefixOf: () => v6 };
    const outbox = new ExportOutbox();
    outbox.announce(0, 0, source);
    outbox.announce(0, 1, source6);
    outbox.withdraw(3, source);
    outbox.withdraw(4, source6);
    const batch = outbox.take(10)!;
    expect(batch.announced.map((g) => [g.prefixes, g.ipv4])).toEqual([[[], [ipv4Prefix(0x0a000000, 24)]], [[v6], []]]);
    expect([batch.withdrawn, batch.withdrawnIpv4]).toEqual([[v6], [ipv4Prefix(0x0a000300, 24)]]);
  });
});
