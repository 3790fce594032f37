import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asPathLength } from '../../route-daemon/packet/attributes.js';
import { MessageFramer } from '../../route-daemon/packet/framer.js';
import { ipv4PrefixLength, IPV4_UNICAST, MessageType } from '../../route-daemon/packet/types.js';
import { checkMessage } from '../../route-daemon/packet/validate.js';
import { encodeTableStream, generateTable, loadTableStream, SECOND_PATH_SHARES, secondPaths } from './table.js';

const SMALL = { prefixes: 20_000, attributeSets: 4_400, origins: 1_200, seed: 7 };
const SESSION = { localAs: 65000, nextHop: 0x0a000001 };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('synthetic BGP table', () => {
  const table = generateTable(SMALL);

  it('has the requested shape', () => {
    const prefixes = table.sets.flatMap((s) => s.prefixes);
    expect(prefixes.length).toBe(SMALL.prefixes);
    expect(new Set(prefixes).size).toBe(SMALL.prefixes);
    expect(table.sets.length).toBe(SMALL.attributeSets);
    expect(new Set(table.sets.map((s) => s.path.at(-1))).size).toBe(SMALL.origins);
    const slash24 = prefixes.filter((p) => ipv4PrefixLength(p) === 24).length / prefixes.length;
    expect(slash24).toBeGreaterThan(0.55);
    expect(slash24).toBeLessThan(0.65);
    const meanHops = table.sets.reduce((n, s) => n + s.path.length + 1, 0) / table.sets.length;
    expect(meanHops).toBeGreaterThan(4.3);
    expect(meanHops).toBeLessThan(4.9);
  });

  it('is the same for the same seed', () => {
    expect(generateTable(SMALL)).toEqual(table);
  });

  it('streams as valid UPDATEs that carry every prefix and attribute set', () => {
    const stream = encodeTableStream(table, SESSION);
    const { messages, error } = new MessageFramer().push(stream);
    expect(error).toBeNull();
    const keys = new Set<string>();
    let prefixes = 0;
    for (const m of messages) {
      const checked = checkMessage(m, { codec: { fourOctetAs: true, families: [IPV4_UNICAST] }, update: { external: true, peerAs: 65000 }, open: {} });
      expect(checked.kind === 'update' && checked.verdict.action).toBe('accept');
      if (checked.kind !== 'update') continue;
      expect(checked.message.type).toBe(MessageType.Update);
      expect(asPathLength(checked.message.attributes.asPath!)).toBeGreaterThanOrEqual(2);
      keys.add(JSON.stringify(checked.message.attributes));
      prefixes += checked.message.nlri.length;
    }
    expect(prefixes).toBe(SMALL.prefixes);
    expect(keys.size).toBe(SMALL.attributeSets);
  });

  it('has second paths for the same prefixes, some better and some worse than the first', () => {
    const second = secondPaths(table);
    expect(second.sets.map((s) => s.prefixes)).toEqual(table.sets.map((s) => s.prefixes));
    expect(secondPaths(table)).toEqual(second);
    const steps = { shorter: 0, longer: 0, origin: 0, alike: 0 };
    for (const [k, s] of second.sets.entries()) {
      const first = table.sets[k]!;
      expect(s.path.at(-1)).toBe(first.path.at(-1));
      if (s.path.length !== first.path.length) steps[s.path.length < first.path.length ? 'shorter' : 'longer']++;
      else if (s.origin !== first.origin) steps.origin++;
      else steps.alike++;
    }
    const share = (n: number): number => n / second.sets.length;
    // Paths of the origin alone cannot be shorter: fewer than the share, but most.
    expect(share(steps.shorter)).toBeGreaterThan(SECOND_PATH_SHARES.shorter - 0.06);
    expect(share(steps.shorter)).toBeLessThanOrEqual(SECOND_PATH_SHARES.shorter + 0.02);
    expect(Math.abs(share(steps.longer) - SECOND_PATH_SHARES.longer)).toBeLessThan(0.02);
    expect(Math.abs(share(steps.origin) - SECOND_PATH_SHARES.origin)).toBeLessThan(0.02);
    expect(share(steps.alike)).toBeGreaterThan(0.25);
  });

  it('caches the stream and reads the cache back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgp-table-'));
    dirs.push(dir);
    const first = loadTableStream(SMALL, SESSION, { dataDir: dir });
    const second = loadTableStream(SMALL, SESSION, { dataDir: dir });
    expect([first.cached, second.cached]).toEqual([false, true]);
    expect(second.stream.equals(first.stream)).toBe(true);
  });
});
