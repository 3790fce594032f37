import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { streamFile } from './churn-streams.js';
import { feedTable, type FeedResult } from './feeder.js';

/**
 * The churn run's feeders, all in one process: one session per feeder
 * address to the receiver, each sending its share of the table at once.
 * Then, on a line "withdraw" or "announce" on stdin, every session sends its
 * churn UPDATEs at the same time. Prints JSON lines on stdout:
 * {"event":"established","at"} when every session is up, {"event":"loaded","sendSeconds"},
 * {"event":"withdraw-start","at"} ... {"event":"withdraw-sent","sendSeconds"}, the same for announce.
 * Usage: node dist/bench/bgp/churn-feeder.js DIR RECEIVER RECEIVER_AS ADDRESS:ASN... (ends when stdin closes)
 */

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function sendAll(sessions: readonly FeedResult[], parts: readonly Buffer[]): Promise<number> {
  const start = process.hrtime.bigint();
  await Promise.all(sessions.map((s, k) => s.send(parts[k]!)));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function main(): Promise<void> {
  const [dir, receiver, receiverAs, ...peerArgs] = process.argv.slice(2);
  if (dir === undefined || receiver === undefined || receiverAs === undefined || peerArgs.length === 0) {
    throw new Error('usage: churn-feeder DIR RECEIVER RECEIVER_AS ADDRESS:ASN...');
  }
  const peers = peerArgs.map((text) => {
    const [address, asn] = text.split(':');
    return { address: address!, asn: Number(asn) };
  });
  const parts = {
    full: peers.map((_, p) => readFileSync(streamFile(dir, p, 'full'))),
    withdraw: peers.map((_, p) => readFileSync(streamFile(dir, p, 'withdraw'))),
    announce: peers.map((_, p) => readFileSync(streamFile(dir, p, 'announce'))),
  };
  let established = 0;
  const sessions = await Promise.all(
    peers.map((peer, p) => feedTable(parts.full[p]!, {
      host: receiver,
      port: 179,
      localAddress: peer.address,
      localAs: peer.asn,
      peerAs: Number(receiverAs),
      routerId: peer.address.split('.').reduce((n, o) => n * 256 + Number(o), 0),
      // Time the load from the first session up: the others follow within milliseconds.
      onEstablished: () => (established === 0 ? (established = Date.now(), emit({ event: 'established', at: established })) : undefined),
    })),
  );
  emit({ event: 'loaded', sendSeconds: Math.max(...sessions.map((s) => s.sendSeconds)) });
  for await (const line of createInterface({ input: process.stdin })) {
    const part = line.trim();
    if (part !== 'withdraw' && part !== 'announce') continue;
    emit({ event: `${part}-start`, at: Date.now() });
    emit({ event: `${part}-sent`, sendSeconds: await sendAll(sessions, parts[part]) });
  }
  await Promise.all(sessions.map((s) => s.close()));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`churn-feeder: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
