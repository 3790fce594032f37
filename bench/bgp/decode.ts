import { MessageFramer } from '../../route-daemon/packet/framer.js';
import { IPV4_UNICAST } from '../../route-daemon/packet/types.js';
import { checkMessage } from '../../route-daemon/packet/validate.js';
import { formatTable } from '../../common/cli.js';
import { FULL_TABLE, loadTableStream } from './table.js';

/**
 * Decode throughput of the BGP codec on the full synthetic table: frame the UPDATE
 * stream in 64 KiB reads (as from a socket), decode and validate every message.
 * Usage: node dist/bench/bgp/decode.js [runs]
 */

// BIRD 2's whole ingest of the same table (ANCHORS.md, min of 3 on this VM kind): the
// time budget a receiver is measured against. Not measured in this run.
const BIRD_INGEST_SECONDS = 1.46;
const SESSION = { localAs: 65000, nextHop: 0x0a000001 };
const READ_SIZE = 64 * 1024;

interface Run {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly prefixes: number;
  readonly messages: number;
}

function decodeStream(stream: Buffer): Run {
  const options = { codec: { fourOctetAs: true, families: [IPV4_UNICAST] }, update: { external: true, peerAs: SESSION.localAs }, open: {} };
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const framer = new MessageFramer();
  let prefixes = 0;
  let messages = 0;
  for (let at = 0; at < stream.length; at += READ_SIZE) {
    const framed = framer.push(stream.subarray(at, at + READ_SIZE));
    if (framed.error !== null) throw framed.error;
    for (const message of framed.messages) {
      const checked = checkMessage(message, options);
      if (checked.kind !== 'update' || checked.verdict.action !== 'accept') throw new Error(`message ${messages} was not an accepted UPDATE`);
      prefixes += checked.message.nlri.length;
      messages++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, prefixes, messages };
}

function main(): void {
  const runs = Number(process.argv[2] ?? 3);
  const loadStart = Date.now();
  const { stream, cached, path } = loadTableStream(FULL_TABLE, SESSION);
  process.stderr.write(`table: ${path} (${cached ? 'cached' : 'generated'} in ${((Date.now() - loadStart) / 1000).toFixed(1)} s), ${(stream.length / 1e6).toFixed(1)} MB\n`);
  const results: Run[] = [];
  for (let r = 0; r < runs; r++) {
    results.push(decodeStream(stream));
    process.stderr.write(`run ${r + 1}/${runs} done\n`);
  }
  const first = results[0]!;
  const rows = results.map((run, k) => [
    String(k + 1),
    run.seconds.toFixed(3),
    run.cpuSeconds.toFixed(3),
    Math.round(run.prefixes / run.seconds).toLocaleString('en-US'),
    Math.round(run.prefixes / run.cpuSeconds).toLocaleString('en-US'),
    (stream.length / 1e6 / run.seconds).toFixed(1),
    (run.seconds / BIRD_INGEST_SECONDS).toFixed(2),
  ]);
  process.stdout.write(`${first.messages.toLocaleString('en-US')} UPDATEs, ${first.prefixes.toLocaleString('en-US')} prefixes\n`);
  process.stdout.write(formatTable(['run', 'seconds', 'cpu s', 'prefixes/s', 'prefixes/cpu-s', 'MB/s', 'x BIRD ingest (ANCHORS)'], rows));
  // On a shared machine wall time includes waiting for the CPU; CPU time does not.
  const best = Math.min(...results.map((r) => r.seconds));
  const bestCpu = Math.min(...results.map((r) => r.cpuSeconds));
  process.stdout.write(`best: ${Math.round(first.prefixes / best).toLocaleString('en-US')} prefixes/s wall, ${Math.round(first.prefixes / bestCpu).toLocaleString('en-US')} prefixes per CPU second\n`);
}

main();
