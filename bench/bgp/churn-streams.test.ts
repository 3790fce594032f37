import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMessage } from '../../route-daemon/packet/codec.js';
import { MessageFramer } from '../../route-daemon/packet/framer.js';
import { IPV4_UNICAST, MessageType } from '../../route-daemon/packet/types.js';
import { streamFile, writeChurnStreams } from './churn-streams.js';
import { generateTable } from './table.js';

const SMALL = { prefixes: 20_000, attributeSets: 4_400, origins: 1_200, seed: 7 };
const PEERS = [{ address: '10.201.0.11', asn: 65010 }, { address: '10.201.0.12', asn: 65011 }, { address: '10.201.0.13', asn: 65012 }];
const CODEC = { fourOctetAs: true, families: [IPV4_UNICAST] };
const dir = mkdtempSync(join(tmpdir(), 'gn-churn-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Announced and withdrawn prefixes of a stream of UPDATEs, and the first AS and next hop of the announcements. */
function contents(file: string): { announced: number[]; withdrawn: number[]; firstAs: Set<number>; nextHops: Set<number> } {
  const result = { announced: [] as number[], withdrawn: [] as number[], firstAs: new Set<number>(), nextHops: new Set<number>() };
  const framed = new MessageFramer().push(readFileSync(file));
  expect(framed.error).toBeNull();
  for (const bytes of framed.messages) {
    const message = decodeMessage(bytes, CODEC);
    if (message.type !== MessageType.Update) throw new Error(`not an UPDATE: type ${message.type}`);
    result.announced.push(...message.nlri);
    result.withdrawn.push(...message.withdrawn);
    if (message.nlri.length > 0) {
      result.firstAs.add(message.attributes.asPath![0]!.asns[0]!);
      result.nextHops.add(message.attributes.nextHop!);
    }
  }
  return result;
}

describe('churn streams', () => {
  const table = generateTable(SMALL);
  const streams = writeChurnStreams(table, PEERS, dir);
  const peers = PEERS.map((_, p) => ({
    full: contents(streamFile(dir, p, 'full')),
    withdraw: contents(streamFile(dir, p, 'withdraw')),
    announce: contents(streamFile(dir, p, 'announce')),
  }));

  it('splits the table among the feeders without overlap, bogons left out', () => {
    const all = peers.flatMap((p) => p.full.announced);
    expect(all.length).toBe(streams.routes);
    expect(new Set(all).size).toBe(all.length);
    // The generator keeps out private space but not every martian (169.254/16, 192.0.0/24, 240/4).
    expect(streams.routes).toBeLessThanOrEqual(SMALL.prefixes);
    expect(streams.routes).toBeGreaterThan(SMALL.prefixes * 0.9);
    const sizes = peers.map((p) => p.full.announced.length);
    expect(Math.min(...sizes)).toBeGreaterThan(streams.routes / PEERS.length / 3);
  });

  it('announces each share with its feeder as first AS and next hop', () => {
    peers.forEach((p, k) => {
      expect([...p.full.firstAs]).toEqual([PEERS[k]!.asn]);
      expect(p.full.nextHops.size).toBe(1);
    });
  });

  it('withdraws a tenth of each share and announces exactly those again', () => {
    expect(streams.churned).toBe(peers.reduce((n, p) => n + p.withdraw.withdrawn.length, 0));
    expect(streams.churned / streams.routes).toBeGreaterThan(0.09);
    expect(streams.churned / streams.routes).toBeLessThan(0.11);
    for (const p of peers) {
      const share = new Set(p.full.announced);
      expect(p.withdraw.withdrawn.every((prefix) => share.has(prefix))).toBe(true);
      expect(p.withdraw.announced).toEqual([]);
      expect(new Set(p.announce.announced)).toEqual(new Set(p.withdraw.withdrawn));
    }
  });
});
