import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './codec.js';
import { seededRandom } from '../../bench/bgp/random.js';
import { emptyAttributes } from './attributes.js';
import { AsSegmentType, IPV4_UNICAST, IPV6_UNICAST, MessageType } from './types.js';
import type { BgpMessage, CodecOptions } from './types.js';
import { checkMessage } from './validate.js';
import type { CheckOptions } from './validate.js';

/**
 * Bounded, seeded mutation run: valid seed messages are mutated at random and fed to
 * decoder + validator. Every outcome must be typed data (never an exception), and every
 * decoded message must re-encode and re-decode to the same value.
 */

const MUTATIONS = 120_000;
const SEED = 0x5eed_b6b;

function seeds(): Buffer[] {
  const text = readFileSync(new URL('./testdata/malformed.txt', import.meta.url), 'utf8');
  const blocks = text.split(/\n\s*\n/);
  // The corpus's controls are valid messages of every type and most attributes.
  const valid = blocks.filter((b) => /expect: (accept|open-accept|message)/m.test(b));
  return [...valid.map((b) => Buffer.from(/hex: ([0-9a-f]+)/.exec(b)![1]!, 'hex')), ...richSeeds()];
}

/** Messages that use every field at once, so mutations hit attribute interplay. */
function richSeeds(): Buffer[] {
  const attributes = {
    ...emptyAttributes(),
    origin: 0 as const,
    asPath: [
      { type: AsSegmentType.AsSequence, asns: [65001, 4200000001, 3356] },
      { type: AsSegmentType.AsSet, asns: [64512, 64513] },
    ],
    nextHop: 0xc0000201,
    med: 5,
    localPref: 100,
    atomicAggregate: true,
    aggregator: { asn: 4200000002, address: 0x0a000001 },
    communities: [0xfde90064],
    largeCommunities: [{ globalAdmin: 4200000001, localData1: 1, localData2: 2 }],
    mpReach: { afi: 2 as const, safi: 1 as const, nextHop: 0x20010db8000000000000000000000001n, linkLocalNextHop: 0xfe80000000000000000000000000001n, prefixes: ['20010db8000000000000000000000000/32', '20010db8000100020000000000000000/64'] },
    mpUnreach: { afi: 2 as const, safi: 1 as const, prefixes: ['20010db8ff0000000000000000000000/40'] },
    unknown: [{ flags: 0xc0, typeCode: 99, value: Buffer.from('cafe', 'hex') }],
  };
  const update: BgpMessage = { type: MessageType.Update, withdrawn: [0x0a000000 * 64 + 8], attributes, nlri: [0xc6336400 * 64 + 24, 0xcb007100 * 64 + 25], attributeLength: 0, problems: [] };
  const open: BgpMessage = {
    type: MessageType.Open, version: 4, myAs: 23456, holdTime: 90, bgpId: 0x0a000002,
    capabilities: [
      { kind: 'multiprotocol', afi: 2, safi: 1 },
      { kind: 'graceful-restart', restarting: true, notification: false, restartTime: 120, families: [{ afi: 2, safi: 1, forwarding: true }] },
      { kind: 'four-octet-as', asn: 65001 },
    ],
  };
  const both = (m: BgpMessage): Buffer[] => [true, false].map((fourOctetAs) => encodeMessage(m, { fourOctetAs, families: [] }));
  return [...both(update), ...both(open)];
}

function mutate(seed: Buffer, next: () => number): Buffer {
  const pick = (n: number): number => Math.floor(next() * n);
  let m = Buffer.from(seed);
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds; r++) {
    const at = 19 + pick(Math.max(1, m.length - 19));
    switch (pick(6)) {
      case 0: // flip one bit
        if (at < m.length) m[at]! ^= 1 << pick(8);
        break;
      case 1: // random octet
        if (at < m.length) m[at] = pick(256);
        break;
      case 2: // interesting octet: lengths and limits
        if (at < m.length) m[at] = [0, 1, 2, 3, 4, 5, 16, 32, 33, 127, 128, 129, 255][pick(13)]!;
        break;
      case 3: // insert octets
        m = Buffer.concat([m.subarray(0, at), Buffer.from(Array.from({ length: 1 + pick(8) }, () => pick(256))), m.subarray(at)]);
        break;
      case 4: // delete octets
        m = Buffer.concat([m.subarray(0, at), m.subarray(Math.min(m.length, at + 1 + pick(8)))]);
        break;
      default: // truncate
        m = m.subarray(0, Math.max(19, at));
        break;
    }
  }
  // Usually keep the header consistent so the mutation reaches the body parsers.
  if (next() < 0.85 && m.length >= 19 && m.length <= 4096) m.writeUInt16BE(m.length, 16);
  return m;
}

function reencodes(message: BgpMessage, codec: CodecOptions): void {
  let bytes: Buffer;
  try {
    bytes = encodeMessage(message, codec);
  } catch (error) {
    // The typed value can legitimately need more room than the received bytes
    // (AS4_PATH added for a two-octet session); anything else is a bug.
    if (error instanceof RangeError && /over 4096|more than 255/.test(error.message)) return;
    throw error;
  }
  const again = decodeMessage(bytes, codec);
  // isDeepStrictEqual first: expect().toEqual on every message would dominate the run time.
  if (message.type === MessageType.Update && again.type === MessageType.Update) {
    const before = { problems: [], withdrawn: message.withdrawn, attributes: message.attributes, nlri: message.nlri };
    const after = { problems: again.problems, withdrawn: again.withdrawn, attributes: again.attributes, nlri: again.nlri };
    if (!isDeepStrictEqual(after, before)) expect(after).toEqual(before);
  } else if (!isDeepStrictEqual(again, message)) {
    expect(again).toEqual(message);
  }
}

describe('seeded mutation run', () => {
  it(`${MUTATIONS} mutated messages: typed outcomes only, decoded ones round-trip`, () => {
    const next = seededRandom(SEED);
    const pool = seeds();
    expect(pool.length).toBeGreaterThan(20);
    const tally = { malformed: 0, accept: 0, withdraw: 0, reset: 0, other: 0, roundTrips: 0 };
    for (let n = 0; n < MUTATIONS; n++) {
      const message = mutate(pool[n % pool.length]!, next);
      const fourOctetAs = next() < 0.8;
      const options: CheckOptions = {
        codec: { fourOctetAs, families: [IPV4_UNICAST, IPV6_UNICAST] },
        update: { external: next() < 0.7, peerAs: 65001 },
        open: { peerAs: 65001, localAs: 65000, localBgpId: 0x0a000001 },
      };
      let checked;
      try {
        checked = checkMessage(message, options);
      } catch (error) {
        throw new Error(`mutation ${n} (four-octet ${fourOctetAs}) threw ${String(error)}: ${message.toString('hex')}`);
      }
      if (checked.kind === 'malformed') {
        tally.malformed++;
        expect(checked.notification.code).toBeGreaterThanOrEqual(1);
        continue;
      }
      if (checked.kind === 'update') {
        const action = checked.verdict.action;
        tally[action === 'accept' ? 'accept' : action === 'treat-as-withdraw' ? 'withdraw' : 'reset']++;
      } else {
        tally.other++;
      }
      try {
        reencodes(checked.message, options.codec);
      } catch (error) {
        throw new Error(`mutation ${n} (four-octet ${fourOctetAs}) does not round-trip: ${message.toString('hex')}\n${String(error)}`);
      }
      tally.roundTrips++;
    }
    console.log(`mutation run: ${JSON.stringify(tally)}`);
    // The run must reach every outcome, or the mutations are not exercising the parser.
    expect(tally.malformed).toBeGreaterThan(1000);
    expect(tally.accept).toBeGreaterThan(1000);
    expect(tally.withdraw).toBeGreaterThan(1000);
    expect(tally.reset).toBeGreaterThan(100);
    expect(tally.roundTrips).toBeGreaterThan(MUTATIONS / 10);
  });
});
