import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bogonReason } from '../../route-daemon/policy/bogon.js';
import { encodeIpv4Announcements, encodeIpv4Withdrawals } from '../../route-daemon/packet/update.js';
import { IPV4_UNICAST, ipv4PrefixAddress, ipv4PrefixLength } from '../../route-daemon/packet/types.js';
import { setAttributes, type Table } from './table.js';

/**
 * The churn run's input: the full table split among several feeders (attribute
 * set k goes to feeder k mod N, so every feeder has its share of big and small
 * sets), and for each feeder the UPDATEs that withdraw every tenth of its
 * prefixes and those that announce them again with their attributes. Prefixes
 * garagenet's import policy refuses as bogons are left out, so that every
 * receiver must end with the same count.
 */

export interface ChurnPeer {
  readonly address: string;
  readonly asn: number;
}

export interface ChurnStreams {
  /** Routes every receiver holds once all feeders are done. */
  readonly routes: number;
  /** Routes withdrawn (and then announced again) by the churn. */
  readonly churned: number;
}

const CODEC = { fourOctetAs: true, families: [IPV4_UNICAST] };

function isBogon(prefix: number): boolean {
  return bogonReason({ family: 4, value: BigInt(ipv4PrefixAddress(prefix)), length: ipv4PrefixLength(prefix) }) !== null;
}

function ipv4Number(text: string): number {
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function streamFile(dir: string, peer: number, part: 'full' | 'withdraw' | 'announce'): string {
  return join(dir, `peer${peer}-${part}.bin`);
}

/** Writes peerK-full.bin, peerK-withdraw.bin and peerK-announce.bin into `dir` for each peer. */
export function writeChurnStreams(table: Table, peers: readonly ChurnPeer[], dir: string): ChurnStreams {
  let routes = 0;
  let churned = 0;
  peers.forEach((peer, p) => {
    const session = { localAs: peer.asn, nextHop: ipv4Number(peer.address) };
    const full: Buffer[] = [];
    const announce: Buffer[] = [];
    const withdrawn: number[] = [];
    let index = 0;
    for (let k = p; k < table.sets.length; k += peers.length) {
      const set = table.sets[k]!;
      const prefixes = set.prefixes.filter((prefix) => !isBogon(prefix));
      if (prefixes.length === 0) continue;
      const attributes = setAttributes(set, session);
      const churn = prefixes.filter(() => index++ % 10 === 0);
      full.push(...encodeIpv4Announcements({ attributes, prefixes }, CODEC));
      if (churn.length > 0) announce.push(...encodeIpv4Announcements({ attributes, prefixes: churn }, CODEC));
      withdrawn.push(...churn);
      routes += prefixes.length;
    }
    churned += withdrawn.length;
    writeFileSync(streamFile(dir, p, 'full'), Buffer.concat(full));
    writeFileSync(streamFile(dir, p, 'withdraw'), Buffer.concat(encodeIpv4Withdrawals(withdrawn)));
    writeFileSync(streamFile(dir, p, 'announce'), Buffer.concat(announce));
  });
  return { routes, churned };
}
