import { describe, expect, it } from 'vitest';
import { formatPrefix, parsePrefix, type Prefix } from '../../common/prefix.js';
import type { RouteAttributes } from './attributes.js';
import { ExportOutbox, type OutboxSource } from './export-outbox.js';

const prefixes = Array.from({ length: 10 }, (_, i) => parsePrefix(`10.0.${i}.0/24`));
const sets = [0, 1].map((id) => ({ origin: 'igp', asPath: [{ type: 'sequence', asns: [65000 + id] }] }) as unknown as RouteAttributes);
const source: OutboxSource = { family: 4, attributes: (id) => sets[id]!, encodings: () => (_key, encode) => encode(), prefixOf: (slot) => prefixes[slot]! };
const names = (list: readonly Prefix[]): string[] => list.map(formatPrefix);

describe('ExportOutbox', () => {
  it('groups interleaved announcements by attribute set however small the batches', () => {
    const outbox = new ExportOutbox();
    for (let slot = 0; slot < 6; slot++) outbox.announce(slot % 2, slot, source);
    const first = outbox.take(4)!;
    expect(first.announced.map((g) => [g.attributes, names(g.prefixes)])).toEqual([
      [sets[0], ['10.0.0.0/24', '10.0.2.0/24', '10.0.4.0/24']],
      [sets[1], ['10.0.1.0/24']],
    ]);
    const second = outbox.take(4)!;
    expect(second.announced.map((g) => names(g.prefixes))).toEqual([['10.0.3.0/24', '10.0.5.0/24']]);
    expect(outbox.take(4)).toBeNull();
  });

  it('sends withdrawals first and End-of-RIB only with the last batch', () => {
    const outbox = new ExportOutbox();
    outbox.announce(0, 0, source);
    outbox.announce(0, 1, source);
    outbox.withdraw(prefixes[9]!);
    outbox.finishTable('ipv4-unicast');
    const first = outbox.take(2)!;
    expect(names(first.withdrawn)).toEqual(['10.0.9.0/24']);
    expect(first.announced.map((g) => names(g.prefixes))).toEqual([['10.0.0.0/24']]);
    expect(first.endOfRib).toEqual([]);
    const last = outbox.take(2)!;
    expect(last.announced.map((g) => names(g.prefixes))).toEqual([['10.0.1.0/24']]);
    expect(last.endOfRib).toEqual(['ipv4-unicast']);
    expect(outbox.empty).toBe(true);
  });

  it('keeps the same set apart per family', () => {
    const outbox = new ExportOutbox();
    outbox.announce(0, 0, source);
    outbox.announce(0, 1, { ...source, family: 6 });
    expect(outbox.take(10)!.announced).toHaveLength(2);
  });
});
